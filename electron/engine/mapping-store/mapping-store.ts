/**
 * Mapping sets as the engine runs them: the shipped defaults (registered by each connector
 * module), plus each practice's published override on top. Connectors ask `effective()` for the
 * set to evaluate and report code-map misses with `recordMisses()`; the mapping studio edits
 * drafts, publishes versions and rolls back through the same store.
 */
import { AppError } from '../../../shared/errors'
import { mappingOverrideSchema, mappingSetSchema, type CodeMiss, type MappingOverride, type MappingSet, type Provenance } from '../../../shared/mapping'
import type { AuditLog } from '../audit/audit-log'
import type { Clock } from '../core/clock'
import { applyOverride } from '../mapping'
import type { Db } from '../store/database'
import type { MappingSetsPort } from '../config/config-io'
import type { SampleKind } from '../../../shared/api/mappings'
import { BUILTIN_SAMPLES, sampleSuits } from './builtin-samples'
import { detectSampleKind } from './sample-readers'
import { cachedStatement } from '../store/statements'
import { forgetReads, remembered } from '../store/read-scope'

/**
 * Where misses are recorded: a transaction being processed (its ProcessContext: recorded with the
 * attempt's outcome), a transaction id (now), or none (a mapping outside the pipeline).
 */
export type MissesAt = number | null | { tx: { id: number }; commitWith(write: () => void): void }

export interface EffectiveSet {
  set: MappingSet
  /** Published override version in force, or null when the practice runs the shipped default. */
  version: number | null
  provenance: Record<string, Provenance>
  codeMapEntries: Record<string, Record<string, Provenance>>
}

export interface MappingVersion {
  version: number
  author: string
  comment: string
  createdAt: number
  rolledBackFrom: number | null
  override: MappingOverride
}

export interface CodeMissRow {
  setKey: string
  mapName: string
  value: string
  count: number
  firstSeen: number
  lastSeen: number
  examples: number[]
  resolvedAt: number | null
}

export interface StoredSample {
  id: number
  practiceId: string
  name: string
  kind: SampleKind
  origin: string
  originRef: string | null
  txId: number | null
  content: string | null
  sensitive: boolean
  createdAt: number
  createdBy: string
}

export interface SampleSourceItem {
  id: string
  label: string
  detail?: string
  kind: SampleKind
  /** Record kinds / formats the item suits; absent = offered for every set of its kind. */
  suits?: (set: MappingSet) => boolean
}

/**
 * Somewhere the studio can take samples from besides files: the built-in samples, and sources a
 * connector registers (the athenaNet sandbox offers live sandbox records). `sensitive` sources
 * hold real data: their samples are masked until revealed.
 */
export interface SampleSource {
  label: string
  description: string
  sensitive?: boolean
  list(practiceId: string, opts: { q?: string }): SampleSourceItem[] | Promise<SampleSourceItem[]>
  load(practiceId: string, id: string): { name: string; text: string; kind?: SampleKind } | Promise<{ name: string; text: string; kind?: SampleKind }>
}

interface SampleRow {
  id: number
  practice_id: string
  name: string
  kind: SampleKind
  origin: string
  origin_ref: string | null
  tx_id: number | null
  content: string | null
  sensitive: number
  created_by: string
  created_at: number
}

const REVEAL_MS = 15 * 60_000

interface VersionRow {
  version: number
  body: string
  author: string
  comment: string
  created_at: number
  rolled_back_from: number | null
}

const MAX_EXAMPLES = 20

export class MappingStore implements MappingSetsPort {
  private readonly defaults = new Map<string, MappingSet>()
  private readonly cache = new Map<string, EffectiveSet>()
  private readonly sources = new Map<string, SampleSource>()
  /** practiceId + sample id → revealed until (epoch ms); in memory on purpose: a restart masks again. */
  private readonly reveals = new Map<string, number>()
  private departmentZones: ((practiceId: string, departmentId: string) => string | undefined) | null = null

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {
    this.registerSampleSource('builtin', {
      label: 'Built-in samples',
      description: 'Fictional records for every format, shipped with the console',
      list: () => BUILTIN_SAMPLES.map((b) => ({ id: b.id, label: b.name, kind: b.kind, suits: (set: MappingSet) => sampleSuits(b, set) })),
      load: (_p, id) => {
        const b = BUILTIN_SAMPLES.find((x) => x.id === id)
        if (!b) throw new AppError('not_found', `There is no built-in sample "${id}".`)
        return { name: b.name, text: b.text, kind: b.kind }
      },
    })
  }

  /** Connector modules register the shipped sets they use. */
  registerDefaults(sets: MappingSet[]): void {
    for (const s of sets) {
      const parsed = mappingSetSchema.parse(s)
      if (this.defaults.has(parsed.key)) throw new AppError('internal', `mapping set ${parsed.key} registered twice`)
      this.defaults.set(parsed.key, parsed)
    }
  }

  defaultKeys(): string[] {
    return [...this.defaults.keys()].sort()
  }

  shipped(key: string): MappingSet {
    const s = this.defaults.get(key)
    if (!s) throw new AppError('not_found', `There is no mapping set "${key}".`)
    return structuredClone(s)
  }

  /** The set a connector evaluates for this practice right now. */
  effective(practiceId: string, key: string): EffectiveSet {
    const latest = this.latestVersion(practiceId, key)
    const cacheKey = `${practiceId}\u0000${key}\u0000${latest?.version ?? 0}`
    const hit = this.cache.get(cacheKey)
    if (hit) return hit
    const base = this.shipped(key)
    let result: EffectiveSet
    if (!latest) {
      result = { set: base, version: null, provenance: Object.fromEntries(base.fields.map((f) => [f.id, 'inherited' as const])), codeMapEntries: {} }
    } else {
      const r = applyOverride(base, latest.override)
      result = { set: r.set, version: latest.version, provenance: r.provenance, codeMapEntries: r.codeMapEntries }
    }
    this.cache.set(cacheKey, result)
    return result
  }

  /** Effective set for an arbitrary override (drafts, previews, tests). */
  withOverride(key: string, override: MappingOverride | null): EffectiveSet {
    const base = this.shipped(key)
    if (!override) return { set: base, version: null, provenance: Object.fromEntries(base.fields.map((f) => [f.id, 'inherited' as const])), codeMapEntries: {} }
    const r = applyOverride(base, override)
    return { set: r.set, version: null, provenance: r.provenance, codeMapEntries: r.codeMapEntries }
  }

  /** Inside a lane's group (store/read-scope.ts) the first answer per set is kept for the group. */
  latestVersion(practiceId: string, key: string): MappingVersion | null {
    return remembered(this.db, 'mapping_versions', `${practiceId}\u0000${key}`, () => {
      const r = cachedStatement(this.db, 'SELECT * FROM mapping_versions WHERE practice_id = ? AND set_key = ? ORDER BY version DESC LIMIT 1').get(practiceId, key) as VersionRow | undefined
      return r ? toVersion(r) : null
    })
  }

  versions(practiceId: string, key: string): MappingVersion[] {
    return (this.db.prepare('SELECT * FROM mapping_versions WHERE practice_id = ? AND set_key = ? ORDER BY version DESC').all(practiceId, key) as VersionRow[]).map(toVersion)
  }

  getVersion(practiceId: string, key: string, version: number): MappingVersion {
    const r = this.db.prepare('SELECT * FROM mapping_versions WHERE practice_id = ? AND set_key = ? AND version = ?').get(practiceId, key, version) as VersionRow | undefined
    if (!r) throw new AppError('not_found', `Version ${version} of ${key} does not exist for practice "${practiceId}".`)
    return toVersion(r)
  }

  draft(practiceId: string, key: string): { override: MappingOverride; basedOn: number | null; updatedAt: number; updatedBy: string } | null {
    const r = this.db.prepare('SELECT * FROM mapping_drafts WHERE practice_id = ? AND set_key = ?').get(practiceId, key) as
      | { body: string; based_on: number | null; updated_at: number; updated_by: string }
      | undefined
    return r ? { override: mappingOverrideSchema.parse(JSON.parse(r.body)), basedOn: r.based_on, updatedAt: r.updated_at, updatedBy: r.updated_by } : null
  }

  /** Saves the draft (not live). Validates it by applying it to the shipped set. */
  saveDraft(practiceId: string, key: string, override: MappingOverride, actor: string): void {
    const o = mappingOverrideSchema.parse({ ...override, baseKey: key })
    this.withOverride(key, o) // throws config_invalid on an override that cannot apply
    const basedOn = this.latestVersion(practiceId, key)?.version ?? null
    this.db
      .prepare(`INSERT INTO mapping_drafts (practice_id, set_key, body, based_on, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (practice_id, set_key) DO UPDATE SET body = excluded.body, updated_by = excluded.updated_by, updated_at = excluded.updated_at`)
      .run(practiceId, key, JSON.stringify(o), basedOn, actor, this.clock.now())
  }

  discardDraft(practiceId: string, key: string): void {
    this.db.prepare('DELETE FROM mapping_drafts WHERE practice_id = ? AND set_key = ?').run(practiceId, key)
  }

  /** Publishes an override as a new version; it is live from now on. */
  publish(
    practiceId: string,
    key: string,
    override: MappingOverride,
    comment: string,
    actor: string,
    opts: { rolledBackFrom?: number; audit?: Record<string, unknown>; keepDraft?: boolean } = {},
  ): MappingVersion {
    const o = mappingOverrideSchema.parse({ ...override, baseKey: key })
    this.withOverride(key, o)
    return this.db.transaction(() => {
      const version = (this.latestVersion(practiceId, key)?.version ?? 0) + 1
      const now = this.clock.now()
      this.db
        .prepare('INSERT INTO mapping_versions (practice_id, set_key, version, body, author, comment, created_at, rolled_back_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(practiceId, key, version, JSON.stringify(o), actor, comment, now, opts.rolledBackFrom ?? null)
      forgetReads(this.db, 'mapping_versions')
      if (!opts.keepDraft) this.discardDraft(practiceId, key)
      this.audit.append({
        actor,
        action: opts.rolledBackFrom !== undefined ? 'mapping.rollback' : 'mapping.publish',
        practiceId,
        targetType: 'mapping_set',
        targetId: key,
        details: { version, comment, ...(opts.rolledBackFrom !== undefined ? { restoredVersion: opts.rolledBackFrom } : {}), ...opts.audit },
      })
      return this.getVersion(practiceId, key, version)
    })()
  }

  /** One action: publishes a copy of an older version. */
  rollback(practiceId: string, key: string, toVersion: number, actor: string, comment?: string): MappingVersion {
    // Version 0 is the shipped default: rolling back to it publishes an empty override.
    if (toVersion === 0) this.shipped(key) // unknown set → not_found
    const override: MappingOverride = toVersion === 0 ? { baseKey: key } : this.getVersion(practiceId, key, toVersion).override
    const label = toVersion === 0 ? 'the shipped default' : `version ${toVersion}`
    return this.publish(practiceId, key, override, comment || `Roll back to ${label}`, actor, { rolledBackFrom: toVersion, keepDraft: true })
  }

  /**
   * Counts code-map misses from one evaluation. Idempotent per transaction: a replayed or
   * reprocessed transaction is not counted twice, and every affected transaction is remembered so
   * the worklist can reprocess all of them once the code is mapped.
   */
  recordMisses(practiceId: string, key: string, misses: CodeMiss[], at: MissesAt): void {
    if (misses.length === 0) return
    // In a pipeline attempt: with its outcome, in the same write (never a miss without its outcome, or the reverse).
    if (at !== null && typeof at === 'object') return at.commitWith(() => this.recordMisses(practiceId, key, misses, at.tx.id))
    const txId = at
    const now = this.clock.now()
    const get = cachedStatement(this.db, 'SELECT count, examples FROM code_misses WHERE practice_id = ? AND set_key = ? AND map_name = ? AND value = ?')
    const link = cachedStatement(this.db, 'INSERT OR IGNORE INTO code_miss_transactions (practice_id, set_key, map_name, value, tx_id, seen_at) VALUES (?, ?, ?, ?, ?, ?)')
    const reopen = cachedStatement(this.db, 'UPDATE code_misses SET last_seen = ?, resolved_at = NULL WHERE practice_id = ? AND set_key = ? AND map_name = ? AND value = ?')
    const upsert = cachedStatement(this.db, `INSERT INTO code_misses (practice_id, set_key, map_name, value, count, first_seen, last_seen, examples, resolved_at)
      VALUES (@p, @k, @m, @v, @count, @now, @now, @examples, NULL)
      ON CONFLICT (practice_id, set_key, map_name, value) DO UPDATE SET count = @count, last_seen = @now, examples = @examples, resolved_at = NULL`)
    this.db.transaction(() => {
      const seen = new Set<string>()
      for (const m of misses) {
        const id = `${m.map}\u0000${m.value}`
        if (seen.has(id)) continue
        seen.add(id)
        if (txId !== null && link.run(practiceId, key, m.map, m.value, txId, now).changes === 0) {
          // Seen with this transaction before: still unmapped, so the row is open again, but not counted twice.
          reopen.run(now, practiceId, key, m.map, m.value)
          continue
        }
        const cur = get.get(practiceId, key, m.map, m.value) as { count: number; examples: string } | undefined
        const examples: number[] = cur ? (JSON.parse(cur.examples) as number[]) : []
        if (txId !== null && !examples.includes(txId)) {
          examples.push(txId)
          if (examples.length > MAX_EXAMPLES) examples.shift()
        }
        upsert.run({ p: practiceId, k: key, m: m.map, v: m.value, count: (cur?.count ?? 0) + 1, now, examples: JSON.stringify(examples) })
      }
    })()
  }

  /** Every transaction a miss affected (not only the examples kept for display). */
  missTransactions(practiceId: string, key: string, mapName: string, value: string): number[] {
    return (
      this.db
        .prepare('SELECT tx_id FROM code_miss_transactions WHERE practice_id = ? AND set_key = ? AND map_name = ? AND value = ? ORDER BY tx_id')
        .all(practiceId, key, mapName, value) as { tx_id: number }[]
    ).map((r) => r.tx_id)
  }

  misses(practiceId: string, opts: { includeResolved?: boolean } = {}): CodeMissRow[] {
    const rows = this.db
      .prepare(`SELECT * FROM code_misses WHERE practice_id = ? ${opts.includeResolved ? '' : 'AND resolved_at IS NULL'} ORDER BY count DESC, last_seen DESC LIMIT 1000`)
      .all(practiceId) as { set_key: string; map_name: string; value: string; count: number; first_seen: number; last_seen: number; examples: string; resolved_at: number | null }[]
    return rows.map((r) => ({
      setKey: r.set_key,
      mapName: r.map_name,
      value: r.value,
      count: r.count,
      firstSeen: r.first_seen,
      lastSeen: r.last_seen,
      examples: JSON.parse(r.examples) as number[],
      resolvedAt: r.resolved_at,
    }))
  }

  markMissResolved(practiceId: string, key: string, mapName: string, value: string): boolean {
    return (
      this.db
        .prepare('UPDATE code_misses SET resolved_at = ? WHERE practice_id = ? AND set_key = ? AND map_name = ? AND value = ? AND resolved_at IS NULL')
        .run(this.clock.now(), practiceId, key, mapName, value).changes > 0
    )
  }

  openMissCount(practiceId: string, key?: string): number {
    const r = key
      ? this.db.prepare('SELECT count(*) AS n FROM code_misses WHERE practice_id = ? AND set_key = ? AND resolved_at IS NULL').get(practiceId, key)
      : this.db.prepare('SELECT count(*) AS n FROM code_misses WHERE practice_id = ? AND resolved_at IS NULL').get(practiceId)
    return (r as { n: number }).n
  }

  /**
   * Where department time zones come from (the athenaNet connector knows them), so previews and
   * test runs in the studio convert department-local times the way the connector does.
   */
  setDepartmentTimeZoneLookup(fn: (practiceId: string, departmentId: string) => string | undefined): void {
    this.departmentZones = fn
  }

  departmentTimeZone(practiceId: string, departmentId: string): string | undefined {
    try {
      return this.departmentZones?.(practiceId, departmentId)
    } catch {
      return undefined
    }
  }

  // ---- samples -------------------------------------------------------------------------------

  /** Connector modules offer samples here (e.g. 'sandbox': live records from the athenaNet sandbox). */
  registerSampleSource(name: string, source: SampleSource): void {
    if (!/^[a-z][a-z0-9-]{0,39}$/.test(name) || name === 'file' || name === 'transaction' || name === 'transactions') {
      throw new AppError('internal', `sample source name "${name}" is not allowed`)
    }
    if (this.sources.has(name)) throw new AppError('internal', `sample source ${name} registered twice`)
    this.sources.set(name, source)
  }

  sampleSources(): { name: string; source: SampleSource }[] {
    return [...this.sources].map(([name, source]) => ({ name, source }))
  }

  sampleSource(name: string): SampleSource {
    const s = this.sources.get(name)
    if (!s) throw new AppError('not_found', `There is no sample source "${name}".`)
    return s
  }

  addSample(
    practiceId: string,
    input: { name: string; kind?: SampleKind; origin: string; originRef?: string | null; text?: string; txId?: number; sensitive: boolean },
    actor: string,
  ): StoredSample {
    if ((input.text === undefined) === (input.txId === undefined)) throw new AppError('internal', 'a sample holds either text or a transaction id')
    const kind = input.kind ?? detectSampleKind(input.text ?? '')
    const r = this.db
      .prepare(`INSERT INTO mapping_samples (practice_id, name, kind, origin, origin_ref, tx_id, content, sensitive, created_by, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(practiceId, input.name.slice(0, 200), kind, input.origin, input.originRef ?? null, input.txId ?? null, input.text ?? null, input.sensitive ? 1 : 0, actor, this.clock.now())
    return this.sample(practiceId, Number(r.lastInsertRowid))
  }

  samples(practiceId: string): StoredSample[] {
    return (
      this.db
        .prepare('SELECT id, practice_id, name, kind, origin, origin_ref, tx_id, NULL AS content, sensitive, created_by, created_at FROM mapping_samples WHERE practice_id = ? ORDER BY id DESC LIMIT 500')
        .all(practiceId) as SampleRow[]
    ).map(toSample)
  }

  sample(practiceId: string, id: number): StoredSample {
    const r = this.db.prepare('SELECT * FROM mapping_samples WHERE practice_id = ? AND id = ?').get(practiceId, id) as SampleRow | undefined
    if (!r) throw new AppError('not_found', `Sample ${id} does not exist for practice "${practiceId}".`)
    return toSample(r)
  }

  findSample(practiceId: string, origin: string, originRef: string): StoredSample | null {
    const r = this.db.prepare('SELECT * FROM mapping_samples WHERE practice_id = ? AND origin = ? AND origin_ref = ? ORDER BY id DESC LIMIT 1').get(practiceId, origin, originRef) as
      | SampleRow
      | undefined
    return r ? toSample(r) : null
  }

  removeSample(practiceId: string, id: number): boolean {
    this.reveals.delete(`${practiceId}\u0000${id}`)
    return this.db.prepare('DELETE FROM mapping_samples WHERE practice_id = ? AND id = ?').run(practiceId, id).changes > 0
  }

  /** Shows a real-data sample unmasked for a while. Audited with the reason; never the values. */
  revealSample(practiceId: string, id: number, reason: string, actor: string): number {
    const s = this.sample(practiceId, id)
    const until = this.clock.now() + REVEAL_MS
    if (s.sensitive) {
      this.reveals.set(`${practiceId}\u0000${id}`, until)
      this.audit.append({
        actor,
        action: 'mapping.sample_reveal',
        practiceId,
        targetType: s.txId !== null ? 'transaction' : 'mapping_sample',
        targetId: String(s.txId ?? s.id),
        details: { sampleId: s.id, reason, until },
      })
    }
    return until
  }

  revealedUntil(practiceId: string, id: number): number | null {
    const k = `${practiceId}\u0000${id}`
    const until = this.reveals.get(k)
    if (until === undefined) return null
    if (until <= this.clock.now()) {
      this.reveals.delete(k)
      return null
    }
    return until
  }

  // ---- configuration export/import (MappingSetsPort) ----------------------------------------

  exportOverrides(practiceId: string): Record<string, unknown>[] {
    const keys = this.db.prepare('SELECT DISTINCT set_key FROM mapping_versions WHERE practice_id = ? ORDER BY set_key').all(practiceId) as { set_key: string }[]
    return keys.map((k) => {
      const { practiceId: _p, ...o } = this.latestVersion(practiceId, k.set_key)!.override
      return o as Record<string, unknown>
    })
  }

  validateOverrides(_practiceId: string, sets: Record<string, unknown>[]): { index: number; path: (string | number)[]; message: string }[] {
    const issues: { index: number; path: (string | number)[]; message: string }[] = []
    sets.forEach((raw, index) => {
      const r = mappingOverrideSchema.safeParse(raw)
      if (!r.success) {
        for (const i of r.error.issues) issues.push({ index, path: i.path as (string | number)[], message: i.message })
        return
      }
      if (!this.defaults.has(r.data.baseKey)) {
        issues.push({ index, path: ['baseKey'], message: `unknown mapping set "${r.data.baseKey}" (known: ${this.defaultKeys().join(', ')})` })
        return
      }
      try {
        this.withOverride(r.data.baseKey, r.data)
      } catch (e) {
        issues.push({ index, path: [], message: (e as Error).message })
      }
    })
    return issues
  }

  importOverrides(practiceId: string, sets: Record<string, unknown>[], actor: string): number {
    let n = 0
    for (const raw of sets) {
      const o = mappingOverrideSchema.parse(raw)
      const cur = this.latestVersion(practiceId, o.baseKey)
      if (cur && JSON.stringify(cur.override) === JSON.stringify({ ...o, baseKey: o.baseKey })) continue
      this.publish(practiceId, o.baseKey, o, 'Imported from a configuration file', actor)
      n++
    }
    return n
  }
}

function toSample(r: SampleRow): StoredSample {
  return {
    id: r.id,
    practiceId: r.practice_id,
    name: r.name,
    kind: r.kind,
    origin: r.origin,
    originRef: r.origin_ref,
    txId: r.tx_id,
    content: r.content,
    sensitive: r.sensitive === 1,
    createdAt: r.created_at,
    createdBy: r.created_by,
  }
}

function toVersion(r: VersionRow): MappingVersion {
  return {
    version: r.version,
    author: r.author,
    comment: r.comment,
    createdAt: r.created_at,
    rolledBackFrom: r.rolled_back_from,
    override: mappingOverrideSchema.parse(JSON.parse(r.body)),
  }
}
