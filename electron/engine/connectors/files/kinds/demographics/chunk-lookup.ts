/**
 * What the rows of one chunk read before they are applied, in three queries for the whole chunk
 * instead of five a row: the patient each external id is linked to (with its data as stored),
 * what this source last sent for it, and the changes held for it. Built inside the chunk's
 * transaction, so nothing else writes meanwhile; the chunk's own writes are told to it (`created`,
 * `linked`, `patched`, `sent`, `held`), so a row sees what an earlier row of the same chunk did
 * (the same patient twice in a file, a matcher link to a patient the chunk already updated).
 */
import type { RecordSnapshot, RecordStore } from '../../../../records/record-store'
import type { FieldChangesRepo } from './field-changes-repo'

export class ChunkLookup {
  /** External id → record id; null: linked to none (looked up, or not yet). */
  private readonly ids = new Map<string, number | null>()
  /** Records as stored now; a patched one is dropped and read again if a later row needs it. */
  private readonly recs = new Map<number, RecordSnapshot>()
  /** Last-sent values as stored (JSON), null: none; absent: not read. */
  private readonly sentJson = new Map<number, string | null>()
  private readonly heldKeys = new Map<number, Set<string>>()
  /** Records whose held changes were read (a record with none has no entry in heldKeys). */
  private readonly heldRead = new Set<number>()

  constructor(
    private readonly records: RecordStore,
    private readonly changes: FieldChangesRepo,
    private readonly practiceId: string,
    private readonly source: string,
    extIds: readonly string[],
  ) {
    const found = records.findByExternalIds(practiceId, 'patient', source, extIds)
    for (const x of extIds) this.ids.set(x, null)
    for (const [x, rec] of found) {
      this.ids.set(x, rec.id)
      this.recs.set(rec.id, rec)
    }
    const recordIds = [...this.recs.keys()]
    const sent = changes.lastSentMany(recordIds, source)
    for (const id of recordIds) {
      this.sentJson.set(id, sent.get(id) ?? null)
      this.heldRead.add(id)
    }
    for (const [id, keys] of changes.heldKeysMany(recordIds)) this.heldKeys.set(id, keys)
  }

  /** The patient this source's id is linked to, as stored now, or null. */
  byExternalId(extId: string): RecordSnapshot | null {
    const id = this.ids.has(extId) ? this.ids.get(extId)! : this.readId(extId)
    return id === null ? null : this.record(id)
  }

  /** Record `id` as stored now (null if there is none). */
  record(id: number): RecordSnapshot | null {
    const known = this.recs.get(id)
    if (known) return known
    const r = this.records.get(id)
    if (!r) return null
    const { externalIds: _, ...rec } = r
    const snap = { ...rec, json: JSON.stringify(r.data) }
    this.recs.set(id, snap)
    return snap
  }

  /** What this source last sent for record `id`, as stored (JSON), or null. */
  lastSentJson(id: number): string | null {
    if (!this.sentJson.has(id)) {
      const last = this.changes.lastSent(id, this.source)
      this.sentJson.set(id, last ? JSON.stringify(last) : null)
    }
    return this.sentJson.get(id)!
  }

  held(id: number): ReadonlySet<string> {
    if (!this.heldRead.has(id)) {
      this.heldRead.add(id)
      const keys = this.changes.heldKeys(id)
      if (keys.size) this.heldKeys.set(id, keys)
    }
    return this.heldKeys.get(id) ?? EMPTY
  }

  /** A record created for `extId` by this chunk. */
  created(extId: string, id: number): void {
    this.ids.set(extId, id)
  }

  /** `extId` linked to an existing record by this chunk. */
  linked(extId: string, id: number): void {
    this.ids.set(extId, id)
  }

  /** Record `id` got a new version: read again when a later row needs it. */
  patched(id: number): void {
    this.recs.delete(id)
  }

  sent(id: number, json: string): void {
    this.sentJson.set(id, json)
  }

  /** A change held by this chunk (its key as `heldKey` makes it). */
  heldAdded(id: number, key: string): void {
    this.held(id)
    const keys = this.heldKeys.get(id) ?? new Set<string>()
    keys.add(key)
    this.heldKeys.set(id, keys)
  }

  private readId(extId: string): number | null {
    const rec = this.records.findByExternalIds(this.practiceId, 'patient', this.source, [extId]).get(extId)
    if (rec) this.recs.set(rec.id, rec)
    this.ids.set(extId, rec?.id ?? null)
    return rec?.id ?? null
  }
}

const EMPTY: ReadonlySet<string> = new Set()
