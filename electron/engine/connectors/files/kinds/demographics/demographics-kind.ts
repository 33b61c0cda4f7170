/**
 * The daily demographics import. Each row: read (line number kept) → mapped and validated
 * through the job's mapping set → matched to a patient (this source's id first, then the
 * product's patient matcher) → reconciled field by field under the practice's policy → applied.
 * Rows are committed in chunks together with their row-ledger entries, so a restarted file goes
 * on after the last committed line and never applies a row twice. A bad row is rejected with its
 * reasons and the rest of the file goes on.
 */
import { AppError } from '../../../../../../shared/errors'
import { reconciliationPolicySchema, RECONCILED_FIELDS, type ReconciliationPolicy } from '../../../../../../shared/files'
import { patientSchema } from '../../../../../../shared/records'
import { csvRowAccessor, evaluateMapping, jsonAccessor, type MappingContext } from '../../../../mapping'
import type { MatchOutcome, PatientMatcher } from '../../../../matching/patient-matcher'
import { readRows, type DataRow } from '../../formats/read-rows'
import type { FileJob } from '../../jobs/job-repo'
import type { InboundFileKind } from '../file-kind'
import type { RowEntry } from '../row-ledger'
import { FieldChangesRepo } from './field-changes-repo'
import { reconcile } from './reconcile'

export const DEMOGRAPHICS_MAPPING = 'files.demographics.in'
const CHUNK = 1000

export function sourceOf(job: FileJob): string {
  return `file:${job.id}`
}

function mappingKey(job: FileJob): string {
  return job.config.mappingKey ?? DEMOGRAPHICS_MAPPING
}

/** The CSV columns a mapping set reads (its field sources), and those it requires. */
function expectedColumns(fields: readonly { source?: string | string[]; required?: boolean }[]): { all: string[]; required: string[] } {
  const all: string[] = []
  const required: string[] = []
  for (const f of fields) {
    const srcs = f.source === undefined ? [] : Array.isArray(f.source) ? f.source : [f.source]
    all.push(...srcs)
    if (f.required && srcs.length === 1) required.push(srcs[0]!)
  }
  return { all: [...new Set(all)], required: [...new Set(required)] }
}

export function createDemographicsKind(deps: { matcher: () => PatientMatcher | null }): InboundFileKind {
  return {
    kind: 'demographics',
    direction: 'inbound',
    label: 'Patient demographics (daily import)',
    defaultMappingKey: DEMOGRAPHICS_MAPPING,
    contentType: 'csv',

    check(bytes, job, ctx) {
      const set = ctx.mappings.effective(job.practiceId, mappingKey(job)).set
      const { header, rows, encoding } = readRows(bytes, job.config.format)
      const fold = (s: string): string => s.trim().toLowerCase()
      const have = new Set(header.map(fold))
      const { all, required } = expectedColumns(set.fields ?? [])
      if (job.config.format.type === 'csv') {
        const missing = required.filter((c) => !have.has(fold(c)))
        if (missing.length) {
          throw new AppError('validation_error', `The header does not match mapping set ${set.key}: missing ${missing.join(', ')} (line 1 has ${header.slice(0, 20).join(', ')}${header.length > 20 ? ', …' : ''}).`, {
            retryable: false,
            details: { line: 1, missing, found: header.slice(0, 50) },
          })
        }
      }
      const known = new Set(all.map(fold))
      const unexpected = header.filter((h) => !known.has(fold(h)))
      return { rows: rows.length, summary: { encoding, columns: header.length, unexpectedColumns: unexpected.slice(0, 50), mappingSet: set.key } }
    },

    async apply({ bytes, job, txId }, pctx, ledger, ctx) {
      const practice = ctx.practices.get(job.practiceId)
      const policy: ReconciliationPolicy = practice.settings.fileReconciliation ?? reconciliationPolicySchema.parse({})
      const eff = ctx.mappings.effective(job.practiceId, mappingKey(job))
      const mctx: MappingContext = { practiceId: job.practiceId, defaultTimeZone: practice.timeZone, now: () => ctx.clock.now() }
      const { rows, encoding } = await pctx.step('read', () => readRows(bytes, job.config.format))
      const done = ledger.doneLines()
      const todo = rows.filter((r) => !done.has(r.line))
      pctx.setParsed({ rows: rows.length, alreadyApplied: rows.length - todo.length, encoding, mappingSet: eff.set.key, mappingVersion: eff.version ?? null })
      const changes = new FieldChangesRepo(ctx.db)
      const matcher = deps.matcher()
      // Read once per file, like the reconciliation policy above: every row of a file is matched under the same settings.
      const matcherSettings = matcher?.settingsOf(job.practiceId)
      const source = sourceOf(job)
      const applyRow = (row: DataRow): RowEntry => {
        if (row.problem) return { line: row.line, outcome: 'rejected', detail: { reasons: [row.problem] } }
        const accessor = job.config.format.type === 'csv' ? csvRowAccessor(row.values as Record<string, string | undefined>) : jsonAccessor(row.values)
        const m = evaluateMapping(eff.set, accessor, mctx)
        if (m.codeMisses.length) ctx.mappings.recordMisses(job.practiceId, eff.set.key, m.codeMisses, txId)
        if (!m.ok) return { line: row.line, outcome: 'rejected', detail: { reasons: m.errors.map((e) => `${e.target}: ${e.message}`) } }
        const shape = patientSchema.safeParse(m.output)
        if (!shape.success) return { line: row.line, outcome: 'rejected', detail: { reasons: shape.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) } }
        const data = m.output as Record<string, unknown>
        const extId = String(data.external_id ?? '')
        const now = ctx.clock.now()
        const sent: Record<string, unknown> = {}
        for (const f of RECONCILED_FIELDS) if (data[f] !== undefined) sent[f] = data[f]

        let existing = ctx.records.findByExternalId(job.practiceId, 'patient', source, extId)
        let match: MatchOutcome | null = null
        if (!existing && matcher) {
          match = matcher.match(job.practiceId, data, { settings: matcherSettings })
          if (match.best?.grade === 'certain' && !match.best.trap) {
            existing = ctx.records.get(match.best.recordId)
            if (existing) ctx.records.linkExternalId(job.practiceId, 'patient', existing.id, { system: source, value: extId })
          }
        }
        if (!existing) {
          const r = ctx.records.upsert({ practiceId: job.practiceId, kind: 'patient', ids: [{ system: source, value: extId }], data, txId })
          changes.setLastSent(job.practiceId, r.id, source, sent, txId, row.line, now)
          matcher?.observe(job.practiceId, r.id, data, { settings: matcherSettings, probe: match?.probe })
          if (match?.best && matcher) {
            // Anything below certain (or a known trap) is never merged: a new patient, and the pair goes to the worklist.
            matcher.propose(job.practiceId, r.id, match.best, { txId, line: row.line, origin: 'file' })
            return { line: row.line, outcome: 'duplicate', recordId: r.id, extId, detail: { candidate: match.best.recordId, grade: match.best.grade, score: round(match.best.score), reasons: match.best.reasons.slice(0, 8) } }
          }
          return { line: row.line, outcome: 'created', recordId: r.id, extId }
        }
        const last = changes.lastSent(existing.id, source)
        const decisions = reconcile(data, existing.data, last, policy, changes.heldKeys(existing.id))
        const patch: Record<string, unknown> = {}
        const applied: string[] = []
        const held: string[] = []
        const kept: string[] = []
        for (const d of decisions) {
          if (d.action === 'apply') {
            patch[d.field] = d.after
            applied.push(d.field)
            changes.add({ practiceId: job.practiceId, recordId: existing.id, field: d.field, oldValue: d.before, newValue: d.after, source, txId, line: row.line, policy: d.policy, status: 'applied' }, now)
          } else if (d.action === 'hold') {
            held.push(d.field)
            changes.add({ practiceId: job.practiceId, recordId: existing.id, field: d.field, oldValue: d.before, newValue: d.after, source, txId, line: row.line, policy: d.policy, status: 'held' }, now)
          } else kept.push(d.field)
        }
        if (!last || JSON.stringify(last) !== JSON.stringify(sent)) changes.setLastSent(job.practiceId, existing.id, source, sent, txId, row.line, now)
        if (applied.length) {
          const r = ctx.records.patch(existing.id, patch, txId)
          matcher?.observe(job.practiceId, r.id, r.after, { settings: matcherSettings })
        }
        const detail = { ...(applied.length ? { applied } : {}), ...(held.length ? { held } : {}), ...(kept.length ? { kept } : {}), ...(match?.best ? { linkedBy: 'matcher', grade: match.best.grade } : {}) }
        const outcome = applied.length ? 'updated' : held.length ? 'held' : 'unchanged'
        return { line: row.line, outcome, recordId: existing.id, extId, detail: Object.keys(detail).length ? detail : null }
      }

      let applied = 0
      await pctx.step('rows', async () => {
        for (let i = 0; i < todo.length; i += CHUNK) {
          if (pctx.signal.aborted) throw new AppError('timeout', 'The engine is stopping; the file goes on from this line at the next start.', { retryable: true })
          const chunk = todo.slice(i, i + CHUNK)
          ledger.commit(() => ({ entries: chunk.map(applyRow), result: undefined }))
          applied += chunk.length
          // Let sockets and other lanes breathe between chunks.
          await new Promise((r) => setImmediate(r))
        }
      })
      pctx.setMapped({ applied, skippedAlreadyApplied: rows.length - todo.length })
    },
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100
}
