/**
 * What a 5 MB MDM costs the engine's main thread (issue #15, goal 3), in two phases measured apart:
 * its receive (N big MDM^T02 sent over MLLP one after the other by a child process, processing
 * paused: framing, decode, parse, the hand-off to the ingest writer, the ACK) and its processing
 * (the sockets quiet); for each, the process's CPU ms a message, the event loop's busy ms a message,
 * the main thread's own CPU ms a message (what a shared machine distorts least), and every
 * main-thread slice over 20 ms (gaps of a 1 ms timer), each also as the main thread's own CPU
 * time in it (schedstat), which is what a slice costs on a quiet machine. It loads the engine from the tree it is given, so a copy of main
 * (`git archive main | tar -x -C /tmp/main`, node_modules linked) and the branch can be measured
 * alternately in one sitting, the load-robust before/after of hl7-engine/speed-log.md:
 *
 *   npx tsx test/bench/hl7-big-slices.ts <tree> [n]     (an .mts copy for a tree without it)
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
async function main(): Promise<void> {
  const root = resolve(process.argv[2] ?? '.')
  const N = Number(process.argv[3] ?? 5)
  const { hl7EngineModule } = await import(`${root}/electron/engine/connectors/hl7-engine`)
  const { openEngine } = await import(`${root}/electron/engine/core/engine`)
  const { silentLogger } = await import(`${root}/electron/engine/core/logger`)
  const { createFileStore } = await import(`${root}/electron/engine/secrets/file-store`)
  const { bigMdmMsg, MDM_ED_SAMPLE } = await import(`${root}/test/support/hl7-messages`)
  const dir = mkdtempSync(join(tmpdir(), 'big-proc-'))
  const secrets = createFileStore({ file: join(dir, 'secrets.enc'), masterKey: randomBytes(32), location: 'bench' })
  const engine = await openEngine({ dataDir: dir, secrets, logger: silentLogger, mode: 'headless', version: 'bench', operator: 'bench' }, [hl7EngineModule()])
  engine.ctx.connections.create('sandbox', { kind: 'hl7-inbound', name: 'bench-in', enabled: true, config: { host: '127.0.0.1', port: 0, trustedPeers: ['127.0.0.1'] } as never }, 'bench')
  engine.ctx.practices.update({ id: 'sandbox', settings: { hl7ProcessingPaused: true, unknownPatientRule: 'create' } }, 'bench')
  await engine.start()
  const { hl7Runtime } = await import(`${root}/electron/engine/connectors/hl7-engine`)
  const port = hl7Runtime(engine.ctx).listeners.find('sandbox', 'bench-in').port as number
  const tpl = readFileSync(join(root, MDM_ED_SAMPLE), 'latin1')
  // The frames are built here and sent by a child, so the sender's own work is not in the slices.
  const frames = join(dir, 'frames.bin')
  writeFileSync(frames, Buffer.concat(Array.from({ length: N }, (_, n) => Buffer.concat([Buffer.from([0x0b]), Buffer.from(bigMdmMsg(tpl, { control: `BIG${n}`, mrn: `BIGMRN${n}`, bytes: 5 * 1024 * 1024 }), 'latin1'), Buffer.from([0x1c, 0x0d])]))))
  const receive = await measure(async () => {
    const sender = spawn(process.execPath, ['-e', SENDER, String(port), frames, String(N)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    sender.stdout!.setEncoding('latin1').on('data', (c: string) => (out += c))
    const code = await new Promise((r) => sender.once('exit', r))
    if (code !== 0 || (out.match(/MSA\|AA\|/g) ?? []).length !== N) throw new Error(`the sender did not get ${N} AA (exit ${code})`)
  })
  console.log(JSON.stringify({ phase: 'receive', ...receive }))
  // The mover's thread takes them into transactions; processing starts once all are there.
  while (engine.ctx.pipeline.inboxBacklog() > 0) await new Promise((r) => setTimeout(r, 20))
  await new Promise((r) => setTimeout(r, 500))
  const pending = engine.ctx.db.prepare("SELECT count(*) FROM transactions WHERE status IN ('received','queued','processing')").pluck()
  const processing = await measure(async () => {
    engine.ctx.practices.update({ id: 'sandbox', settings: { hl7ProcessingPaused: false } }, 'bench')
    engine.ctx.pipeline.kickPending()
    while ((pending.get() as number) > 0) await new Promise((r) => setTimeout(r, 5))
    await engine.ctx.pipeline.idle(30_000)
  })
  const done = engine.ctx.db.prepare("SELECT count(*) FROM transactions WHERE status = 'done'").pluck().get()
  const sz = engine.ctx.db.prepare("SELECT coalesce(sum(length(after)),0) FROM record_changes").pluck().get() as number
  console.log(JSON.stringify({ phase: 'processing', root, n: N, done, ...processing, changesBytes: sz }))
  await engine.stop()
  rmSync(dir, { recursive: true, force: true })
}

/** The main thread's time on a CPU, ns-exact (Linux schedstat), in ms. */
function onCpuMs(): number {
  return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6
}

/** One phase: wall ms, main-thread busy and process CPU ms a message, the longest slice and every one over 20 ms. */
async function measure(phase: () => Promise<void>): Promise<Record<string, unknown>> {
  const N = Number(process.argv[3] ?? 5)
  // A 1 ms timer: the longest gap between its runs is the longest slice; the main thread's CPU
  // time between two runs is that slice's own work, which other processes' load does not stretch.
  let last = performance.now()
  let lastCpu = onCpuMs()
  let maxGap = 0
  let maxCpu = 0
  const gaps: number[] = []
  const cpuSlices: number[] = []
  const tick = setInterval(() => {
    const t = performance.now()
    const c = onCpuMs()
    const g = t - last
    if (g > 20) gaps.push(g)
    if (c - lastCpu > 20) cpuSlices.push(c - lastCpu)
    maxGap = Math.max(maxGap, g)
    maxCpu = Math.max(maxCpu, c - lastCpu)
    last = t
    lastCpu = c
  }, 1)
  await new Promise((r) => setTimeout(r, 50))
  maxGap = 0
  maxCpu = 0
  gaps.length = 0
  cpuSlices.length = 0
  const e0 = performance.eventLoopUtilization()
  const m0 = onCpuMs()
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await phase()
  const e = performance.eventLoopUtilization(e0)
  const cpu = process.cpuUsage(c0)
  const main = onCpuMs() - m0
  clearInterval(tick)
  return { wallMs: Math.round(performance.now() - t0), mainBusyMsPerMsg: +(e.active / N).toFixed(1), mainCpuMsPerMsg: +(main / N).toFixed(1), cpuMsPerMsg: +((cpu.user + cpu.system) / 1000 / N).toFixed(1), longestSliceMs: +maxGap.toFixed(1), slicesOver20: gaps.map((g) => Math.round(g)), longestSliceCpuMs: +maxCpu.toFixed(1), cpuSlicesOver20: cpuSlices.map((g) => Math.round(g)) }
}

/** The sender (node -e): the frames of a file one at a time, the next after the previous ACK; the ACKs to stdout. */
const SENDER = `
const [port, file, n] = process.argv.slice(1)
const data = require('fs').readFileSync(file)
const s = require('net').connect(Number(port), '127.0.0.1')
let at = 0, sent = 0, acks = 0
const next = () => { const end = data.indexOf(0x1c, at) + 2; s.write(data.subarray(at, end)); at = end; sent++ }
s.on('connect', next)
s.on('data', (d) => { process.stdout.write(d); for (const b of d) if (b === 0x1c) { acks++; if (sent < Number(n)) next(); else if (acks === Number(n)) s.end() } })
`

void main().then(
  () => process.exit(0),
  (e) => {
    console.error(e)
    process.exit(1)
  },
)
