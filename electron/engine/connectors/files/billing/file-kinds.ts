/**
 * Billing files as file kinds, so part 1's file jobs carry them: inbound `remittance-835` and
 * `deposits` (picked up, stored once per content, then imported through the same service as
 * `billing.importRemittance` / `billing.importDeposits`) and outbound `claims-837p` (claim files
 * written through the outbound drop: temporary name, then rename, under the job's naming).
 */
import { AppError } from '../../../../../shared/errors'
import type { InboundFileKind, OutboundFileKind } from '../kinds/file-kind'
import type { RowEntry } from '../kinds/row-ledger'
import { joinPath } from '../transports/transport'
import { delimitersOf, normaliseX12 } from '../x12/x12-segments'
import type { BillingService, RemitImportResult } from './billing-service'

export function billingFileKinds(billing: BillingService, alert: (practiceId: string, title: string, message: string) => void): [InboundFileKind, InboundFileKind, OutboundFileKind] {
  const remittance: InboundFileKind = {
    kind: 'remittance-835',
    direction: 'inbound',
    label: 'Remittance (X12 835)',
    defaultMappingKey: null,
    contentType: 'text',
    // Structure only: an interchange with an 835 in it. Balancing is the import's business.
    check(bytes) {
      const text = normaliseX12(bytes)
      const d = delimitersOf(text)
      const segments = text.split(d.segment).map((x) => x.trim())
      if (!segments.some((x) => x.startsWith(`ST${d.element}835${d.element}`))) {
        throw new AppError('parse_error', 'The interchange holds no 835 transaction set (no ST*835 segment).', { retryable: false })
      }
      return { rows: segments.filter((x) => x.startsWith(`CLP${d.element}`)).length, summary: { standard: 'X12 835' } }
    },
    async apply({ bytes, job, fileName }, _pctx, ledger) {
      // A restarted file whose import was recorded is done. The posting and its ledger entries
      // commit together (the ledger's commit nests in the import's transaction), so a crash leaves
      // either both or neither: never a posted file whose report would say "already posted".
      if (ledger.doneLines().size > 0) return undefined
      const record = (r: RemitImportResult): void => {
        const entries: RowEntry[] = r.transactions.map((t, i) => ({
          line: i + 1,
          outcome: t.outcome === 'posted' ? 'created' : t.outcome === 'duplicate' ? 'unchanged' : 'rejected',
          recordId: t.remittanceId,
          extId: t.trace,
          detail: { outcome: t.outcome, claims: t.claims, problems: t.problems },
        }))
        ledger.commit(() => ({ entries, result: null }))
      }
      const r = await billing.importRemittance(job.practiceId, fileName, bytes, `file job ${job.id}`, record)
      const unbalanced = r.transactions.filter((t) => t.outcome === 'unbalanced')
      if (unbalanced.length > 0) alert(job.practiceId, `Remittance ${fileName} does not balance`, `${unbalanced.length} of ${r.transactions.length} payment(s) do not balance; nothing of the file was posted. ${unbalanced[0]?.problems[0] ?? ''}`)
      const n = (o: string): number => r.transactions.filter((t) => t.outcome === o).length
      return `${r.transactions.length} payment(s): ${n('posted')} posted, ${n('duplicate')} already posted, ${n('unbalanced')} unbalanced; ${r.depositsMatched} deposit(s) matched`
    },
  }
  const deposits: InboundFileKind = {
    kind: 'deposits',
    direction: 'inbound',
    label: 'Bank deposits (CSV)',
    defaultMappingKey: null,
    contentType: 'csv',
    check(bytes) {
      const lines = bytes.toString('utf8').split(/\r?\n/).filter((l) => l.trim() !== '')
      return { rows: Math.max(lines.length - 1, 0), summary: { format: 'csv' } }
    },
    async apply({ bytes, job, fileName }, _pctx, ledger) {
      // Deposits and their ledger lines commit together; a deposit seen before is skipped by the import.
      const r = ledger.commit(() => {
        const out = billing.importDeposits(job.practiceId, fileName, bytes.toString('utf8'), `file job ${job.id}`)
        return { entries: out.rejected.map((x) => ({ line: x.line, outcome: 'rejected' as const, detail: { reasons: [x.message] } })), result: out }
      })
      return `${r.created} deposit(s) created, ${r.duplicate} already known, ${r.rejected.length} rejected; ${r.matched} matched to remittances`
    },
  }
  const claims: OutboundFileKind = {
    kind: 'claims-837p',
    direction: 'outbound',
    label: 'Claim file (X12 837P)',
    defaultMappingKey: null,
    // A file generated earlier and not yet handed to a job goes first (a crash between writing the
    // claims and storing the file leaves one); otherwise the pending charges make a new one.
    async produce(job, ctx) {
      const waiting = billing.store
        .undeliveredFiles(job.practiceId)
        .map((id) => billing.store.file(job.practiceId, id))
        .find((f) => f?.format === '837p')
      const file = waiting ?? (() => {
        const g = billing.generate(job.practiceId, { format: '837p' }, `file job ${job.id}`)
        return g.file ? billing.store.file(job.practiceId, g.file.id) : null
      })()
      if (!file) return null
      return {
        content: Buffer.from(file.content, 'latin1'),
        rows: file.claimCount,
        contentType: 'text',
        onStored: ({ name }) => billing.store.markDelivered(file.id, joinPath(job.config.folder, name), ctx.clock.now()),
      }
    },
  }
  return [remittance, deposits, claims]
}
