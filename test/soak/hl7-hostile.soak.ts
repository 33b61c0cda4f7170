/**
 * Issue #17's soak rounds, against the built server (`serve.js`) with the shipped defaults:
 *
 * - **slowloris**: the probe's attack at full size, 200 connections sending one byte a second
 *   (2 per address from 127.0.0.2 up) plus 500 idle ones (4 per address from 127.0.1.2 up), every
 *   closed one back after 250 ms, for `SECONDS` (default 60). Meanwhile a real sender (127.0.0.1,
 *   which delivered a message before the attack began) sends a message every 200 ms on its
 *   connection and opens a new connection every 5 s. PASS: every message got its AA within 1 s.
 * - **disk**: a burst of `FRAMES` (default 100,000) ~1 KB ADTs over 16 connections, processing
 *   paused (moving into transactions still runs). Samples both WALs and the data folder every
 *   100 ms. PASS: each WAL stays under 1.5 × PS_WAL_LIMIT_BYTES (the forced checkpoint starts at the
 *   limit; the margin is one checkpoint round's growth at full burst),
 *   ends at most at the limit, and the emptied inbox file ends under 8 MiB (its rebuild threshold).
 *
 * Prints figures; exits 1 if a round fails.
 *
 *   npm run build && npx tsx test/soak/hl7-hostile.soak.ts [slowloris|disk|all] [SECONDS] [FRAMES]
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseAck } from '../../electron/engine/connectors/hl7'
import { DEFAULT_ENGINE_SETTINGS } from '../../electron/engine/core/engine-settings'
import { adtMsg, MllpTestClient } from '../integration/hl7/support'
import { mllpAttack } from '../support/mllp-attack'
import { startServe, type ServeProcess } from '../support/serve-process'

const ROUND = process.argv[2] ?? 'all'
const SECONDS = Number(process.argv[3] ?? 60)
const FRAMES = Number(process.argv[4] ?? 100_000)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`
const pct = (s: number[], p: number): number => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN
const size = (f: string): number => {
  try {
    return statSync(f).size
  } catch {
    return 0
  }
}
const folderSize = (d: string): number => readdirSync(d, { recursive: true, withFileTypes: true }).reduce((n, e) => n + (e.isFile() ? size(join(e.parentPath, e.name)) : 0), 0)

async function serveWith(inbound: Record<string, unknown>, practiceSettings: Record<string, unknown> = {}): Promise<{ s: ServeProcess; port: number; dataDir: string; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'hl7-hostile-'))
  writeFileSync(join(dir, 'master.key'), randomBytes(32).toString('hex') + '\n', { mode: 0o600 })
  const config = {
    format: 'practice-studio-config',
    version: 1,
    practices: [{ id: 'sandbox', name: 'Sandbox Practice', settings: { unknownPatientRule: 'create', ...practiceSettings }, interfaces: [{ kind: 'hl7-inbound', name: 'adt-in', enabled: true, config: { host: '127.0.0.1', port: 0, acceptAcks: 'always', ...inbound } }] }],
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config))
  const dataDir = join(dir, 'data')
  const s = await startServe({ dataDir, args: ['--config', join(dir, 'config.json'), '--secret-store', 'file', '--master-key-file', join(dir, 'master.key'), '--log-level', 'warn'] })
  return {
    s,
    dataDir,
    port: s.listeners.find((l) => l.kind === 'hl7-mllp')!.port,
    async cleanup() {
      await s.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function slowloris(): Promise<boolean> {
  const { s, port, cleanup } = await serveWith({})
  try {
    const first = await MllpTestClient.connect(port)
    const base = parseAck(await first.send(adtMsg({ control: 'REAL0', mrn: 'REAL' })))
    const latencies: number[] = []
    let failures = 0
    let n = 1
    let client = first
    // Before the attack: the same sender, for the baseline of this run.
    const baseline: number[] = []
    for (let i = 0; i < 25; i++) {
      const t0 = performance.now()
      if (parseAck(await client.send(adtMsg({ control: `BASE${i}`, mrn: 'REAL' }))).code !== 'AA') failures++
      baseline.push(performance.now() - t0)
      await sleep(200)
    }
    // 2 slow connections per address from 127.0.1.2, 4 idle ones per address from 127.1.0.2.
    const attack = mllpAttack(port, { slow: 200, idle: 500, from: (i, slow) => (slow ? `127.0.${1 + Math.floor(i / 2 / 250)}.${2 + (Math.floor(i / 2) % 250)}` : `127.1.${Math.floor(i / 4 / 250)}.${2 + (Math.floor(i / 4) % 250)}`) })
    await sleep(3000)
    const end = Date.now() + SECONDS * 1000
    let reconnects = 0
    let lastReconnect = Date.now()
    while (Date.now() < end) {
      if (Date.now() - lastReconnect >= 5000) {
        client.close()
        const t0 = performance.now()
        try {
          client = await MllpTestClient.connect(port)
          reconnects++
        } catch {
          failures++
          await sleep(200)
          continue
        }
        lastReconnect = Date.now()
        latencies.push(performance.now() - t0)
      }
      const t0 = performance.now()
      try {
        const ack = parseAck(await client.send(adtMsg({ control: `REAL${n++}`, mrn: 'REAL' })))
        if (ack.code !== 'AA') failures++
      } catch {
        failures++
        client = await MllpTestClient.connect(port).catch(() => client)
      }
      latencies.push(performance.now() - t0)
      await sleep(200)
    }
    attack.stop()
    client.close()
    const status = await s.call<{ name: string; counters: Record<string, number> }[]>('hl7.listeners', { practiceId: 'sandbox' })
    const c = status.ok ? status.value.find((l) => l.name === 'adt-in')!.counters : {}
    const sorted = [...latencies].sort((a, b) => a - b)
    const bsorted = [...baseline].sort((a, b) => a - b)
    const slow = latencies.filter((x) => x > 1000).length
    console.log(`slowloris: ${SECONDS} s of 200 slow (1 byte/s) + 500 idle connections, ${attack.attempts()} attacker connection attempts; first AA ${base.code}`)
    console.log(`  real sender: ${n - 1} messages + ${reconnects} reconnections; round trip (connect or message→AA) p50 ${pct(sorted, 50).toFixed(1)} ms, p99 ${pct(sorted, 99).toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms; over 1 s: ${slow}; failures ${failures}`)
    console.log(`  baseline before the attack (same run, 25 messages): p50 ${pct(bsorted, 50).toFixed(1)} ms, max ${bsorted.at(-1)?.toFixed(1)} ms`)
    console.log(`  listener counters: ${JSON.stringify(Object.fromEntries(Object.entries(c).filter(([k]) => /refused|Timeouts|Closed|connections/.test(k))))}`)
    const pass = failures === 0 && slow === 0 && base.code === 'AA'
    console.log(`  ${pass ? 'PASS' : 'FAIL'}: every message AA'd within 1 s`)
    return pass
  } finally {
    await cleanup()
  }
}

async function disk(): Promise<boolean> {
  const limit = Number(process.env.PS_WAL_LIMIT_BYTES ?? DEFAULT_ENGINE_SETTINGS.walLimitBytes)
  const { s, port, dataDir, cleanup } = await serveWith({ maxConnectionsPerPeer: 16 }, { hl7ProcessingPaused: true })
  try {
    const files = { main: join(dataDir, 'practice-studio.db'), inbox: join(dataDir, 'inbox.db') }
    const peak = { main: 0, inbox: 0, folder: 0 }
    const sample = (): void => {
      peak.main = Math.max(peak.main, size(`${files.main}-wal`))
      peak.inbox = Math.max(peak.inbox, size(`${files.inbox}-wal`))
      peak.folder = Math.max(peak.folder, folderSize(dataDir))
    }
    const sampler = setInterval(sample, 100)
    const t0 = performance.now()
    const CONNS = 16
    let next = 0
    let bytes = 0
    await Promise.all(
      Array.from({ length: CONNS }, async () => {
        const c = await MllpTestClient.connect(port)
        while (next < FRAMES) {
          const k = next++
          const m = adtMsg({ control: `D${k}`, mrn: `D${k % 500}` })
          bytes += m.length
          const ack = parseAck(await c.send(m))
          if (ack.code !== 'AA') throw new Error(`D${k}: ${ack.code}`)
        }
        c.close()
      }),
    )
    const burst = (performance.now() - t0) / 1000
    // Moved into transactions, then the checkpoints and the inbox rebuild have their idle moments.
    const settleStart = performance.now()
    let settled = false
    while (performance.now() - settleStart < 120_000) {
      await sleep(500)
      if (size(`${files.main}-wal`) <= limit && size(`${files.inbox}-wal`) <= limit && size(files.inbox) < 8 * 1024 * 1024) {
        settled = true
        break
      }
    }
    sample()
    clearInterval(sampler)
    const final = { main: size(files.main), mainWal: size(`${files.main}-wal`), inbox: size(files.inbox), inboxWal: size(`${files.inbox}-wal`), folder: folderSize(dataDir) }
    console.log(`disk: ${FRAMES} frames (${mb(bytes)}) over ${CONNS} connections in ${burst.toFixed(1)} s (${Math.round(FRAMES / burst)} msgs/s), processing paused; WAL limit ${mb(limit)}`)
    console.log(`  peak during the burst: main WAL ${mb(peak.main)}, inbox WAL ${mb(peak.inbox)}, data folder ${mb(peak.folder)}`)
    console.log(`  ${settled ? `settled ${((performance.now() - settleStart) / 1000).toFixed(1)} s after` : 'NOT settled 120 s after'}: main ${mb(final.main)} + WAL ${mb(final.mainWal)}, inbox ${mb(final.inbox)} + WAL ${mb(final.inboxWal)}, data folder ${mb(final.folder)}`)
    const pass = settled && peak.main < 1.5 * limit && peak.inbox < 1.5 * limit
    console.log(`  ${pass ? 'PASS' : 'FAIL'}: WALs under 1.5 × the limit throughout, at most the limit after; inbox file rebuilt under 8 MiB`)
    void s
    return pass
  } finally {
    await cleanup()
  }
}

async function main(): Promise<void> {
  const results: boolean[] = []
  if (ROUND === 'all' || ROUND === 'slowloris') results.push(await slowloris())
  if (ROUND === 'all' || ROUND === 'disk') results.push(await disk())
  if (results.some((r) => !r)) process.exit(1)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
