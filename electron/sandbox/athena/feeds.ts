/**
 * Changed-data feeds (reference §6): subscriptions belong to a client id (H); each subscriber has
 * its own queue of change messages; a read returns the full current records and marks them
 * processed (M) unless `leaveunprocessed=true` (H); processed messages stay replayable by
 * processed-time window until the retention period (U, configurable) drops them.
 *
 * Paging a destructive read: athena's `next` carries an offset (M), but after page one is consumed
 * the remaining messages are the head of the queue again. So a destructive read always serves from
 * the head and ignores `offset`, which makes following `next` return every message exactly once.
 * Non-destructive reads (leaveunprocessed, replay windows) honour `offset` normally.
 */
import type { Clock } from '../../engine/core/clock'
import type { SandboxConfig } from './config'
import { badRequest } from './errors'

export type FeedKind = 'appointments' | 'patients'

/** M: names captured from a live subscription (S13). */
export const APPOINTMENT_EVENTS = [
  'ScheduleAppointment',
  'CheckIn',
  'CheckOut',
  'UpdateAppointment',
  'CancelAppointment',
  'FreezeAppointment',
  'UnfreezeAppointment',
  'DeleteAppointment',
  'AddAppointmentSlot',
] as const

/** Opt-in through includeremindercall / includesuggestedoverbooking (H). */
export const APPOINTMENT_OPT_IN_EVENTS = ['UpdateReminderCall', 'UpdateSuggestedOverbooking'] as const

interface Subscription {
  events: Set<string>
  departmentIds: Set<number> | null
  /** Clock reading from which changes are queued (activation delay, H: minutes in athena). */
  activeAt: number
}

interface Change {
  seq: number
  entityId: number
  event: string
  changedAt: number
  processedAt?: number
}

export interface FeedReadQuery {
  /** Filters evaluated against the record's current state (departmentid, providerid, patientid). */
  matches: (entityId: number) => boolean
  leaveUnprocessed: boolean
  window?: { start: number; end: number }
  limit: number
  offset: number
}

export interface FeedReadResult {
  ids: number[]
  totalcount: number
  more: boolean
}

export class FeedHub {
  private readonly subs = new Map<string, Subscription>()
  private readonly queues = new Map<string, Change[]>()
  private seq = 0

  constructor(
    private readonly cfg: SandboxConfig,
    private readonly clock: Clock,
  ) {}

  events(kind: FeedKind): { standard: readonly string[]; optIn: readonly string[] } {
    return kind === 'appointments'
      ? { standard: APPOINTMENT_EVENTS, optIn: APPOINTMENT_OPT_IN_EVENTS }
      : { standard: this.cfg.patientFeedEvents, optIn: [] }
  }

  subscribe(
    clientId: string,
    kind: FeedKind,
    opts: { eventname?: string; departmentIds?: number[]; optIn?: string[] },
  ): void {
    const { standard, optIn } = this.events(kind)
    const key = `${clientId}|${kind}`
    const now = this.clock.now()
    const sub = this.subs.get(key) ?? {
      events: new Set<string>(),
      departmentIds: null,
      activeAt: now + this.cfg.subscriptionActivationDelaySeconds * 1000,
    }
    if (opts.eventname !== undefined) {
      const match = [...standard, ...optIn].find((e) => e.toLowerCase() === opts.eventname!.toLowerCase())
      if (!match) throw badRequest('Invalid event name.', `${opts.eventname} is not a valid event for this feed.`)
      sub.events.add(match)
    } else {
      for (const e of standard) sub.events.add(e)
    }
    for (const e of opts.optIn ?? []) sub.events.add(e)
    // H: each new or updated subscription must pass the complete department list; omitting it
    // subscribes the whole practice.
    sub.departmentIds = opts.departmentIds?.length ? new Set(opts.departmentIds) : null
    this.subs.set(key, sub)
    if (!this.queues.has(key)) this.queues.set(key, [])
  }

  unsubscribe(clientId: string, kind: FeedKind, eventname?: string): void {
    const key = `${clientId}|${kind}`
    const sub = this.subs.get(key)
    if (!sub) return
    if (eventname !== undefined) {
      for (const e of sub.events) if (e.toLowerCase() === eventname.toLowerCase()) sub.events.delete(e)
    } else {
      sub.events.clear()
    }
    if (sub.events.size === 0) {
      this.subs.delete(key)
      this.queues.delete(key)
    }
  }

  status(clientId: string, kind: FeedKind): { status: string; subscriptions: Array<{ eventname: string }> } {
    const sub = this.subs.get(`${clientId}|${kind}`)
    const { standard, optIn } = this.events(kind)
    if (!sub || sub.events.size === 0) return { status: 'INACTIVE', subscriptions: [] }
    const all = standard.every((e) => sub.events.has(e))
    const ordered = [...standard, ...optIn].filter((e) => sub.events.has(e))
    return { status: all ? 'ACTIVE' : 'PARTIAL', subscriptions: ordered.map((eventname) => ({ eventname })) }
  }

  isSubscribed(clientId: string, kind: FeedKind): boolean {
    return (this.subs.get(`${clientId}|${kind}`)?.events.size ?? 0) > 0
  }

  /** Queues a change for every subscriber whose events and departments cover it. */
  /** Told of every change recorded (the FHIR side turns them into subscription notifications). */
  onRecord: ((kind: FeedKind, event: string, entityId: number, departmentId: number) => void) | null = null

  record(kind: FeedKind, event: string, entityId: number, departmentId: number): void {
    this.onRecord?.(kind, event, entityId, departmentId)
    const now = this.clock.now()
    for (const [key, sub] of this.subs) {
      if (!key.endsWith(`|${kind}`)) continue
      if (now < sub.activeAt || !sub.events.has(event)) continue
      if (sub.departmentIds && !sub.departmentIds.has(departmentId)) continue
      this.queues.get(key)!.push({ seq: ++this.seq, entityId, event, changedAt: now })
    }
  }

  read(clientId: string, kind: FeedKind, q: FeedReadQuery): FeedReadResult {
    const key = `${clientId}|${kind}`
    const queue = this.prune(key)
    if (q.window) {
      const { start, end } = q.window
      const ids = distinct(
        queue.filter((c) => c.processedAt !== undefined && floorSecond(c.processedAt) >= start && floorSecond(c.processedAt) <= end && q.matches(c.entityId)),
      )
      return { ids: ids.slice(q.offset, q.offset + q.limit), totalcount: ids.length, more: q.offset + q.limit < ids.length }
    }
    const pending = queue.filter((c) => c.processedAt === undefined && q.matches(c.entityId))
    const ids = distinct(pending)
    if (q.leaveUnprocessed) {
      return { ids: ids.slice(q.offset, q.offset + q.limit), totalcount: ids.length, more: q.offset + q.limit < ids.length }
    }
    const page = ids.slice(0, q.limit)
    const taken = new Set(page)
    const now = this.clock.now()
    for (const c of pending) if (taken.has(c.entityId)) c.processedAt = now
    return { ids: page, totalcount: ids.length, more: ids.length > page.length }
  }

  /** Messages not yet read, per client and feed (for stats). */
  pendingCounts(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [key, queue] of this.queues) out[key] = queue.filter((c) => c.processedAt === undefined).length
    return out
  }

  private prune(key: string): Change[] {
    const queue = this.queues.get(key) ?? []
    const cutoff = this.clock.now() - this.cfg.feedRetentionHours * 3_600_000
    // Only processed messages expire: dropping unread ones would lose data silently.
    const kept = queue.filter((c) => c.processedAt === undefined || c.processedAt >= cutoff)
    if (kept.length !== queue.length) this.queues.set(key, kept)
    return kept
  }
}

function floorSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000
}

/** Entity ids in order of their first message; several messages for one record yield one record. */
function distinct(changes: Change[]): number[] {
  const seen = new Set<number>()
  const out: number[] = []
  for (const c of changes) {
    if (!seen.has(c.entityId)) {
      seen.add(c.entityId)
      out.push(c.entityId)
    }
  }
  return out
}
