/**
 * Canonical Practice Studio records and their ids in other systems. Upserts are idempotent: a
 * record is found through any of its external ids, so replaying a message or an API page updates
 * the same record instead of creating a second one. Every change keeps its before/after.
 *
 * A document's body (`content_base64`, megabytes for a scanned PDF) lives in `bodies`, stored once
 * by its SHA-256 (migration 0240), and the record refers to it from `record_bodies`: readers get
 * it back in `data` as before, the `records` row stays small, and the change history holds
 * `(content: N bytes, sha256 …)` in its place (a 5 MB MDM's body stringified and written twice
 * cost ~215 ms of the main thread; hl7-engine/speed-log.md, "Big messages"). A body already in `bodies`
 * is referred to, not written again: the pipeline stores a big message's body on another thread
 * before the write that refers to it (`withStoredBodies`; pipeline/big-payloads.ts).
 */
import { createHash } from 'node:crypto'
import { AppError } from '../../../shared/errors'
import type { Statement } from 'better-sqlite3-multiple-ciphers'
import { savepoint, type Db } from '../store/database'
import type { RecordKind } from '../../../shared/records'

export interface ExternalId {
  system: string
  value: string
}

export interface StoredRecord {
  id: number
  practiceId: string
  kind: RecordKind
  patientRef: number | null
  data: Record<string, unknown>
  version: number
  createdAt: number
  updatedAt: number
  externalIds: ExternalId[]
}

export interface UpsertInput {
  practiceId: string
  kind: RecordKind
  /** Ids that identify this record; the first existing match wins, all are linked afterwards. */
  ids: ExternalId[]
  data: Record<string, unknown>
  patientRef?: number | null
  txId?: number | null
  /** replace: the new data is the whole record. merge (default): absent fields keep their values. */
  mode?: 'merge' | 'replace'
}

export interface UpsertResult {
  id: number
  op: 'create' | 'update' | 'unchanged'
  /** `records.version` after the write (a caller that indexes the record needs no query for it). */
  version: number
  /** As the change history holds them: a document's body as its summary (bodySummary), not the body. */
  before: Record<string, unknown> | null
  after: Record<string, unknown>
}

/**
 * A record as a write reads it: without its external ids, with `data` as stored (`json`). What
 * `findByExternalIds` gives a caller that reads many records before writing them (a file's chunk),
 * and what it may hand back to `patch` so the record is not read twice.
 */
export type RecordSnapshot = Omit<StoredRecord, 'externalIds'> & { json: string; keys?: Keys | null }

/** `records.key1`, `key2`, `key3` (what `keysFor` makes of a record's data). */
type Keys = readonly [string | null, string | null, string | null]

/** The field of a kind whose value is kept in `record_bodies`. */
const BODY_FIELD: Partial<Record<RecordKind, string>> = { document: 'content_base64' }

export interface BodyMeta {
  bytes: number
  sha256: string
}

/** What the change history and the inspector's diff show for a body: its size and hash. */
export function bodySummary(b: BodyMeta): string {
  return `(content: ${b.bytes} bytes, sha256 ${b.sha256})`
}

/** A stored record without its body, and what is known of the body. */
interface Loaded {
  /** Without its external ids (a write needs none: one query less per patched record). */
  rec: Omit<StoredRecord, 'externalIds'>
  /** `records.data` as stored. */
  json: string
  /** The key columns as stored; unknown (null): an update writes them. */
  keys: Keys | null
  body: BodyMeta | null
  /** A body still inline in `records.data` (written before 0230), moved out at this write. */
  inline: Buffer | null
}

/** The body a write leaves: as it was, a new one (its UTF-8 in `buf`, or `text` when already stored by hash), or none. */
type NextBody = { keep: true; meta: BodyMeta } | { keep: false; buf: Buffer | null; text: string; meta: BodyMeta } | null

interface RecordRow {
  id: number
  practice_id: string
  kind: RecordKind
  patient_ref: number | null
  data: string
  version: number
  created_at: number
  updated_at: number
  key1: string | null
  key2: string | null
  key3: string | null
}

function keysFor(kind: RecordKind, d: Record<string, unknown>): [string | null, string | null, string | null] {
  const s = (v: unknown): string | null => (v === undefined || v === null || v === '' ? null : String(v))
  switch (kind) {
    case 'patient':
      return [s(d.mrn), s(d.last_name)?.toLowerCase() ?? null, s(d.date_of_birth)]
    case 'appointment':
      return [s(d.start_time), s(d.status), null]
    case 'observation':
      return [s(d.code), s(d.observed_at), null]
    case 'document':
      return [s(d.document_type), s(d.authored_at), null]
    case 'financial_transaction':
      return [s(d.transaction_date), s(d.procedure_code), null]
    case 'provider':
      return [s(d.npi), s(d.last_name)?.toLowerCase() ?? null, null]
    case 'location':
      return [s(d.name), null, null]
  }
}

function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v)
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`
  const o = v as Record<string, unknown>
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
    .join(',')}}`
}

export class RecordStore {
  private readonly s

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {
    this.s = {
      byExt: db.prepare('SELECT record_id FROM external_ids WHERE practice_id = ? AND kind = ? AND system = ? AND value = ?'),
      get: db.prepare('SELECT * FROM records WHERE id = ?'),
      insert: db.prepare(`INSERT INTO records (practice_id, kind, patient_ref, key1, key2, key3, data, version, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`),
      update: db.prepare('UPDATE records SET patient_ref = coalesce(?, patient_ref), key1 = ?, key2 = ?, key3 = ?, data = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?'),
      // Keys and patient unchanged (most updates): SQLite leaves alone the indexes of columns a SET does not name.
      updateData: db.prepare('UPDATE records SET data = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?'),
      link: db.prepare('INSERT OR IGNORE INTO external_ids (practice_id, kind, system, value, record_id) VALUES (?, ?, ?, ?, ?)'),
      linkNew: db.prepare('INSERT INTO external_ids (practice_id, kind, system, value, record_id) VALUES (?, ?, ?, ?, ?)'),
      byExts: db.prepare(`SELECT e.value AS ext, r.* FROM external_ids e JOIN records r ON r.id = e.record_id
        WHERE e.practice_id = ? AND e.kind = ? AND e.system = ? AND e.value IN (SELECT value FROM json_each(?))`),
      extIds: db.prepare('SELECT system, value FROM external_ids WHERE record_id = ? ORDER BY system, value'),
      change: db.prepare('INSERT INTO record_changes (practice_id, tx_id, record_id, kind, op, before, after, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      changesForTx: db.prepare('SELECT record_id, kind, op, before, after, at FROM record_changes WHERE tx_id = ? ORDER BY id'),
      byKey1: db.prepare('SELECT * FROM records WHERE practice_id = ? AND kind = ? AND key1 = ? ORDER BY id LIMIT 20'),
      byKey23: db.prepare('SELECT * FROM records WHERE practice_id = ? AND kind = ? AND key2 = ? AND key3 = ? ORDER BY id LIMIT 20'),
      list: db.prepare('SELECT * FROM records WHERE practice_id = ? AND kind = ? AND id > ? ORDER BY id LIMIT ?'),
      count: db.prepare('SELECT kind, count(*) AS n FROM records WHERE practice_id = ? GROUP BY kind'),
      awaitPatient: db.prepare('INSERT OR IGNORE INTO pending_patient_links (practice_id, system, value, record_id) VALUES (?, ?, ?, ?)'),
      waiting: db.prepare('SELECT record_id FROM pending_patient_links WHERE practice_id = ? AND system = ? AND value = ?'),
      linkWaiting: db.prepare('UPDATE records SET patient_ref = ?, updated_at = ? WHERE id = ? AND patient_ref IS NULL'),
      doneWaiting: db.prepare('DELETE FROM pending_patient_links WHERE practice_id = ? AND system = ? AND value = ?'),
      resolvedWaiting: db.prepare('DELETE FROM pending_patient_links WHERE record_id = ?'),
      body: db.prepare('SELECT b.body FROM record_bodies r JOIN bodies b ON b.sha256 = r.sha256 WHERE r.record_id = ?').pluck(),
      bodyMeta: db.prepare('SELECT bytes, sha256 FROM record_bodies WHERE record_id = ?'),
      hasBody: db.prepare('SELECT 1 FROM bodies WHERE sha256 = ?').pluck(),
      storeBody: db.prepare('INSERT INTO bodies (sha256, bytes, stored_at, body) VALUES (?, ?, ?, ?)'),
      referBody: db.prepare(`INSERT INTO record_bodies (record_id, sha256, bytes) VALUES (?, ?, ?)
        ON CONFLICT (record_id) DO UPDATE SET sha256 = excluded.sha256, bytes = excluded.bytes`),
      dropBody: db.prepare('DELETE FROM record_bodies WHERE record_id = ?'),
    }
  }

  /**
   * Runs `fn` (synchronous, inside the caller's write) knowing that these bodies (text → size and
   * hash) were stored in `bodies` before the write began: a write that meets one of them refers to
   * it without encoding and hashing it again. Whether it is still there is checked in the write
   * itself (retention may have removed an unreferenced copy meanwhile); if not, it is written here.
   */
  withStoredBodies<T>(stored: ReadonlyMap<string, BodyMeta>, fn: () => T): T {
    this.stored = stored
    try {
      return fn()
    } finally {
      this.stored = null
    }
  }

  private stored: ReadonlyMap<string, BodyMeta> | null = null

  findByExternalId(practiceId: string, kind: RecordKind, system: string, value: string): StoredRecord | null {
    const id = this.idByExternalId(practiceId, kind, system, value)
    return id === null ? null : this.get(id)
  }

  /**
   * The records known by these ids of one system, in one query (a file's chunk reads its rows'
   * records at once instead of one lookup a row): external id → record, without its body; ids
   * that are not linked are absent from the map.
   */
  findByExternalIds(practiceId: string, kind: RecordKind, system: string, values: readonly string[]): Map<string, RecordSnapshot> {
    const out = new Map<string, RecordSnapshot>()
    if (values.length === 0) return out
    for (const row of this.s.byExts.all(practiceId, kind, system, JSON.stringify(values)) as (RecordRow & { ext: string })[]) {
      const { rec, keys } = this.rowOf(row)
      out.set(row.ext, { ...rec, json: row.data, keys })
    }
    return out
  }

  private idByExternalId(practiceId: string, kind: RecordKind, system: string, value: string): number | null {
    return (this.s.byExt.get(practiceId, kind, system, value) as { record_id: number } | undefined)?.record_id ?? null
  }

  get(id: number): StoredRecord | null {
    const row = this.s.get.get(id) as RecordRow | undefined
    return row ? this.toRecord(row) : null
  }

  /** Patients whose MRN is `mrn` (key1). */
  findPatientsByMrn(practiceId: string, mrn: string): StoredRecord[] {
    return (this.s.byKey1.all(practiceId, 'patient', mrn) as RecordRow[]).map((r) => this.toRecord(r))
  }

  findPatientsByNameDob(practiceId: string, lastName: string, dob: string): StoredRecord[] {
    return (this.s.byKey23.all(practiceId, 'patient', lastName.toLowerCase(), dob) as RecordRow[]).map((r) => this.toRecord(r))
  }

  list(practiceId: string, kind: RecordKind, afterId = 0, limit = 100): StoredRecord[] {
    return (this.s.list.all(practiceId, kind, afterId, Math.min(limit, 1000)) as RecordRow[]).map((r) => this.toRecord(r))
  }

  counts(practiceId: string): Partial<Record<RecordKind, number>> {
    const out: Partial<Record<RecordKind, number>> = {}
    for (const r of this.s.count.all(practiceId) as { kind: RecordKind; n: number }[]) out[r.kind] = r.n
    return out
  }

  changesForTx(txId: number): { recordId: number; kind: string; op: string; before: unknown; after: unknown; at: number }[] {
    return (this.s.changesForTx.all(txId) as { record_id: number; kind: string; op: string; before: string | null; after: string | null; at: number }[]).map((r) => ({
      recordId: r.record_id,
      kind: r.kind,
      op: r.op,
      before: r.before ? JSON.parse(r.before) : null,
      after: r.after ? JSON.parse(r.after) : null,
      at: r.at,
    }))
  }

  /** Adds an id by which a record is known elsewhere (e.g. a file source's patient id after a certain match). */
  linkExternalId(practiceId: string, kind: RecordKind, recordId: number, id: ExternalId): void {
    this.s.link.run(practiceId, kind, id.system, id.value, recordId)
  }

  /**
   * Merges `data` into record `id` as a new version (before/after kept), unless nothing changes.
   * `current`: the record as the caller read it in this transaction (`findByExternalIds`), so it is
   * not read again; a record that changed since (another version) fails as `conflict`, never
   * overwriting the newer version. Ignored for a kind with a body.
   */
  patch(id: number, data: Record<string, unknown>, txId: number | null = null, current?: RecordSnapshot): UpsertResult {
    return savepoint(this.db, () => this.patchOne(id, data, txId, current))
  }

  private patchOne(id: number, data: Record<string, unknown>, txId: number | null, current: RecordSnapshot | undefined): UpsertResult {
    const existing = current && current.id === id && !BODY_FIELD[current.kind] ? { rec: current, json: current.json, keys: current.keys ?? null, body: null, inline: null } : this.load(id)
    if (!existing) throw new AppError('not_found', `There is no record ${id}.`, { retryable: false })
    return this.update(existing, dropUndefined(data), 'merge', null, txId)
  }

  /**
   * A new record under ids the caller knows are linked to none (it looked them up in this
   * transaction): no lookup first. An id that is linked after all fails (a constraint error)
   * instead of being attached to a second record. Otherwise as `upsert`.
   */
  create(input: UpsertInput & { awaitPatient?: ExternalId | null }): UpsertResult {
    return savepoint(this.db, () => this.linkAfter(input, this.insertNew(input, dropUndefined(input.data), this.s.linkNew)))
  }

  /**
   * Create or update, idempotently. Runs in a (nested) transaction. A record whose patient is not
   * stored yet (`awaitPatient`: the patient's external id) is linked when that patient is.
   */
  upsert(input: UpsertInput & { awaitPatient?: ExternalId | null }): UpsertResult {
    return savepoint(this.db, () => this.upsertLinked(input))
  }

  private upsertLinked(input: UpsertInput & { awaitPatient?: ExternalId | null }): UpsertResult {
    return this.linkAfter(input, this.upsertOne(input))
  }

  /** After a write: records waiting for this patient are linked, or this record waits for its patient. */
  private linkAfter(input: UpsertInput & { awaitPatient?: ExternalId | null }, r: UpsertResult): UpsertResult {
    if (input.kind === 'patient') this.linkWaiting(input.practiceId, input.ids, r.id)
    else if (input.patientRef) this.s.resolvedWaiting.run(r.id)
    else if (input.awaitPatient) this.s.awaitPatient.run(input.practiceId, input.awaitPatient.system, input.awaitPatient.value, r.id)
    return r
  }

  /** Records that were waiting for this patient (by any of its ids) are linked to it now. */
  private linkWaiting(practiceId: string, ids: readonly ExternalId[], patientId: number): void {
    const now = this.now()
    for (const x of ids) {
      const rows = this.s.waiting.all(practiceId, x.system, x.value) as { record_id: number }[]
      if (rows.length === 0) continue
      for (const w of rows) this.s.linkWaiting.run(patientId, now, w.record_id)
      this.s.doneWaiting.run(practiceId, x.system, x.value)
    }
  }

  /** Runs inside upsert's transaction. */
  private upsertOne(input: UpsertInput): UpsertResult {
    let id: number | null = null
    for (const x of input.ids) if ((id = this.idByExternalId(input.practiceId, input.kind, x.system, x.value)) !== null) break
    const existing = id === null ? null : this.load(id)
    const clean = dropUndefined(input.data)
    if (!existing) return this.insertNew(input, clean, this.s.link)
    for (const x of input.ids) this.s.link.run(input.practiceId, input.kind, x.system, x.value, existing.rec.id)
    return this.update(existing, clean, input.mode ?? 'merge', input.patientRef ?? null, input.txId ?? null)
  }

  /** Inserts a new record and links its ids (`link`: ignoring an id already linked, or failing on it). */
  private insertNew(input: UpsertInput, clean: Record<string, unknown>, link: Statement): UpsertResult {
    const now = this.now()
    const { data, next } = this.split(input.kind, clean, null, 'replace')
    const [k1, k2, k3] = keysFor(input.kind, data)
    const json = JSON.stringify(data)
    const info = this.s.insert.run(input.practiceId, input.kind, input.patientRef ?? null, k1, k2, k3, json, now, now)
    const id = Number(info.lastInsertRowid)
    for (const x of input.ids) link.run(input.practiceId, input.kind, x.system, x.value, id)
    this.writeBody(id, null, next)
    const after = view(input.kind, data, next?.meta ?? null)
    // Without a body the after-image is the stored JSON (one stringify less per new record).
    this.s.change.run(input.practiceId, input.txId ?? null, id, input.kind, 'create', null, next ? JSON.stringify(after) : json, now)
    return { id, op: 'create', version: 1, before: null, after }
  }

  /** A new version of `existing` (merged or replaced by `clean`), unless nothing changes. */
  private update(existing: Loaded, clean: Record<string, unknown>, mode: 'merge' | 'replace', patientRef: number | null, txId: number | null): UpsertResult {
    const { rec } = existing
    const { data, next } = this.split(rec.kind, mode === 'replace' ? clean : { ...rec.data, ...clean }, existing, mode)
    const before = view(rec.kind, rec.data, existing.body)
    const after = view(rec.kind, data, next?.meta ?? null)
    // A merge with no body changes the record only where a given field differs: compared field by
    // field instead of stringifying both whole records.
    const same = mode === 'merge' && !existing.body && !next ? sameFields(clean, rec.data) : stableStringify(before) === stableStringify(after)
    if (same && (patientRef ?? rec.patientRef) === rec.patientRef) {
      return { id: rec.id, op: 'unchanged', version: rec.version, before, after }
    }
    const now = this.now()
    const [k1, k2, k3] = keysFor(rec.kind, data)
    const json = JSON.stringify(data)
    const was = existing.keys
    const sameKeys = patientRef === null && was !== null && was[0] === k1 && was[1] === k2 && was[2] === k3
    // The version read is the one replaced: a snapshot a caller kept past another write fails instead of overwriting it.
    const written = sameKeys ? this.s.updateData.run(json, now, rec.id, rec.version) : this.s.update.run(patientRef, k1, k2, k3, json, now, rec.id, rec.version)
    if (written.changes === 0) {
      throw new AppError('conflict', `Record ${rec.id} changed while it was being updated; retry.`, { retryable: true })
    }
    this.writeBody(rec.id, existing, next)
    // The stored JSON is the before-image as it is, unless a body is summarised in it (one stringify less per patch).
    const beforeJson = existing.body ? JSON.stringify(before) : existing.json
    this.s.change.run(rec.practiceId, txId, rec.id, rec.kind, 'update', beforeJson, next ? JSON.stringify(after) : json, now)
    return { id: rec.id, op: 'update', version: rec.version + 1, before, after }
  }

  /**
   * The record's data without its body, and the body it keeps: a non-empty string given for the
   * body field is the new body; null or '' stays in the data (no body); absent, a merge keeps the
   * stored body (or moves an inline one out) and a replace drops it.
   */
  private split(kind: RecordKind, merged: Record<string, unknown>, existing: Loaded | null, mode: 'merge' | 'replace'): { data: Record<string, unknown>; next: NextBody } {
    const field = BODY_FIELD[kind]
    if (!field) return { data: merged, next: null }
    const given = merged[field]
    const data = { ...merged }
    if (typeof given === 'string' && given !== '') {
      delete data[field]
      const stored = this.stored?.get(given)
      if (stored) return { data, next: { keep: false, buf: null, text: given, meta: stored } }
      const buf = Buffer.from(given, 'utf8')
      return { data, next: { keep: false, buf, text: given, meta: metaOf(buf) } }
    }
    if (given !== undefined || mode === 'replace' || !existing) return { data, next: null }
    if (existing.inline) return { data, next: { keep: false, buf: existing.inline, text: '', meta: existing.body ?? metaOf(existing.inline) } }
    return { data, next: existing.body ? { keep: true, meta: existing.body } : null }
  }

  /**
   * Points the record at the body a write leaves, only when it differs from the one it has (5 MB is
   * not rewritten for a metadata change), storing the body first unless `bodies` has it. An
   * unreferenced body left behind (replaced, cleared, its record deleted) is retention's to delete.
   */
  private writeBody(id: number, existing: Loaded | null, next: NextBody): void {
    if (next === null) {
      if (existing?.body && !existing.inline) this.s.dropBody.run(id)
      return
    }
    if (next.keep || (existing?.body && !existing.inline && existing.body.sha256 === next.meta.sha256)) return
    const { sha256, bytes } = next.meta
    if (this.s.hasBody.get(sha256) === undefined) this.s.storeBody.run(sha256, bytes, this.now(), next.buf ?? Buffer.from(next.text, 'utf8'))
    this.s.referBody.run(id, sha256, bytes)
  }

  /** A record without its body (never read for a write), with the body's size and hash. */
  private load(id: number): Loaded | null {
    const row = this.s.get.get(id) as RecordRow | undefined
    return row ? this.rowOf(row) : null
  }

  private rowOf(row: RecordRow): Loaded {
    const rec = { id: row.id, practiceId: row.practice_id, kind: row.kind, patientRef: row.patient_ref, data: JSON.parse(row.data) as Record<string, unknown>, version: row.version, createdAt: row.created_at, updatedAt: row.updated_at }
    const field = BODY_FIELD[rec.kind]
    const inlineBody = field ? rec.data[field] : undefined
    if (field && typeof inlineBody === 'string' && inlineBody !== '') {
      const inline = Buffer.from(inlineBody, 'utf8')
      const { [field]: _, ...data } = rec.data
      return { rec: { ...rec, data }, json: row.data, keys: [row.key1, row.key2, row.key3], body: metaOf(inline), inline }
    }
    return { rec, json: row.data, keys: [row.key1, row.key2, row.key3], body: field ? ((this.s.bodyMeta.get(row.id) as BodyMeta | undefined) ?? null) : null, inline: null }
  }

  private toRecord(row: RecordRow): StoredRecord {
    const data = JSON.parse(row.data) as Record<string, unknown>
    const field = BODY_FIELD[row.kind]
    if (field) {
      const body = this.s.body.get(row.id) as Buffer | undefined
      if (body) data[field] = body.toString('utf8')
    }
    return {
      id: row.id,
      practiceId: row.practice_id,
      kind: row.kind,
      patientRef: row.patient_ref,
      data,
      version: row.version,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      externalIds: this.s.extIds.all(row.id) as ExternalId[],
    }
  }
}

function metaOf(buf: Buffer): BodyMeta {
  return { bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') }
}

/** The data as the change history holds it: the body as its summary. */
function view(kind: RecordKind, data: Record<string, unknown>, body: BodyMeta | null): Record<string, unknown> {
  const field = BODY_FIELD[kind]
  return field && body ? { ...data, [field]: bodySummary(body) } : data
}

/** Whether every field of `patch` already has that value in `data` (so merging it changes nothing). */
function sameFields(patch: Record<string, unknown>, data: Record<string, unknown>): boolean {
  for (const k in patch) {
    const a = patch[k]
    const b = data[k]
    if (a === b) continue
    if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || stableStringify(a) !== stableStringify(b)) return false
  }
  return true
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  // for…in, not Object.entries: no [key, value] pair allocated per field of every write.
  const out: Record<string, unknown> = {}
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue
    const v = o[k]
    if (v !== undefined) out[k] = v
  }
  return out
}
