/**
 * The daily demographics import. Each row: read (line number kept) → mapped and validated
 * through the job's mapping set → matched to a patient (this source's id first, then the
 * product's patient matcher) → reconciled field by field under the practice's policy → applied.
 * Rows are committed in chunks together with their row-ledger entries, so a restarted file goes
 * on after the last committed line and never applies a row twice. A bad row is rejected with its
 * reasons and the rest of the file goes on.
 */
import { createHash } from 'node:crypto'
import { AppError } from '../../../../../../shared/errors'
import { reconciliationPolicySchema, RECONCILED_FIELDS, type ReconciliationPolicy } from '../../../../../../shared/files'
import { patientSchema } from '../../../../../../shared/records'
import { csvRowAccessor, evaluateMapping, jsonAccessor, type MappingContext } from '../../../../mapping'
import type { MatchOutcome, PatientMatcher } from '../../../../matching/patient-matcher'
import { SavepointsNeeded, withoutSavepoints } from '../../../../store/database'
import { readRows, type DataRow, type ReadResult } from '../../formats/read-rows'
import type { FileJob } from '../../jobs/job-repo'
import type { InboundFileKind } from '../file-kind'
import type { RowEntry } from '../row-ledger'
import { FieldChangesRepo } from './field-changes-repo'
import { ChunkLookup } from './chunk-lookup'
import { canonical, reconcile } from './reconcile'

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
  /**
   * The rows `check` read, for the `apply` that follows it with the same bytes (known by their
   * hash and format): the file is parsed once instead of twice (~15 µs a row). One file only, for
   * a minute (a file found to be a duplicate is never applied); any other apply reads its bytes itself.
   */
  let checked: { key: string; read: ReadResult } | null = null
  let forget: NodeJS.Timeout | undefined
  const keyOf = (bytes: Buffer, job: FileJob): string => `${createHash('sha256').update(bytes).digest('hex')} ${JSON.stringify(job.config.format)}`
  return {
    kind: 'demographics',
    direction: 'inbound',
    label: 'Patient demographics (daily import)',
    defaultMappingKey: DEMOGRAPHICS_MAPPING,
    contentType: 'csv',

    check(bytes, job, ctx) {
      const set = ctx.mappings.effective(job.practiceId, mappingKey(job)).set
      const read = readRows(bytes, job.config.format)
      const { header, rows, encoding } = read
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
      checked = { key: keyOf(bytes, job), read }
      clearTimeout(forget)
      forget = setTimeout(() => (checked = null), 60_000).unref()
      return { rows: rows.length, summary: { encoding, columns: header.length, unexpectedColumns: unexpected.slice(0, 50), mappingSet: set.key } }
    },

    async apply({ bytes, job, txId }, pctx, ledger, ctx) {
      const practice = ctx.practices.get(job.practiceId)
      const policy: ReconciliationPolicy = practice.settings.fileReconciliation ?? reconciliationPolicySchema.parse({})
      const eff = ctx.mappings.effective(job.practiceId, mappingKey(job))
      const mctx: MappingContext = { practiceId: job.practiceId, defaultTimeZone: practice.timeZone, now: () => ctx.clock.now() }
      const { rows, encoding } = await pctx.step('read', () => {
        const key = checked ? keyOf(bytes, job) : null
        const read = checked && checked.key === key ? checked.read : readRows(bytes, job.config.format)
        checked = null
        return read
      })
      const done = ledger.doneLines()
      const todo = rows.filter((r) => !done.has(r.line))
      pctx.setParsed({ rows: rows.length, alreadyApplied: rows.length - todo.length, encoding, mappingSet: eff.set.key, mappingVersion: eff.version ?? null })
      const changes = new FieldChangesRepo(ctx.db)
      const matcher = deps.matcher()
      // Read once per file, like the reconciliation policy above: every row of a file is matched under the same settings.
      const matcherSettings = matcher?.settingsOf(job.practiceId)
      const source = sourceOf(job)
      // An inbound set building a nested patient has already checked the record against patientSchema (evaluate-mapping's recordIssues).
      const schemaChecked = eff.set.record === 'patient' && eff.set.direction === 'inbound' && (eff.set.output ?? 'nested') === 'nested'
      type Mapped = { row: DataRow; data: Record<string, unknown>; extId: string }
      /** Read, mapped and validated: a row to apply, or its rejection. */
      const mapRow = (row: DataRow): Mapped | RowEntry => {
        if (row.problem) return { line: row.line, outcome: 'rejected', detail: { reasons: [row.problem] } }
        const accessor = job.config.format.type === 'csv' ? csvRowAccessor(row.values as Record<string, string | undefined>) : jsonAccessor(row.values)
        const m = evaluateMapping(eff.set, accessor, mctx)
        if (m.codeMisses.length) ctx.mappings.recordMisses(job.practiceId, eff.set.key, m.codeMisses, txId)
        if (!m.ok) return { line: row.line, outcome: 'rejected', detail: { reasons: m.errors.map((e) => `${e.target}: ${e.message}`) } }
        const shape = schemaChecked ? null : patientSchema.safeParse(m.output)
        if (shape && !shape.success) return { line: row.line, outcome: 'rejected', detail: { reasons: shape.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) } }
        const data = m.output as Record<string, unknown>
        return { row, data, extId: String(data.external_id ?? '') }
      }
      const applyRow = ({ row, data, extId }: Mapped, found: ChunkLookup): RowEntry => {
        const now = ctx.clock.now()
        const sent: Record<string, unknown> = {}
        for (const f of RECONCILED_FIELDS) if (data[f] !== undefined) sent[f] = data[f]
        const sentJson = JSON.stringify(sent)

        let existing = found.byExternalId(extId)
        let match: MatchOutcome | null = null
        if (!existing && matcher) {
          match = matcher.match(job.practiceId, data, { settings: matcherSettings })
          if (match.best?.grade === 'certain' && !match.best.trap) {
            existing = found.record(match.best.recordId)
            if (existing) {
              ctx.records.linkExternalId(job.practiceId, 'patient', existing.id, { system: source, value: extId })
              found.linked(extId, existing.id)
            }
          }
        }
        if (!existing) {
          // The chunk's lookup found no patient under this id: created without a second lookup.
          const r = ctx.records.create({ practiceId: job.practiceId, kind: 'patient', ids: [{ system: source, value: extId }], data, txId })
          found.created(extId, r.id)
          changes.setLastSent(job.practiceId, r.id, source, sentJson, txId, row.line, now)
          found.sent(r.id, sentJson)
          matcher?.observe(job.practiceId, r.id, data, { settings: matcherSettings, probe: match?.probe, version: r.version })
          if (match?.best && matcher) {
            // Anything below certain (or a known trap) is never merged: a new patient, and the pair goes to the worklist.
            matcher.propose(job.practiceId, r.id, match.best, { txId, line: row.line, origin: 'file' })
            return { line: row.line, outcome: 'duplicate', recordId: r.id, extId, detail: { candidate: match.best.recordId, grade: match.best.grade, score: round(match.best.score), reasons: match.best.reasons.slice(0, 8) } }
          }
          return { line: row.line, outcome: 'created', recordId: r.id, extId }
        }
        const lastJson = found.lastSentJson(existing.id)
        // A source that sends what it sent last time (most rows of a daily file) needs no parse of it.
        const last = lastJson === null ? null : lastJson === sentJson ? sent : (JSON.parse(lastJson) as Record<string, unknown>)
        const decisions = reconcile(data, existing.data, last, policy, found.held(existing.id))
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
            found.heldAdded(existing.id, `${d.field}\u0000${canonical(d.after)}`)
          } else kept.push(d.field)
        }
        // Unchanged rows write nothing but their ledger entry: the last-sent values only when they differ.
        if (lastJson !== sentJson) {
          changes.setLastSent(job.practiceId, existing.id, source, sentJson, txId, row.line, now)
          found.sent(existing.id, sentJson)
        }
        if (applied.length) {
          // The record as the chunk read it: not read again (a version written since fails as a conflict).
          const r = ctx.records.patch(existing.id, patch, txId, existing)
          found.patched(existing.id)
          matcher?.observe(job.practiceId, r.id, r.after, { settings: matcherSettings, version: r.version })
        }
        const detail = { ...(applied.length ? { applied } : {}), ...(held.length ? { held } : {}), ...(kept.length ? { kept } : {}), ...(match?.best ? { linkedBy: 'matcher', grade: match.best.grade } : {}) }
        const outcome = applied.length ? 'updated' : held.length ? 'held' : 'unchanged'
        return { line: row.line, outcome, recordId: existing.id, extId, detail: Object.keys(detail).length ? detail : null }
      }
      /**
       * A chunk: every row mapped first, then the patients of all its ids read in one go (the
       * lookup), then the rows applied in file order against it.
       */
      const applyChunk = (chunk: readonly DataRow[]): RowEntry[] => {
        const mapped = chunk.map(mapRow)
        const extIds: string[] = []
        for (const m of mapped) if ('data' in m) extIds.push(m.extId)
        const found = new ChunkLookup(ctx.records, changes, job.practiceId, source, extIds)
        const apply = (): RowEntry[] => mapped.map((m) => ('data' in m ? applyRow(m, found) : m))
        // The chunk holds the write lock and observes every patient it writes: the matcher need not read them back.
        return matcher ? matcher.ownWrites(job.practiceId, apply) : apply()
      }

      /**
       * A chunk and its ledger entries in one commit, first without a savepoint a row (the records'
       * own, ~25–40 µs a row: store/database.ts withoutSavepoints); if one was needed, the chunk is
       * taken back and runs again with them, which gives a failing row its own error.
       */
      const commitChunk = (chunk: readonly DataRow[]): void => {
        try {
          ledger.commit(() => ({ entries: withoutSavepoints(ctx.db, () => applyChunk(chunk)), result: undefined }))
        } catch (e) {
          // The matcher observed patients of a write that was taken back: it reads them again.
          matcher?.invalidate(job.practiceId)
          if (!(e instanceof SavepointsNeeded)) throw e
          ledger.commit(() => ({ entries: applyChunk(chunk), result: undefined }))
        }
      }

      let applied = 0
      await pctx.step('rows', async () => {
        for (let i = 0; i < todo.length; i += CHUNK) {
          if (pctx.signal.aborted) throw new AppError('timeout', 'The engine is stopping; the file goes on from this line at the next start.', { retryable: true })
          commitChunk(todo.slice(i, i + CHUNK))
          applied += Math.min(CHUNK, todo.length - i)
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
