/**
 * What the mapping studio does, on top of the mapping store: live preview of a draft on a sample
 * (with per-row values, errors and a per-transform trace), sample trees with PHI masked until a
 * reveal, test runs, publish-after-tests, version diffs, export/import, code-map CSV, and the
 * unmapped-codes worklist (add the entry, then reprocess the transactions that failed on it).
 * The API handlers are one line each on top of this.
 */
import type {
  EffectiveView,
  MappingEditorState,
  MappingSetSummary,
  MissRow,
  PreviewResult,
  Sample,
  SampleRef,
  SampleSourceItem,
  SampleTree,
  TestRun,
  TraceStep,
  VersionRef,
  VersionSummary,
  WhereUsed,
} from '../../../shared/api/mappings'
import { AppError, isAppError } from '../../../shared/errors'
import {
  mappingOverrideSchema,
  mappingSetSchema,
  type FieldMap,
  type MappingOverride,
  type MappingSet,
  type MappingSetDiff,
  type MappingTest,
} from '../../../shared/mapping'
import type { AuditLog } from '../audit/audit-log'
import { parseJsonWithPositions, positionOf, JsonSyntaxError } from '../config/json-locate'
import type { Clock } from '../core/clock'
import { diffMappingSets, evaluateMapping, lintMappingSet, listTargetPaths, runMappingTests, type MappingContext } from '../mapping'
import { sourcesOf } from '../mapping/evaluate-mapping'
import type { Pipeline } from '../pipeline/pipeline'
import type { TransactionsRepo } from '../pipeline/transactions-repo'
import type { PracticesRepo } from '../practices/practices-repo'
import type { Db } from '../store/database'
import { codeMapFromCsv, codeMapToCsv } from './code-map-csv'
import type { MappingStore, MappingVersion, StoredSample } from './mapping-store'
import { codeKey, codeMapsUsed, overrideChanges, overrideFromSet, withCodeMap, withCodeMapEntry } from './override-edits'
import { isPhiSourcePath, isPhiTargetPath, maskLeaves, maskValue } from './phi'
import { accessorForRecord, detectSampleKind, kindForSet, parseSample, studioAccessorFor, testInputFor, usesFhirPath, type SampleRecord } from './sample-readers'
import { buildSampleTree } from './sample-tree'

export const EXPORT_FORMAT = 'practice-studio-mapping'
export const EXPORT_VERSION = 1

export interface StudioDeps {
  db: Db
  mappings: MappingStore
  practices: PracticesRepo
  txRepo: TransactionsRepo
  pipeline: Pipeline
  audit: AuditLog
  clock: Clock
}

const CONTENT_KIND: Record<string, 'hl7' | 'json' | 'csv' | undefined> = { hl7v2: 'hl7', json: 'json', csv: 'csv' }

export class MappingStudio {
  constructor(private readonly d: StudioDeps) {}

  private get store(): MappingStore {
    return this.d.mappings
  }

  context(practiceId: string): MappingContext {
    const p = this.d.practices.get(practiceId)
    const now = this.d.clock.now()
    return { practiceId, defaultTimeZone: p.timeZone, now: () => now, lookupDepartmentTimeZone: (id) => this.store.departmentTimeZone(practiceId, id) }
  }

  /** The override the editor works on: the one given, else the live one, else none. */
  private overrideOf(practiceId: string, key: string, override: MappingOverride | null | undefined): MappingOverride {
    if (override) return { ...override, baseKey: key }
    return this.store.latestVersion(practiceId, key)?.override ?? { baseKey: key }
  }

  effectiveView(practiceId: string, key: string, override: MappingOverride | null): EffectiveView {
    this.d.practices.get(practiceId)
    const eff = this.store.withOverride(key, this.overrideOf(practiceId, key, override))
    return { set: eff.set, provenance: eff.provenance, codeMapEntries: eff.codeMapEntries, lint: lintMappingSet(eff.set) }
  }

  // ---- sets ----------------------------------------------------------------------------------

  sets(practiceId: string): MappingSetSummary[] {
    this.d.practices.get(practiceId)
    return this.store.defaultKeys().map((key) => {
      const shipped = this.store.shipped(key)
      const live = this.store.latestVersion(practiceId, key)
      const draft = this.store.draft(practiceId, key)
      const { overridden, added, removed } = overrideChanges(shipped, live?.override ?? null)
      return {
        key,
        name: live?.override.name ?? shipped.name,
        description: shipped.description ?? null,
        format: shipped.format,
        direction: shipped.direction,
        record: shipped.record,
        liveVersion: live?.version ?? null,
        liveAt: live?.createdAt ?? null,
        draft: draft ? { updatedAt: draft.updatedAt, updatedBy: draft.updatedBy, basedOn: draft.basedOn } : null,
        changes: { overridden, added, removed },
        fieldCount: this.store.effective(practiceId, key).set.fields.length,
        testCount: this.store.effective(practiceId, key).set.tests.length,
        openMisses: this.store.openMissCount(practiceId, key),
      }
    })
  }

  editorState(practiceId: string, key: string): MappingEditorState {
    const practice = this.d.practices.get(practiceId)
    const shipped = this.store.shipped(key)
    const live = this.store.latestVersion(practiceId, key)
    const draft = this.store.draft(practiceId, key)
    const current = this.store.withOverride(key, draft?.override ?? live?.override ?? null).set
    return {
      practiceId,
      practiceTimeZone: practice.timeZone,
      shipped,
      live: live ? { version: live.version, override: live.override, author: live.author, createdAt: live.createdAt } : null,
      draft: draft ? { override: draft.override, basedOn: draft.basedOn, updatedAt: draft.updatedAt, updatedBy: draft.updatedBy } : null,
      targetPaths: listTargetPaths(shipped.record, current.customFields),
      whereUsed: this.whereUsed(practiceId, current),
      openMisses: this.store.openMissCount(practiceId, key),
    }
  }

  /** Per code map of `current`: the fields using a map of that name, in this set and the practice's others. */
  whereUsed(practiceId: string, current: MappingSet): Record<string, WhereUsed[]> {
    const out: Record<string, WhereUsed[]> = Object.fromEntries(current.codeMaps.map((m) => [m.name, [] as WhereUsed[]]))
    for (const key of this.store.defaultKeys()) {
      const set = key === current.key ? current : this.store.effective(practiceId, key).set
      for (const f of set.fields) {
        for (const name of codeMapsUsed(f.transforms)) {
          out[name]?.push({ setKey: key, setName: set.name, fieldId: f.id, target: f.target, sameSet: key === current.key })
        }
      }
    }
    return out
  }

  saveDraft(practiceId: string, key: string, override: MappingOverride, actor: string): { updatedAt: number; basedOn: number | null; lint: ReturnType<typeof lintMappingSet> } {
    this.d.practices.get(practiceId)
    this.store.saveDraft(practiceId, key, override, actor)
    const d = this.store.draft(practiceId, key)!
    return { updatedAt: d.updatedAt, basedOn: d.basedOn, lint: lintMappingSet(this.store.withOverride(key, d.override).set) }
  }

  discardDraft(practiceId: string, key: string): boolean {
    const had = this.store.draft(practiceId, key) !== null
    this.store.discardDraft(practiceId, key)
    return had
  }

  // ---- samples -------------------------------------------------------------------------------

  private sampleOut(s: StoredSample): Sample {
    return { id: s.id, name: s.name, kind: s.kind, origin: s.origin, txId: s.txId, sensitive: s.sensitive, createdAt: s.createdAt, createdBy: s.createdBy }
  }

  listSamples(practiceId: string): Sample[] {
    this.d.practices.get(practiceId)
    return this.store.samples(practiceId).map((s) => this.sampleOut(s))
  }

  addSample(practiceId: string, input: { name: string; text: string; kind?: 'hl7' | 'json' | 'csv' }, actor: string): Sample {
    this.d.practices.get(practiceId)
    const kind = input.kind ?? detectSampleKind(input.text)
    try {
      parseSample(kind, input.text)
    } catch (e) {
      throw new AppError('invalid_input', isAppError(e) ? e.message : 'the file cannot be read', { details: { issues: [{ path: 'text', message: isAppError(e) ? e.message : 'unreadable' }] } })
    }
    return this.sampleOut(this.store.addSample(practiceId, { name: input.name, kind, origin: 'file', text: input.text, sensitive: false }, actor))
  }

  removeSample(practiceId: string, id: number): boolean {
    return this.store.removeSample(practiceId, id)
  }

  sources(practiceId: string): { name: string; label: string; description: string; sensitive: boolean }[] {
    this.d.practices.get(practiceId)
    const registered = this.store.sampleSources().map(({ name, source }) => ({ name, label: source.label, description: source.description, sensitive: source.sensitive ?? false }))
    const builtin = registered.filter((s) => s.name === 'builtin')
    return [
      ...builtin,
      { name: 'transactions', label: 'Stored transactions', description: 'The payload of a transaction this practice received or sent; patient data stays masked until you reveal it', sensitive: true },
      ...registered.filter((s) => s.name !== 'builtin'),
    ]
  }

  async browse(practiceId: string, source: string, key: string | undefined, q: string | undefined): Promise<SampleSourceItem[]> {
    this.d.practices.get(practiceId)
    const set = key ? this.store.shipped(key) : null
    const wanted = set ? kindForSet(set) : null
    if (source === 'transactions') {
      const page = this.d.txRepo.list({ practiceId, ...(q ? { q } : {}), limit: 100 })
      return page.items.flatMap((t) => {
        const row = this.d.txRepo.get(t.id)
        const kind = row ? CONTENT_KIND[row.content_type] : undefined
        if (!kind) return []
        const when = new Date(t.receivedAt).toISOString().replace('T', ' ').slice(0, 19)
        return [
          {
            id: String(t.id),
            label: `#${t.id} ${t.messageType ?? t.connector} · ${t.status}${t.errorCode ? ` (${t.errorCode})` : ''}`,
            detail: `${t.connector}/${t.channel} · ${t.direction === 'in' ? 'received' : 'sent'} ${when} UTC`,
            kind,
            suits: wanted === null || (kind === wanted && (set?.direction === 'inbound') === (t.direction === 'in')),
          },
        ]
      })
    }
    const src = this.store.sampleSource(source)
    const items = await src.list(practiceId, { ...(q ? { q } : {}) })
    const needle = q?.trim().toLowerCase()
    return items
      .filter((i) => !needle || i.label.toLowerCase().includes(needle) || (i.detail ?? '').toLowerCase().includes(needle))
      .map((i) => ({ id: i.id, label: i.label, detail: i.detail ?? null, kind: i.kind, suits: set ? (i.suits ? i.suits(set) : i.kind === wanted) : true }))
  }

  async importSample(practiceId: string, source: string, id: string, actor: string): Promise<Sample> {
    this.d.practices.get(practiceId)
    const existing = this.store.findSample(practiceId, source === 'transactions' ? 'transaction' : source, id)
    if (existing) return this.sampleOut(existing)
    if (source === 'transactions') {
      const txId = Number(id)
      const row = Number.isInteger(txId) ? this.d.txRepo.get(txId) : undefined
      if (!row || row.practice_id !== practiceId) throw new AppError('not_found', `Transaction ${id} does not exist for practice "${practiceId}".`)
      const kind = CONTENT_KIND[row.content_type]
      if (!kind) throw new AppError('unsupported_message', `Transaction ${id} holds ${row.content_type}, which the studio cannot read.`)
      const s = this.store.addSample(
        practiceId,
        { name: `Transaction #${txId} ${row.message_type ?? row.connector}`, kind, origin: 'transaction', originRef: String(txId), txId, sensitive: true },
        actor,
      )
      this.d.audit.append({ actor, action: 'mapping.sample_from_transaction', practiceId, targetType: 'transaction', targetId: String(txId), details: { sampleId: s.id } })
      return this.sampleOut(s)
    }
    const src = this.store.sampleSource(source)
    const loaded = await src.load(practiceId, id)
    const kind = loaded.kind ?? detectSampleKind(loaded.text)
    parseSample(kind, loaded.text)
    return this.sampleOut(
      this.store.addSample(practiceId, { name: loaded.name, kind, origin: source, originRef: id, text: loaded.text, sensitive: src.sensitive ?? false }, actor),
    )
  }

  private sampleText(practiceId: string, s: StoredSample): string {
    if (s.content !== null) return s.content
    const row = s.txId !== null ? this.d.txRepo.get(s.txId) : undefined
    if (!row || row.practice_id !== practiceId) throw new AppError('not_found', `The transaction behind sample ${s.id} no longer exists.`)
    return this.d.txRepo.currentPayload(row).toString('utf8')
  }

  private isMasked(practiceId: string, s: StoredSample): { masked: boolean; revealedUntil: number | null } {
    const revealedUntil = this.store.revealedUntil(practiceId, s.id)
    return { masked: s.sensitive && revealedUntil === null, revealedUntil }
  }

  /** The record at `ref`, or why it cannot be read by `set`. */
  private readSample(practiceId: string, set: MappingSet, ref: SampleRef): { sample: StoredSample; rec: SampleRecord | null; rows: number; rowLabels: string[]; error: string | null } {
    const sample = this.store.sample(practiceId, ref.id)
    const wanted = kindForSet(set)
    if (sample.kind !== wanted) {
      return { sample, rec: null, rows: 0, rowLabels: [], error: `${set.name} reads ${wanted.toUpperCase()} samples; this sample is ${sample.kind.toUpperCase()}.` }
    }
    try {
      const parsed = parseSample(sample.kind, this.sampleText(practiceId, sample))
      const row = Math.min(ref.row ?? 0, parsed.rows - 1)
      return { sample, rec: parsed.record(row), rows: parsed.rows, rowLabels: parsed.rowLabels, error: null }
    } catch (e) {
      if (isAppError(e) && e.code !== 'parse_error') throw e
      return { sample, rec: null, rows: 0, rowLabels: [], error: isAppError(e) ? e.message : 'the sample cannot be read' }
    }
  }

  /** Source paths whose values end up in PHI targets in this set. */
  private phiSources(set: MappingSet): Set<string> {
    const out = new Set<string>()
    for (const f of set.fields) if (isPhiTargetPath(f.target, set.customFields)) for (const s of sourcesOf(f)) out.add(s)
    return out
  }

  tree(practiceId: string, key: string, ref: SampleRef): SampleTree {
    const set = this.store.effective(practiceId, key).set
    const r = this.readSample(practiceId, set, ref)
    const { masked, revealedUntil } = this.isMasked(practiceId, r.sample)
    const phiSources = this.phiSources(set)
    const tree = r.rec
      ? buildSampleTree(r.rec, { fhirPath: usesFhirPath(set), mask: masked ? (p) => isPhiSourcePath(p) || phiSources.has(p) : null })
      : []
    // Row labels quote the first columns of a row (names, birth dates in a CSV): numbers only while masked.
    const rowLabels = masked && r.sample.kind !== 'hl7' ? r.rowLabels.map((_l, i) => `${i + 1}`) : r.rowLabels
    return { kind: r.sample.kind, rows: r.rows, row: Math.min(ref.row ?? 0, Math.max(r.rows - 1, 0)), rowLabels, tree, masked, revealedUntil, error: r.error }
  }

  reveal(practiceId: string, id: number, reason: string, actor: string): number {
    return this.store.revealSample(practiceId, id, reason, actor)
  }

  // ---- preview -------------------------------------------------------------------------------

  preview(practiceId: string, key: string, override: MappingOverride | null, ref: SampleRef, traceFieldId?: string): PreviewResult {
    const effective = this.effectiveView(practiceId, key, override)
    const set = effective.set
    const r = this.readSample(practiceId, set, ref)
    const { masked } = this.isMasked(practiceId, r.sample)
    const empty: PreviewResult = { ok: false, inputError: r.error, masked, output: {}, fields: [], recordErrors: [], errors: [], warnings: [], codeMisses: [], effective, trace: null }
    if (!r.rec) return empty
    const ctx = this.context(practiceId)
    const accessor = accessorForRecord(r.rec, set)
    const result = evaluateMapping(set, accessor, ctx)
    const phiRow = (f: FieldMap): boolean => masked && (isPhiTargetPath(f.target, set.customFields) || sourcesOf(f).some(isPhiSourcePath))
    const fields = result.fields.map((fr, i) => {
      const fm = set.fields[i] as FieldMap
      const hide = phiRow(fm)
      return {
        fieldId: fr.fieldId,
        target: fr.target,
        provenance: effective.provenance[fr.fieldId] ?? 'inherited',
        sourceValues: hide ? fr.sourceValues.map(maskValue) : fr.sourceValues,
        value: hide ? maskValue(fr.value) : fr.value,
        masked: hide && fr.value !== null,
        error: fr.error ?? result.errors.find((e) => e.fieldId === fr.fieldId) ?? null,
        warnings: result.warnings.filter((w) => w.fieldId === fr.fieldId),
        codeMisses: result.codeMisses.filter((m) => m.fieldId === fr.fieldId),
      }
    })
    let trace: TraceStep[] | null = null
    const tf = traceFieldId ? set.fields.find((f) => f.id === traceFieldId) : undefined
    if (tf) {
      const hide = phiRow(tf)
      trace = []
      for (let i = 0; i <= tf.transforms.length; i++) {
        const partial: MappingSet = { ...set, direction: 'outbound', output: 'flat', fields: [{ ...tf, target: 'value', transforms: tf.transforms.slice(0, i), required: false, validations: [] }] }
        const fr = evaluateMapping(partial, accessor, ctx).fields[0]
        trace.push({ index: i - 1, op: i === 0 ? 'source' : (tf.transforms[i - 1]?.op ?? ''), value: hide ? maskValue(fr?.value ?? null) : (fr?.value ?? null), error: fr?.error?.message ?? null })
        if (fr?.error) break
      }
    }
    return {
      ok: result.ok,
      inputError: null,
      masked,
      output: masked ? maskLeaves(result.output, (p) => isPhiTargetPath(p, set.customFields)) : result.output,
      fields,
      recordErrors: result.errors.filter((e) => e.fieldId === ''),
      errors: result.errors,
      warnings: result.warnings,
      codeMisses: result.codeMisses,
      effective,
      trace,
    }
  }

  // ---- tests ---------------------------------------------------------------------------------

  runTests(practiceId: string, key: string, override: MappingOverride | null): TestRun {
    const o = this.overrideOf(practiceId, key, override)
    const set = this.store.withOverride(key, o).set
    const results = runMappingTests(set, set.tests, this.context(practiceId), studioAccessorFor)
    const practiceTests = new Set((o.tests ?? []).map((t) => t.name))
    return {
      passed: results.filter((r) => r.passed).length,
      failed: results.filter((r) => !r.passed).length,
      results,
      origin: Object.fromEntries(set.tests.map((t) => [t.name, practiceTests.has(t.name) ? 'practice' : 'shipped'])),
    }
  }

  testFromSample(practiceId: string, key: string, override: MappingOverride | null, ref: SampleRef, name: string): MappingTest {
    const set = this.store.withOverride(key, this.overrideOf(practiceId, key, override)).set
    const r = this.readSample(practiceId, set, ref)
    if (r.sample.sensitive) {
      throw new AppError('forbidden', 'Tests are saved with the mapping set and exported for source control, so they cannot be made from real patient data. Use a file or a built-in sample.')
    }
    if (!r.rec) throw new AppError('invalid_input', r.error ?? 'the sample cannot be read')
    const ctx = this.context(practiceId)
    const result = evaluateMapping(set, accessorForRecord(r.rec, set), ctx)
    const test: MappingTest = {
      name,
      description: `Made from sample "${r.sample.name}"${r.rows > 1 ? ` (row ${(ref.row ?? 0) + 1})` : ''}.`,
      input: testInputFor(r.rec),
      context: { defaultTimeZone: ctx.defaultTimeZone, now: new Date(ctx.now!()).toISOString() },
      expected: result.output,
    }
    if (result.errors.length) test.expectErrors = result.errors.map((e) => ({ target: e.target, code: e.code }))
    return test
  }

  // ---- versions ------------------------------------------------------------------------------

  private versionOut(practiceId: string, key: string, v: MappingVersion, live: number | null): VersionSummary {
    const { overridden, added, removed, codeMaps } = overrideChanges(this.store.shipped(key), v.override)
    return { version: v.version, author: v.author, comment: v.comment, createdAt: v.createdAt, rolledBackFrom: v.rolledBackFrom, live: v.version === live, changes: { overridden, added, removed, codeMaps } }
  }

  publish(
    practiceId: string,
    key: string,
    input: { comment: string; override?: MappingOverride; acceptFailures?: string },
    actor: string,
  ): { published: boolean; version: VersionSummary | null; tests: TestRun } {
    this.d.practices.get(practiceId)
    const o = input.override ?? this.store.draft(practiceId, key)?.override
    if (!o) throw new AppError('conflict', 'There is no draft to publish: change something first.')
    const eff = this.store.withOverride(key, { ...o, baseKey: key })
    const errors = lintMappingSet(eff.set).filter((i) => i.severity === 'error')
    if (errors.length) {
      throw new AppError('config_invalid', `The set has ${errors.length} definition error(s); fix them before publishing: ${errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`).join('; ')}`, {
        details: { issues: errors.map((e) => ({ path: e.path, message: e.message })) },
      })
    }
    const tests = this.runTests(practiceId, key, o)
    if (tests.failed > 0 && !input.acceptFailures) return { published: false, version: null, tests }
    const failedNames = tests.results.filter((r) => !r.passed).map((r) => r.name)
    const v = this.store.publish(practiceId, key, o, input.comment, actor, {
      audit: { tests: { passed: tests.passed, failed: tests.failed }, ...(failedNames.length ? { failedTests: failedNames.slice(0, 50), acceptedFailuresReason: input.acceptFailures } : {}) },
    })
    return { published: true, version: this.versionOut(practiceId, key, v, v.version), tests }
  }

  versions(practiceId: string, key: string): VersionSummary[] {
    this.d.practices.get(practiceId)
    this.store.shipped(key)
    const all = this.store.versions(practiceId, key)
    const live = all[0]?.version ?? null
    return all.map((v) => this.versionOut(practiceId, key, v, live))
  }

  private setAt(practiceId: string, key: string, ref: VersionRef): { set: MappingSet; label: string } {
    if (ref === 0) return { set: this.store.shipped(key), label: 'Shipped default' }
    if (ref === 'live') {
      const e = this.store.effective(practiceId, key)
      return { set: e.set, label: e.version === null ? 'Live (shipped default)' : `Version ${e.version} (live)` }
    }
    if (ref === 'draft') {
      const d = this.store.draft(practiceId, key)
      if (!d) return { ...this.setAt(practiceId, key, 'live'), label: 'Draft (none: same as live)' }
      return { set: this.store.withOverride(key, d.override).set, label: 'Draft' }
    }
    const v = this.store.getVersion(practiceId, key, ref)
    const live = this.store.latestVersion(practiceId, key)?.version
    return { set: this.store.withOverride(key, v.override).set, label: `Version ${ref}${ref === live ? ' (live)' : ''}` }
  }

  diff(practiceId: string, key: string, from: VersionRef, to: VersionRef): { from: string; to: string; diff: MappingSetDiff } {
    this.d.practices.get(practiceId)
    const a = this.setAt(practiceId, key, from)
    const b = this.setAt(practiceId, key, to)
    return { from: a.label, to: b.label, diff: diffMappingSets(a.set, b.set) }
  }

  rollback(practiceId: string, key: string, version: number, actor: string, comment?: string): VersionSummary {
    this.d.practices.get(practiceId)
    const v = this.store.rollback(practiceId, key, version, actor, comment)
    return this.versionOut(practiceId, key, v, v.version)
  }

  // ---- export / import -----------------------------------------------------------------------

  exportSet(practiceId: string, key: string, ref: VersionRef, content: 'override' | 'effective'): { fileName: string; json: string } {
    this.d.practices.get(practiceId)
    let override: MappingOverride
    let version: number | 'draft' | null
    if (ref === 'draft') {
      const d = this.store.draft(practiceId, key)
      override = d?.override ?? this.overrideOf(practiceId, key, null)
      version = d ? 'draft' : (this.store.latestVersion(practiceId, key)?.version ?? null)
    } else if (ref === 'live') {
      const l = this.store.latestVersion(practiceId, key)
      override = l?.override ?? { baseKey: key }
      version = l?.version ?? null
    } else if (ref === 0) {
      override = { baseKey: key }
      version = 0
    } else {
      override = this.store.getVersion(practiceId, key, ref).override
      version = ref
    }
    const { practiceId: _p, ...bare } = override
    const doc =
      content === 'override'
        ? { format: EXPORT_FORMAT, formatVersion: EXPORT_VERSION, setKey: key, practiceId, version, override: bare }
        : { format: EXPORT_FORMAT, formatVersion: EXPORT_VERSION, setKey: key, practiceId, version, set: this.store.withOverride(key, override).set }
    const suffix = version === null ? 'default' : version === 'draft' ? 'draft' : `v${version}`
    return { fileName: `${practiceId}.${key}.${content === 'override' ? 'override' : 'set'}.${suffix}.json`, json: JSON.stringify(doc, null, 2) + '\n' }
  }

  /** Reads an export (override or full set, or a bare one) into the draft. */
  importSet(
    practiceId: string,
    key: string,
    json: string,
    actor: string,
  ): { ok: boolean; issues: { line: number | null; column: number | null; path: string; message: string }[]; override: MappingOverride | null } {
    this.d.practices.get(practiceId)
    const shipped = this.store.shipped(key)
    let parsed: ReturnType<typeof parseJsonWithPositions>
    try {
      parsed = parseJsonWithPositions(json)
    } catch (e) {
      if (e instanceof JsonSyntaxError) return { ok: false, override: null, issues: [{ line: e.position.line, column: e.position.column, path: '', message: e.message }] }
      throw e
    }
    const at = (path: (string | number)[], message: string) => {
      const p = positionOf(parsed.positions, path)
      return { line: p?.line ?? null, column: p?.column ?? null, path: path.join('.'), message }
    }
    const root = parsed.value as Record<string, unknown> | null
    if (root === null || typeof root !== 'object' || Array.isArray(root)) return { ok: false, override: null, issues: [at([], 'expected a JSON object (an exported mapping set or override)')] }
    let prefix: string[] = []
    let body: unknown = root
    if (root.format === EXPORT_FORMAT) {
      if (root.setKey !== undefined && root.setKey !== key) return { ok: false, override: null, issues: [at(['setKey'], `this file is for "${String(root.setKey)}", not "${key}"`)] }
      if (root.override !== undefined) [prefix, body] = [['override'], root.override]
      else if (root.set !== undefined) [prefix, body] = [['set'], root.set]
      else return { ok: false, override: null, issues: [at([], 'the file holds neither "override" nor "set"')] }
    }
    const b = body as Record<string, unknown>
    let override: MappingOverride
    const notes: string[] = []
    if (b && typeof b === 'object' && 'schemaVersion' in b) {
      const r = mappingSetSchema.safeParse(b)
      if (!r.success) return { ok: false, override: null, issues: r.error.issues.map((i) => at([...prefix, ...(i.path as (string | number)[])], i.message)) }
      if (r.data.key !== key) return { ok: false, override: null, issues: [at([...prefix, 'key'], `this set is "${r.data.key}", not "${key}"`)] }
      const conv = overrideFromSet(shipped, r.data)
      override = conv.override
      notes.push(...conv.notes)
    } else {
      const r = mappingOverrideSchema.safeParse({ baseKey: key, ...b })
      if (!r.success) return { ok: false, override: null, issues: r.error.issues.map((i) => at([...prefix, ...(i.path as (string | number)[])], i.message)) }
      if (r.data.baseKey !== key) return { ok: false, override: null, issues: [at([...prefix, 'baseKey'], `this override is for "${r.data.baseKey}", not "${key}"`)] }
      override = r.data
    }
    try {
      this.store.withOverride(key, override)
    } catch (e) {
      const issues = ((isAppError(e) ? (e.details as { issues?: { path: string; message: string }[] } | undefined)?.issues : undefined) ?? [{ path: '', message: (e as Error).message }]).map((i) =>
        at([...prefix, ...i.path.split('.').filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s))], i.message),
      )
      return { ok: false, override: null, issues }
    }
    delete override.practiceId
    this.store.saveDraft(practiceId, key, override, actor)
    this.d.audit.append({ actor, action: 'mapping.import', practiceId, targetType: 'mapping_set', targetId: key, details: { into: 'draft', notes: notes.length } })
    return { ok: true, override, issues: notes.map((n) => ({ line: null, column: null, path: '', message: `note: ${n}` })) }
  }

  codeMapExport(practiceId: string, key: string, override: MappingOverride | null, mapName: string): { fileName: string; csv: string } {
    const set = this.effectiveView(practiceId, key, override).set
    const map = set.codeMaps.find((m) => m.name === mapName)
    if (!map) throw new AppError('not_found', `There is no code map "${mapName}" in ${key}.`)
    return { fileName: `${practiceId}.${key}.${mapName}.csv`, csv: codeMapToCsv(map) }
  }

  codeMapImport(
    practiceId: string,
    key: string,
    override: MappingOverride | null,
    mapName: string,
    csv: string,
    mode: 'merge' | 'replace',
  ): { ok: boolean; override: MappingOverride | null; added: number; changed: number; removed: number; issues: { line: number; message: string }[] } {
    this.d.practices.get(practiceId)
    const o = this.overrideOf(practiceId, key, override)
    const shipped = this.store.shipped(key)
    const map = this.store.withOverride(key, o).set.codeMaps.find((m) => m.name === mapName)
    if (!map) throw new AppError('not_found', `There is no code map "${mapName}" in ${key}.`)
    const r = codeMapFromCsv(map, csv, mode)
    if (!r.ok || !r.map) return { ok: false, override: null, added: 0, changed: 0, removed: 0, issues: r.issues }
    const next = withCodeMap(shipped, o, r.map)
    this.store.withOverride(key, next)
    return { ok: true, override: next, added: r.added, changed: r.changed, removed: r.removed, issues: [] }
  }

  // ---- unmapped codes ------------------------------------------------------------------------

  /**
   * The recorded spellings of one code: a case-insensitive map treats `x` and `X` as the same
   * code, so mapping one resolves (and reprocesses) both.
   */
  private spellings(practiceId: string, key: string, mapName: string, value: string): string[] {
    const map = this.store.defaultKeys().includes(key) ? this.store.effective(practiceId, key).set.codeMaps.find((m) => m.name === mapName) : undefined
    if (!map?.caseInsensitive) return [value]
    const rows = this.d.db.prepare('SELECT DISTINCT value FROM code_misses WHERE practice_id = ? AND set_key = ? AND map_name = ?').all(practiceId, key, mapName) as { value: string }[]
    const k = codeKey(map, value)
    return [...new Set([value, ...rows.map((r) => r.value).filter((v) => codeKey(map, v) === k)])]
  }

  /** Affected transactions of a miss (every spelling of the code) that are still in the error queue. */
  failedTransactions(practiceId: string, key: string, mapName: string, value: string): number[] {
    const q = this.d.db.prepare(
      `SELECT c.tx_id AS id FROM code_miss_transactions c JOIN transactions t ON t.id = c.tx_id
       WHERE c.practice_id = ? AND c.set_key = ? AND c.map_name = ? AND c.value = ? AND t.status = 'error' AND t.practice_id = c.practice_id`,
    )
    const ids = new Set<number>()
    for (const v of this.spellings(practiceId, key, mapName, value)) for (const r of q.all(practiceId, key, mapName, v) as { id: number }[]) ids.add(r.id)
    return [...ids].sort((a, b) => a - b)
  }

  misses(practiceId: string, includeResolved: boolean): MissRow[] {
    this.d.practices.get(practiceId)
    const known = new Set(this.store.defaultKeys())
    const failedCount = this.d.db.prepare(
      `SELECT count(*) AS n FROM code_miss_transactions c JOIN transactions t ON t.id = c.tx_id
       WHERE c.practice_id = ? AND c.set_key = ? AND c.map_name = ? AND c.value = ? AND t.status = 'error' AND t.practice_id = c.practice_id`,
    )
    // Resolved codes stay on the list while transactions that failed on them wait in the error queue.
    const rows = this.store.misses(practiceId, { includeResolved: true }).map((m) => {
      const base = { ...m, failedTransactions: (failedCount.get(practiceId, m.setKey, m.mapName, m.value) as { n: number }).n }
      if (!known.has(m.setKey)) return { ...base, setName: m.setKey, mapped: false, choices: [], suggestion: null }
      const set = this.store.effective(practiceId, m.setKey).set
      const map = set.codeMaps.find((c) => c.name === m.mapName)
      const mapped = map ? map.entries.some((e) => codeKey(map, e.from) === codeKey(map, m.value)) : false
      const targets = listTargetPaths(set.record, set.customFields)
      const enumValues = set.fields
        .filter((f) => codeMapsUsed(f.transforms).has(m.mapName))
        .flatMap((f) => targets.find((t) => t.path === f.target)?.enumValues ?? [])
      const choices = enumValues.length ? [...new Set(enumValues)] : [...new Set((map?.entries ?? []).map((e) => e.to))].sort().slice(0, 100)
      const folded = m.value.trim().toLowerCase()
      const suggestion =
        map?.entries.find((e) => e.from.trim().toLowerCase() === folded)?.to ??
        (choices.find((c) => c.toLowerCase() === folded) ?? (map?.entries.some((e) => e.to === m.value) ? m.value : null))
      return { ...base, setName: set.name, mapped, choices, suggestion }
    })
    return includeResolved ? rows : rows.filter((m) => m.resolvedAt === null || m.failedTransactions > 0)
  }

  addMissEntry(
    practiceId: string,
    key: string,
    input: { map: string; value: string; to: string; note?: string },
    actor: string,
  ): { version: VersionSummary; failedTransactions: number[] } {
    this.d.practices.get(practiceId)
    const shipped = this.store.shipped(key)
    const entry = { from: input.value, to: input.to, ...(input.note ? { note: input.note } : {}) }
    const live = this.store.latestVersion(practiceId, key)
    const next = withCodeMapEntry(shipped, live?.override ?? { baseKey: key }, input.map, entry)
    const v = this.d.db.transaction(() => {
      const published = this.store.publish(practiceId, key, next, `Mapped ${input.map} code '${input.value}' → '${input.to}' (unmapped-codes worklist)`, actor, {
        keepDraft: true,
        audit: { source: 'worklist', map: input.map, code: input.value, to: input.to },
      })
      // Work in progress keeps the new entry, so publishing the draft later does not undo it.
      const draft = this.store.draft(practiceId, key)
      if (draft) this.store.saveDraft(practiceId, key, withCodeMapEntry(shipped, draft.override, input.map, entry), draft.updatedBy)
      for (const v of this.spellings(practiceId, key, input.map, input.value)) this.store.markMissResolved(practiceId, key, input.map, v)
      return published
    })()
    return { version: this.versionOut(practiceId, key, v, v.version), failedTransactions: this.failedTransactions(practiceId, key, input.map, input.value) }
  }

  async reprocessMisses(practiceId: string, key: string, mapName: string, value: string, actor: string): Promise<{ queued: number[]; skipped: { id: number; reason: string }[] }> {
    this.d.practices.get(practiceId)
    const ids = this.failedTransactions(practiceId, key, mapName, value)
    if (ids.length === 0) return { queued: [], skipped: [] }
    const r = await this.d.pipeline.reprocess(ids, actor)
    this.d.audit.append({
      actor,
      action: 'mapping.reprocess_misses',
      practiceId,
      targetType: 'mapping_set',
      targetId: key,
      details: { map: mapName, code: value, queued: r.queued.length, skipped: r.skipped.length },
    })
    return r
  }

  dismissMiss(practiceId: string, key: string, mapName: string, value: string, actor: string): boolean {
    const done = this.store.markMissResolved(practiceId, key, mapName, value)
    if (done) this.d.audit.append({ actor, action: 'mapping.miss_dismiss', practiceId, targetType: 'mapping_set', targetId: key, details: { map: mapName, code: value } })
    return done
  }
}
