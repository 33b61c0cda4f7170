/**
 * Processing throughput of the HL7 inbound lane (issue #15, goal 1): a backlog of accepted
 * messages, each a different patient, parsed → filtered → mapped → records upserted → done, with
 * the sockets quiet. Shipped (a grouped handler's rows several per COMMIT, pipeline/outcomes.ts)
 * against the baseline of one row per COMMIT (`groupedProcessing: false`), interleaved A, B, A, B
 * in the same run, for ADT^A04, SIU^S12 and ORU^R01. Besides messages per second it prints the
 * process's CPU time per message, which a busy shared machine distorts far less than wall time,
 * and the engine thread's own (Linux schedstat): the process's CPU counts every thread (the
 * mover, the checkpointer, any step moved off the engine thread), the engine thread's is the limit.
 *
 *   npx tsx test/bench/hl7-processing.bench.ts [messages] [rounds]
 *
 * The ratio to the ingest rate (goal: processing ≥ 0.5× ingest) is printed by hl7-ingest.bench.ts,
 * which measures both on one engine in one run.
 */
import { randomBytes } from 'node:crypto'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hl7EngineModule } from '../../electron/engine/connectors/hl7-engine'
import { openEngine } from '../../electron/engine/core/engine'
import { silentLogger } from '../../electron/engine/core/logger'
import { createFileStore } from '../../electron/engine/secrets/file-store'
import { adtMsg, oruMsg, siuMsg } from '../integration/hl7/support'

const N = Number(process.argv[2] ?? 3000)
const ROUNDS = Number(process.argv[3] ?? 2)
const GOAL_RATE = 2000

type Kind = 'ADT^A04' | 'SIU^S12' | 'ORU^R01'
const build: Record<Kind, (n: number) => string> = {
  'ADT^A04': (n) => adtMsg({ control: `A${n}`, mrn: `MRN${n}`, last: `PATIENT${n}` }),
  'SIU^S12': (n) => siuMsg({ control: `S${n}`, trigger: 'S12', appt: `AP${n}`, mrn: `MRN${n}` }),
  'ORU^R01': (n) => oruMsg({ control: `O${n}`, mrn: `MRN${n}` }),
}

/** A data folder holding `N` accepted messages of one kind, none processed yet. */
async function backlog(kind: Kind): Promise<{ dir: string; masterKey: Buffer }> {
  const dir = mkdtempSync(join(tmpdir(), 'hl7-proc-bench-'))
  const masterKey = randomBytes(32)
  const secrets = createFileStore({ file: join(dir, 'secrets.enc'), masterKey, location: 'bench' })
  const engine = await openEngine({ dataDir: dir, secrets, logger: silentLogger, mode: 'headless', version: 'bench', operator: 'bench' }, [hl7EngineModule()])
  engine.ctx.connections.create('sandbox', { kind: 'hl7-inbound', name: 'bench-in', enabled: false, config: { host: '127.0.0.1', port: 0 } as never }, 'bench')
  // Known patients for SIU and ORU (the practice's rule would create them otherwise: a different workload).
  engine.ctx.practices.update({ id: 'sandbox', settings: { hl7ProcessingPaused: true, unknownPatientRule: 'create' } }, 'bench')
  await engine.start()
  const window = 32
  for (let i = 0; i < N; i += window) {
    await Promise.all(
      Array.from({ length: Math.min(window, N - i) }, (_, k) => {
        const n = i + k
        const raw = Buffer.from(build[kind](n))
        return engine.ctx.pipeline.accept({ practiceId: 'sandbox', connector: 'hl7', channel: 'bench-in', direction: 'in', messageType: kind, contentType: 'hl7v2', raw, controlId: `${kind}-${n}`, dedupKey: `${kind}|${n}`, response: 'ACK' })
      }),
    )
  }
  engine.ctx.pipeline.drainInbox()
  await engine.stop()
  return { dir, masterKey }
}

/** Opens a copy of the backlog, resumes processing and times it until every row is finished. */
/** The engine (main) thread's time on a CPU in ms (Linux schedstat). */
function engineThreadMs(): number {
  return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6
}

async function processCopy(from: { dir: string; masterKey: Buffer }, grouped: boolean): Promise<{ rate: number; cpuMsPerMsg: number; threadMsPerMsg: number; done: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'hl7-proc-run-'))
  cpSync(from.dir, dir, { recursive: true })
  const secrets = createFileStore({ file: join(dir, 'secrets.enc'), masterKey: from.masterKey, location: 'bench' })
  const engine = await openEngine({ dataDir: dir, secrets, logger: silentLogger, mode: 'headless', version: 'bench', operator: 'bench', groupedProcessing: grouped }, [hl7EngineModule()])
  await engine.start()
  const pending = engine.ctx.db.prepare("SELECT count(*) AS n FROM transactions WHERE status IN ('received','queued','processing')").pluck()
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  const e0 = engineThreadMs()
  engine.ctx.practices.update({ id: 'sandbox', settings: { hl7ProcessingPaused: false } }, 'bench')
  engine.ctx.pipeline.kickPending()
  while ((pending.get() as number) > 0) await new Promise((r) => setTimeout(r, 20))
  const s = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(c0)
  const thread = engineThreadMs() - e0
  const done = (engine.ctx.db.prepare("SELECT count(*) AS n FROM transactions WHERE status = 'done'").pluck().get() as number) ?? 0
  await engine.stop()
  rmSync(dir, { recursive: true, force: true })
  return { rate: N / s, cpuMsPerMsg: (cpu.user + cpu.system) / 1000 / N, threadMsPerMsg: thread / N, done }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
const range = (xs: number[], f: (x: number) => string): string => (xs.length === 1 ? f(xs[0] as number) : `${f(Math.min(...xs))}–${f(Math.max(...xs))}`)

async function main(): Promise<void> {
  console.log(`HL7 processing: ${fmt(N)} accepted messages per run, each a different patient, sockets quiet; ${ROUNDS} interleaved rounds (baseline, shipped, …)`)
  for (const kind of Object.keys(build) as Kind[]) {
    const b = await backlog(kind)
    const runs: Record<'baseline' | 'shipped', { rate: number; cpuMsPerMsg: number; threadMsPerMsg: number; done: number }[]> = { baseline: [], shipped: [] }
    for (let r = 0; r < ROUNDS; r++) {
      runs.baseline.push(await processCopy(b, false))
      runs.shipped.push(await processCopy(b, true))
    }
    rmSync(b.dir, { recursive: true, force: true })
    const line = (label: string, xs: typeof runs.baseline): string =>
      `    ${label}: ${range(xs.map((x) => x.rate), fmt)} msgs/s, CPU ${range(xs.map((x) => x.cpuMsPerMsg), (v) => v.toFixed(2))} ms a message (${range(xs.map((x) => 1000 / x.cpuMsPerMsg), fmt)} msgs per CPU-second), engine thread ${range(xs.map((x) => x.threadMsPerMsg), (v) => v.toFixed(2))} ms; done ${xs.map((x) => x.done).join(', ')} of ${fmt(N)}`
    console.log(`  ${kind}:`)
    console.log(line('baseline, one row per COMMIT', runs.baseline))
    console.log(line('shipped, grouped rows per COMMIT', runs.shipped))
    const best = Math.max(...runs.shipped.map((x) => x.rate))
    const cpuRate = 1000 / Math.min(...runs.shipped.map((x) => x.cpuMsPerMsg))
    console.log(`    goal ≥ ${fmt(GOAL_RATE)} msgs/s: ${best >= GOAL_RATE ? 'met' : 'NOT met'} (best ${fmt(best)} wall; one core's worth of CPU would allow ${fmt(cpuRate)})`)
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
