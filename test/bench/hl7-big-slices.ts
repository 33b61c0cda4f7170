/**
 * What a 5 MB MDM costs the engine's main thread when it is processed (issue #15, goal 3), the
 * sockets quiet: N big MDM^T02 accepted while processing is paused, then processed; prints the
 * process's CPU ms a message, the event loop's busy ms a message, and every main-thread slice over
 * 20 ms (gaps of a 1 ms timer). It loads the engine from the tree it is given, so a copy of main
 * (`git archive main | tar -x -C /tmp/main`, node_modules linked) and the branch can be measured
 * alternately in one sitting, the load-robust before/after of the hl7-engine README:
 *
 *   npx tsx test/bench/hl7-big-slices.ts <tree> [n]     (an .mts copy for a tree without it)
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
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
  engine.ctx.connections.create('sandbox', { kind: 'hl7-inbound', name: 'bench-in', enabled: false, config: { host: '127.0.0.1', port: 0 } as never }, 'bench')
  engine.ctx.practices.update({ id: 'sandbox', settings: { hl7ProcessingPaused: true, unknownPatientRule: 'create' } }, 'bench')
  await engine.start()
  const tpl = readFileSync(join(root, MDM_ED_SAMPLE), 'latin1')
  for (let n = 0; n < N; n++) {
    const raw = Buffer.from(bigMdmMsg(tpl, { control: `BIG${n}`, mrn: `BIGMRN${n}`, bytes: 5 * 1024 * 1024 }))
    await engine.ctx.pipeline.accept({ practiceId: 'sandbox', connector: 'hl7', channel: 'bench-in', direction: 'in', messageType: 'MDM^T02', contentType: 'hl7v2', raw, controlId: `BIG${n}`, dedupKey: `BIG|${n}`, response: 'ACK' })
  }
  engine.ctx.pipeline.drainInbox()
  await new Promise((r) => setTimeout(r, 500))
  const pending = engine.ctx.db.prepare("SELECT count(*) FROM transactions WHERE status IN ('received','queued','processing')").pluck()
  const h = monitorEventLoopDelay({ resolution: 1 })
  // A 1 ms timer: the longest gap between its runs is the longest slice.
  let last = performance.now(), maxGap = 0
  const gaps: number[] = []
  const tick = setInterval(() => { const t = performance.now(); const g = t - last; if (g > 20) gaps.push(g); maxGap = Math.max(maxGap, g); last = t }, 1)
  await new Promise((r) => setTimeout(r, 50))
  maxGap = 0; gaps.length = 0
  h.enable()
  const e0 = performance.eventLoopUtilization()
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  engine.ctx.practices.update({ id: 'sandbox', settings: { hl7ProcessingPaused: false } }, 'bench')
  engine.ctx.pipeline.kickPending()
  while ((pending.get() as number) > 0) await new Promise((r) => setTimeout(r, 5))
  await engine.ctx.pipeline.idle(30_000)
  const e = performance.eventLoopUtilization(e0)
  const cpu = process.cpuUsage(c0)
  h.disable(); clearInterval(tick)
  const done = engine.ctx.db.prepare("SELECT count(*) FROM transactions WHERE status = 'done'").pluck().get()
  const sz = engine.ctx.db.prepare("SELECT coalesce(sum(length(after)),0) FROM record_changes").pluck().get() as number
  console.log(JSON.stringify({ root, n: N, done, wallMs: Math.round(performance.now() - t0), mainBusyMsPerMsg: +(e.active / N).toFixed(1), cpuMsPerMsg: +((cpu.user + cpu.system) / 1000 / N).toFixed(1), longestSliceMs: +maxGap.toFixed(1), slicesOver20: gaps.map((g) => Math.round(g)), changesBytes: sz }))
  await engine.stop()
  rmSync(dir, { recursive: true, force: true })

}

void main().then(
  () => process.exit(0),
  (e) => {
    console.error(e)
    process.exit(1)
  },
)
