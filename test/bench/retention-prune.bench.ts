/**
 * Retention never blocks ingest: ACKs keep flowing while the pruner empties the raw payloads of a
 * large store. A store of N finished transactions (~1.7 KB each, 40 days old) gets retention
 * "raw payloads 30 days"; one MLLP connection sends ADTs back to back (next message after the
 * previous ACK) first with no prune (the baseline, same run), then while the pruner runs. Printed,
 * never asserted.
 *
 *   npx tsx test/bench/retention-prune.bench.ts [rows=100000] [baseline-seconds=5]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hl7EngineModule, hl7Runtime } from '../../electron/engine/connectors/hl7-engine'
import { frameMessage, MllpFramer } from '../../electron/engine/connectors/hl7'
import { openEngine } from '../../electron/engine/core/engine'
import { silentLogger } from '../../electron/engine/core/logger'
import { maintenanceModule } from '../../electron/engine/maintenance/maintenance-module'
import { createFileStore } from '../../electron/engine/secrets/file-store'

const ROWS = Number(process.argv[2] ?? 100_000)
const BASE_S = Number(process.argv[3] ?? 5)
const DAY = 86_400_000

const adt = (id: string): Buffer =>
  Buffer.from(
    [
      `MSH|^~\\&|REGADT|RIVERSIDE|PRACTICESTUDIO|CLINIC|20260601091500||ADT^A04^ADT_A01|${id}|P|2.5.1`,
      'EVN|A04|20260601091500',
      `PID|1||MRN${id}^^^RIVERSIDE^MR||QUINTERO^ELENA^MARISOL^^^^L||19870618|F||2106-3^White^CDCREC|418 HARBOR VIEW RD^APT 2B^SOMERVILLE^MA^02144^USA^H||(617) 253-1000^PRN^PH`,
      'PV1|1|O|CLINIC^101^1^RIVERSIDE||||1234567890^CAREFUL^ADAM^^^DR|||MED||||1|||1234567890^CAREFUL^ADAM^^^DR|OP|VN8841',
      `NTE|1||${'x'.repeat(1200)}`,
    ].join('\r') + '\r',
  )

/** Sends back to back until `until()` says stop; returns each ACK's latency in ms. */
async function sender(port: number, tag: string, until: () => boolean): Promise<number[]> {
  const s = net.connect({ host: '127.0.0.1', port })
  await new Promise((r) => s.once('connect', r))
  const lat: number[] = []
  let waiting: (() => void) | null = null
  const framer = new MllpFramer({ onFrame: () => waiting?.() })
  s.on('data', (d) => framer.push(d))
  for (let i = 0; !until(); i++) {
    const t0 = performance.now()
    await new Promise<void>((r) => {
      waiting = r
      s.write(frameMessage(adt(`${tag}${i}`)))
    })
    lat.push(performance.now() - t0)
  }
  s.end()
  return lat
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN
}
const line = (label: string, lat: number[], seconds: number): string =>
  `${label.padEnd(26)} ${(lat.length / seconds).toFixed(0).padStart(6)} ACKs/s   p50 ${pct(lat, 50).toFixed(2)} ms   p99 ${pct(lat, 99).toFixed(2)} ms   max ${Math.max(...lat).toFixed(1)} ms`

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ps-bench-prune-'))
  const secrets = createFileStore({ file: join(dir, 'secrets.enc'), masterKey: Buffer.alloc(32, 7), location: 'bench' })
  const engine = await openEngine({ dataDir: dir, secrets, logger: silentLogger, mode: 'headless', version: 'bench', operator: 'bench' }, [hl7EngineModule()])
  await engine.start()
  try {
    const ctx = engine.ctx
    const fill0 = performance.now()
    const old = Date.now() - 40 * DAY
    for (let done = 0; done < ROWS; ) {
      const n = Math.min(5000, ROWS - done)
      ctx.db.transaction(() => {
        for (let i = 0; i < n; i++) ctx.txRepo.insert({ practiceId: 'sandbox', connector: 'hl7', channel: 'old', direction: 'in', messageType: 'ADT^A04', contentType: 'hl7v2', raw: adt(`OLD${done + i}`) }, old + done + i)
        ctx.db.prepare("UPDATE transactions SET status = 'done' WHERE status = 'received' AND channel = 'old'").run()
      })()
      done += n
    }
    console.log(`store: ${ROWS.toLocaleString()} finished transactions, 40 days old, filled in ${((performance.now() - fill0) / 1000).toFixed(1)} s`)
    await engine.dispatch('connections.create', { practiceId: 'sandbox', kind: 'hl7-inbound', name: 'adt-in', config: { host: '127.0.0.1', port: 0 } }, { actor: 'bench', transport: 'internal' })
    const port = hl7Runtime(ctx)!.listeners.find('sandbox', 'adt-in')!.port

    const b0 = performance.now()
    const base = await sender(port, 'B', () => performance.now() - b0 > BASE_S * 1000)
    const baseS = (performance.now() - b0) / 1000

    ctx.practices.update({ id: 'sandbox', settings: { retention: { transactionsDays: null, rawPayloadDays: 30, logsDays: null, auditYears: 6, connectors: {} } } }, 'bench')
    let pruning = true
    const p0 = performance.now()
    const run = maintenanceModule(ctx).pruner.run('manual', 'bench').finally(() => (pruning = false))
    const during = await sender(port, 'P', () => !pruning)
    const r = await run
    const pruneS = (performance.now() - p0) / 1000
    const s = ctx.systemSettings.get().pruner
    console.log(`prune: ${r.payloadsPruned.toLocaleString()} raw payloads (${(r.payloadBytes / 1024 / 1024).toFixed(0)} MiB) in ${r.batches} batches of ${s.batchSize} (rest ${s.pauseMs} ms) in ${pruneS.toFixed(1)} s`)
    console.log(line('baseline (no prune)', base, baseS))
    console.log(line('during the prune', during, pruneS))
  } finally {
    await engine.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

void main()
