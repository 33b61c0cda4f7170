/**
 * The FHIR connector's tables (migration 0130): the FHIR id cross-reference and stale-write guard,
 * the subscriptions we manage, PHI-free receipt counters per subscription and UTC day, and small
 * per-connection state (sync cursors, last reconciliation, last receipt).
 */
import { cachedStatement } from '../../../store/statements'
import type { Db } from '../../../store/database'
import { listWhere } from '../../../store/list-where'

export interface SeenResource {
  practiceId: string
  resourceType: string
  fhirId: string
  lastUpdated: string | null
  versionId: string | null
  recordId: number | null
  athenaId: string | null
  seenAt: number
}

export type SubscriptionState = 'creating' | 'active' | 'retiring' | 'deleted' | 'error'

export interface SubscriptionRow {
  id: number
  practiceId: string
  connectionId: string
  topic: string
  remoteId: string | null
  state: SubscriptionState
  remoteStatus: string | null
  endpoint: string
  endAt: number | null
  retireAfter: number | null
  replacedBy: number | null
  lastError: string | null
  lastDeliveryAt: number | null
  createdAt: number
  updatedAt: number
}

export const COUNTER_FIELDS = ['deliveries', 'events', 'duplicates', 'bad_signatures', 'malformed', 'unknown', 'failures'] as const
export type CounterField = (typeof COUNTER_FIELDS)[number]
export type Counters = Record<CounterField, number> & { lastDeliveryAt: number | null }

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

const toSub = (r: Record<string, unknown>): SubscriptionRow => ({
  id: r.id as number,
  practiceId: r.practice_id as string,
  connectionId: r.connection_id as string,
  topic: r.topic as string,
  remoteId: (r.remote_id as string | null) ?? null,
  state: r.state as SubscriptionState,
  remoteStatus: (r.remote_status as string | null) ?? null,
  endpoint: r.endpoint as string,
  endAt: (r.end_at as number | null) ?? null,
  retireAfter: (r.retire_after as number | null) ?? null,
  replacedBy: (r.replaced_by as number | null) ?? null,
  lastError: (r.last_error as string | null) ?? null,
  lastDeliveryAt: (r.last_delivery_at as number | null) ?? null,
  createdAt: r.created_at as number,
  updatedAt: r.updated_at as number,
})

interface PendingCounts {
  practiceId: string
  subscription: string
  day: string
  counts: Partial<Record<CounterField, number>>
  lastDeliveryAt: number | null
}

export class FhirRepo {
  private readonly s
  /** Receipt counts not yet written (count() → flushCounts()); readers see them added to the stored row. */
  private readonly pending = new Map<string, PendingCounts>()

  constructor(private readonly db: Db) {
    this.s = {
      seen: db.prepare('SELECT * FROM fhir_resources WHERE practice_id = ? AND resource_type = ? AND fhir_id = ?'),
      upsertSeen: db.prepare(`INSERT INTO fhir_resources (practice_id, resource_type, fhir_id, last_updated, version_id, record_id, athena_id, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (practice_id, resource_type, fhir_id) DO UPDATE SET last_updated = excluded.last_updated, version_id = excluded.version_id,
        record_id = coalesce(excluded.record_id, record_id), athena_id = coalesce(excluded.athena_id, athena_id), seen_at = excluded.seen_at`),
      byRecord: db.prepare('SELECT * FROM fhir_resources WHERE record_id = ? ORDER BY resource_type, fhir_id'),
      knownPatients: db.prepare("SELECT fhir_id FROM fhir_resources WHERE practice_id = ? AND resource_type = 'Patient' ORDER BY fhir_id"),
      insertSub: db.prepare(`INSERT INTO fhir_subscriptions (practice_id, connection_id, topic, remote_id, state, remote_status, endpoint, end_at, created_at, updated_at)
        VALUES (?, ?, ?, NULL, 'creating', NULL, ?, ?, ?, ?)`),
      getSub: db.prepare('SELECT * FROM fhir_subscriptions WHERE id = ?'),
      subByRemote: db.prepare('SELECT * FROM fhir_subscriptions WHERE connection_id = ? AND remote_id = ?'),
      subsOf: db.prepare("SELECT * FROM fhir_subscriptions WHERE connection_id = ? AND state != 'deleted' ORDER BY id"),
      getState: db.prepare('SELECT value FROM fhir_state WHERE connection_id = ? AND key = ?'),
      setState: db.prepare(`INSERT INTO fhir_state (connection_id, key, value, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (connection_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`),
      counters: db.prepare('SELECT * FROM fhir_webhook_counters WHERE practice_id = ? AND subscription = ? AND day = ?'),
    }
  }

  seen(practiceId: string, resourceType: string, fhirId: string): SeenResource | null {
    const r = this.s.seen.get(practiceId, resourceType, fhirId) as Record<string, unknown> | undefined
    return r
      ? {
          practiceId,
          resourceType,
          fhirId,
          lastUpdated: (r.last_updated as string | null) ?? null,
          versionId: (r.version_id as string | null) ?? null,
          recordId: (r.record_id as number | null) ?? null,
          athenaId: (r.athena_id as string | null) ?? null,
          seenAt: r.seen_at as number,
        }
      : null
  }

  markSeen(x: Omit<SeenResource, 'seenAt'>, now: number): void {
    this.s.upsertSeen.run(x.practiceId, x.resourceType, x.fhirId, x.lastUpdated, x.versionId, x.recordId, x.athenaId, now)
  }

  /** FHIR ids a record is known by (the inspector's cross-reference). */
  idsOfRecord(recordId: number): Array<{ resourceType: string; fhirId: string; athenaId: string | null; lastUpdated: string | null }> {
    return (this.s.byRecord.all(recordId) as Record<string, unknown>[]).map((r) => ({ resourceType: r.resource_type as string, fhirId: r.fhir_id as string, athenaId: (r.athena_id as string | null) ?? null, lastUpdated: (r.last_updated as string | null) ?? null }))
  }

  knownPatientIds(practiceId: string): string[] {
    return (this.s.knownPatients.all(practiceId) as { fhir_id: string }[]).map((r) => r.fhir_id)
  }

  createSubscription(practiceId: string, connectionId: string, topic: string, endpoint: string, endAt: number | null, now: number): number {
    return Number(this.s.insertSub.run(practiceId, connectionId, topic, endpoint, endAt, now, now).lastInsertRowid)
  }

  subscription(id: number): SubscriptionRow | null {
    const r = this.s.getSub.get(id) as Record<string, unknown> | undefined
    return r ? toSub(r) : null
  }

  subscriptionByRemote(connectionId: string, remoteId: string): SubscriptionRow | null {
    const r = this.s.subByRemote.get(connectionId, remoteId) as Record<string, unknown> | undefined
    return r ? toSub(r) : null
  }

  subscriptionsOf(connectionId: string): SubscriptionRow[] {
    return (this.s.subsOf.all(connectionId) as Record<string, unknown>[]).map(toSub)
  }

  /** Live subscriptions, optionally only of some practices (access scoping). */
  /** Live subscriptions (deleted ones too when asked), narrowed in SQL to a practice scope (withinScope's list; empty = none). */
  subscriptions(practiceIds?: readonly string[], opts: { includeDeleted?: boolean } = {}): SubscriptionRow[] {
    const { where, args } = listWhere([["(state != 'deleted') = ?", opts.includeDeleted ? null : 1]], practiceIds)
    return (this.db.prepare(`SELECT * FROM fhir_subscriptions ${where} ORDER BY practice_id, topic, id`).all(...args) as Record<string, unknown>[]).map(toSub)
  }

  updateSubscription(id: number, patch: Partial<Pick<SubscriptionRow, 'remoteId' | 'state' | 'remoteStatus' | 'endAt' | 'retireAfter' | 'replacedBy' | 'lastError' | 'lastDeliveryAt'>>, now: number): void {
    const cols: Record<string, string> = { remoteId: 'remote_id', state: 'state', remoteStatus: 'remote_status', endAt: 'end_at', retireAfter: 'retire_after', replacedBy: 'replaced_by', lastError: 'last_error', lastDeliveryAt: 'last_delivery_at' }
    const keys = Object.keys(patch) as Array<keyof typeof patch>
    if (!keys.length) return
    const sql = `UPDATE fhir_subscriptions SET ${keys.map((k) => `${cols[k]} = ?`).join(', ')}, updated_at = ? WHERE id = ?`
    this.db.prepare(sql).run(...keys.map((k) => patch[k] ?? null), now, id)
  }

  /**
   * Counts a receipt in memory; flushCounts() writes what accumulated. A count is not a message:
   * writing one per delivery cost the receiver ~0.5 ms of its thread (bench, README "Webhook
   * receipt"), and a crash loses at most the counts since the last flush.
   */
  count(practiceId: string, subscription: string, counts: Partial<Record<CounterField, number>>, at: number, delivery = false): void {
    const day = utcDay(at)
    const key = `${practiceId}\u0000${subscription}\u0000${day}`
    let p = this.pending.get(key)
    if (!p) this.pending.set(key, (p = { practiceId, subscription, day, counts: {}, lastDeliveryAt: null }))
    for (const [f, n] of Object.entries(counts) as Array<[CounterField, number]>) if (n) p.counts[f] = (p.counts[f] ?? 0) + n
    if (delivery) p.lastDeliveryAt = Math.max(p.lastDeliveryAt ?? at, at)
  }

  get countsPending(): boolean {
    return this.pending.size > 0
  }

  /** Writes the accumulated counts (one upsert per practice, subscription and day); run it inside a write transaction. */
  flushCounts(): void {
    const all = [...this.pending.values()]
    this.pending.clear()
    for (const p of all) this.bump(p.practiceId, p.subscription, p.counts, p.day, p.lastDeliveryAt)
  }

  private bump(practiceId: string, subscription: string, counts: Partial<Record<CounterField, number>>, day: string, lastDeliveryAt: number | null): void {
    const fields = Object.entries(counts).filter(([, n]) => n) as Array<[CounterField, number]>
    if (!fields.length && lastDeliveryAt === null) return
    const sets = fields.map(([f]) => `${f} = ${f} + excluded.${f}`)
    if (lastDeliveryAt !== null) sets.push('last_delivery_at = max(coalesce(last_delivery_at, 0), excluded.last_delivery_at)')
    const names = fields.map(([f]) => f)
    // Constant per set of fields, so cached (a few dozen texts at most).
    cachedStatement(
      this.db,
      `INSERT INTO fhir_webhook_counters (practice_id, subscription, day${names.map((n) => `, ${n}`).join('')}, last_delivery_at) VALUES (?, ?, ?${names.map(() => ', ?').join('')}, ?)
         ON CONFLICT (practice_id, subscription, day) DO UPDATE SET ${sets.length ? sets.join(', ') : 'day = day'}`,
    ).run(practiceId, subscription, day, ...fields.map(([, n]) => n), lastDeliveryAt)
  }

  countersToday(practiceId: string, subscription: string, now: number): Counters {
    const day = utcDay(now)
    const r = this.s.counters.get(practiceId, subscription, day) as Record<string, number | null> | undefined
    const p = this.pending.get(`${practiceId}\u0000${subscription}\u0000${day}`)
    const out = Object.fromEntries(COUNTER_FIELDS.map((f) => [f, ((r?.[f] as number | undefined) ?? 0) + (p?.counts[f] ?? 0)])) as Record<CounterField, number>
    const stored = (r?.last_delivery_at as number | null | undefined) ?? null
    const last = p?.lastDeliveryAt != null ? Math.max(stored ?? 0, p.lastDeliveryAt) : stored
    return { ...out, lastDeliveryAt: last }
  }

  state<T>(connectionId: string, key: string): T | null {
    const r = this.s.getState.get(connectionId, key) as { value: string } | undefined
    return r ? (JSON.parse(r.value) as T) : null
  }

  setState(connectionId: string, key: string, value: unknown, now: number): void {
    this.s.setState.run(connectionId, key, JSON.stringify(value), now)
  }
}
