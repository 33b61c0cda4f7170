/**
 * File exchange, part 2, each next to a bare parse of the same file in the same run:
 *  - a 20,000-appointment nightly file applied against 20,000 stored appointments (every 10th
 *    row changed), through the real pipeline (stored file transaction → rows → mapping → three-way
 *    compare → double-booking → records), vs csv-parse alone over the same bytes;
 *  - a 10,000-claim 835 parsed, balanced, posted and reconciled against 10,000 claims, vs
 *    x12-parser alone over the same bytes.
 *
 *   npx tsx test/bench/files-billing-batches.bench.ts [appointments] [claims]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { appointmentBatchModule } from '../../electron/engine/connectors/files/appointments-batch'
import { readRows } from '../../electron/engine/connectors/files/appointments-batch/batch-rows'
import { appointmentBatchRuntime } from '../../electron/engine/connectors/files/appointments-batch/runtime'
import { billingModule } from '../../electron/engine/connectors/files/billing'
import { billingRuntime } from '../../electron/engine/connectors/files/billing/runtime'
import { readX12 } from '../../electron/engine/connectors/files/x12/x12-segments'
import { ReferenceRepo } from '../../electron/engine/connectors/athena/store/reference-repo'
import { openEngine } from '../../electron/engine/core/engine'
import { createLogger } from '../../electron/engine/core/logger'
import { createFileStore } from '../../electron/engine/secrets/file-store'
import { scheduleFile } from '../fixtures/files/schedule-file'

const APPTS = Number(process.argv[2] ?? 20_000)
const CLAIMS = Number(process.argv[3] ?? 10_000)

const ms = (t: number): string => `${(performance.now() - t).toFixed(0)} ms`

function remit835(n: number): string {
  const segs: string[] = ['ST*835*0001', '', 'TRN*1*BENCHTRACE*1000000000', 'N1*PR*BENCH PAYER', 'N1*PE*BENCH CLINIC*XX*1234567893', 'LX*1']
  let total = 0
  for (let i = 0; i < n; i++) {
    const pcn = `PS${String(i + 1).padStart(8, '0')}`
    if (i % 10 === 3) {
      segs.push(`CLP*${pcn}*4*100*0**12*ICN${i}`, 'SVC*HC:99213*100*0**1', 'CAS*CO*50*100')
    } else {
      segs.push(`CLP*${pcn}*1*100*70*10*12*ICN${i}`, 'SVC*HC:99213*100*70**1', 'CAS*CO*45*20', 'CAS*PR*1*10')
      total += 7000
    }
  }
  segs.push('PLB*1234567893*20261231*WO:X1*15')
  total -= 1500
  segs[1] = `BPR*I*${(total / 100).toFixed(2)}*C*ACH*CCP*01*111*DA*22*1000000000**01*333*DA*44*20260410`
  return [
    'ISA*00*          *00*          *ZZ*BENCH          *ZZ*CLINIC         *260410*1200*^*00501*000000001*0*P*:',
    'GS*HP*BENCH*CLINIC*20260410*1200*1*X*005010X221A1', ...segs, `SE*${segs.length + 1}*0001`, 'GE*1*1', 'IEA*1*000000001',
  ].join('~\n') + '~\n'
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ps-files2-bench-'))
  const secrets = createFileStore({ file: join(dataDir, 'secrets.enc'), masterKey: Buffer.alloc(32, 9), location: 'bench' })
  const engine = await openEngine({ dataDir, secrets, logger: createLogger({ level: 'error', sinks: [] }), mode: 'headless', version: 'bench', operator: 'bench' }, [appointmentBatchModule, billingModule])
  await engine.start()
  const ctx = engine.ctx
  try {
    // ---- appointments
    const ref = new ReferenceRepo(ctx.db)
    ref.replace('sandbox', 'department', [{ id: '2', data: { timezonename: 'America/Chicago' } }], Date.now())
    ref.replace('sandbox', 'provider', Array.from({ length: 50 }, (_, i) => ({ id: String(100 + i), data: {} })), Date.now())
    ctx.db.transaction(() => {
      for (let p = 0; p < 1000; p++) ctx.records.upsert({ practiceId: 'sandbox', kind: 'patient', ids: [{ system: 'athena', value: String(5000 + p) }], data: { external_id: String(5000 + p) } })
    })()
    const batches = appointmentBatchRuntime.find(ctx)!
    const importFile = async (name: string, text: string): Promise<Record<string, number>> => {
      const r = await batches.submit('sandbox', name, Buffer.from(text), 'bench', 'bench')
      const o = await ctx.pipeline.outcome(r.txId)
      if (o.status !== 'done') throw new Error(`${name}: ${o.status} ${o.error?.message}`)
      return batches.store.runByTx(r.txId)!.counts
    }
    let t = performance.now()
    await importFile('seed.csv', scheduleFile(APPTS))
    console.log(`setup: ${APPTS} appointments stored (first import) in ${ms(t)}`)
    const nightly = scheduleFile(APPTS, { status: 'Checked In', reason: 'Changed', every: 10 })
    t = performance.now()
    const parsed = readRows(nightly, 'csv').rows.length
    const bareCsv = performance.now() - t
    t = performance.now()
    const counts = await importFile('nightly.csv', nightly)
    const applied = performance.now() - t
    console.log(`appointments: bare csv-parse of the ${(nightly.length / 1e6).toFixed(1)} MB file (${parsed} rows): ${bareCsv.toFixed(0)} ms`)
    console.log(`appointments: nightly file applied against ${APPTS} stored: ${applied.toFixed(0)} ms (${Math.round(APPTS / (applied / 1000))} rows/s, ${(applied / bareCsv).toFixed(1)}× the bare parse) → ${JSON.stringify(counts)}`)

    // ---- 835
    const billing = billingRuntime.find(ctx)!
    ctx.db.transaction(() => {
      for (let i = 0; i < CLAIMS; i++) {
        billing.store.insertClaim('sandbox', { pcn: `PS${String(i + 1).padStart(8, '0')}`, frequency: '1', payerIcn: null, patientRef: 1, placeOfService: '11', patient: { lastName: '', firstName: '', middleName: '', dob: '', gender: 'U', address: null }, relationship: '18', subscriber: { lastName: '', firstName: '', middleName: '', dob: '', gender: 'U', address: null, memberId: 'M', groupNumber: '' }, payer: { name: 'P', id: 'P' }, rendering: null, diagnoses: ['I10'], lines: [], totalCents: 10000 }, Date.now())
      }
    })()
    const text = remit835(CLAIMS)
    t = performance.now()
    const segs = (await readX12(text)).segments.length
    const bareX12 = performance.now() - t
    t = performance.now()
    const r = await billing.importRemittance('sandbox', 'bench.835', Buffer.from(text), 'bench')
    const imported = performance.now() - t
    t = performance.now()
    const rec = billing.reconciliation('sandbox', '2026-01-01', '2026-12-31')
    const reconciled = performance.now() - t
    console.log(`835: bare x12-parser pass over the ${(text.length / 1e6).toFixed(1)} MB file (${segs} segments): ${bareX12.toFixed(0)} ms`)
    console.log(`835: ${CLAIMS} claims parsed, balanced, matched and posted: ${imported.toFixed(0)} ms (${(imported / bareX12).toFixed(1)}× the bare parse) → ${r.transactions[0]?.outcome}; reconciliation page: ${reconciled.toFixed(0)} ms (paid ${rec.claims.partial + rec.claims.paid}, denied ${rec.claims.denied})`)
  } finally {
    await engine.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
