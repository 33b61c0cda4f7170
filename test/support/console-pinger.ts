/**
 * The console, as the benches and soaks measure it: `POST /api/system.ping` every 100 ms from a
 * process of its own. Pinging from the process that also builds and sends the load measured that
 * process's own event loop (TST-L1 once printed a 760 ms p99 that way while the server answered in
 * tens of ms), so the pinger is a child with nothing else to do.
 *
 * Its first calls are a warm-up, not counted: the first `fetch` of a process loads undici and opens
 * the connection (100–530 ms measured here, against ~10 ms for the next), which is the client
 * starting, not the console waiting. The child says "ready" once warm; a load should start then.
 *
 *   startPinger({ origin, cookie }) → { ready, stop() → { ms, failed, coldMs } }
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const PING_EVERY_MS = 100
export const WARM_PINGS = 3

export interface PingResult {
  /** Round trips of the successful calls, in call order (ms). */
  ms: number[]
  failed: number
  /** The first warm-up call (a cold client), not in `ms`. */
  coldMs: number
}

export interface Pinger {
  /** Resolves once the child is warm. */
  ready: Promise<void>
  /** Ends the pinging and resolves with what it measured. */
  stop(): Promise<PingResult>
}

export function startPinger(job: { origin: string; cookie: string }): Pinger {
  const p = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify(job)], { stdio: ['pipe', 'pipe', 'inherit'] })
  let out = ''
  let ready: () => void = () => {}
  const isReady = new Promise<void>((r) => (ready = r))
  p.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c
    if (out.startsWith('ready\n')) {
      out = out.slice('ready\n'.length)
      ready()
    }
  })
  const result = new Promise<PingResult>((resolve, reject) =>
    p.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the pinger exited with ${code}`))
      else resolve(JSON.parse(out) as PingResult)
    }),
  )
  return {
    ready: isReady,
    stop() {
      p.stdin!.end('stop\n')
      return result
    },
  }
}

async function ping(job: { origin: string; cookie: string }): Promise<PingResult> {
  const out: PingResult = { ms: [], failed: 0, coldMs: NaN }
  let stop = false
  process.stdin.once('data', () => (stop = true))
  const once = async (): Promise<{ ok: boolean; ms: number }> => {
    const t = performance.now()
    const res = await fetch(`${job.origin}/api/system.ping`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-psc-request': '1', cookie: job.cookie }, body: '{}' })
    const body = (await res.json()) as { ok: boolean }
    return { ok: body.ok, ms: performance.now() - t }
  }
  for (let i = 0; i < WARM_PINGS; i++) {
    const r = await once()
    if (i === 0) out.coldMs = r.ms
  }
  process.stdout.write('ready\n')
  while (!stop) {
    const r = await once()
    if (r.ok) out.ms.push(r.ms)
    else out.failed++
    await new Promise((r) => setTimeout(r, PING_EVERY_MS))
  }
  return out
}

// Run as the child: `node --import tsx console-pinger.ts <job>`.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  void ping(JSON.parse(process.argv[2]!) as { origin: string; cookie: string }).then((r) => process.stdout.write(JSON.stringify(r), () => process.exit(0)))
}
