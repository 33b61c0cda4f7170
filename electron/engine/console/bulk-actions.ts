/**
 * Bulk actions of the error queue: reprocess, discard or triage chosen rows, a whole error group,
 * or everything the current filter matches. A plan comes first (for the confirmation: how many,
 * from which connectors and interfaces, sent where) and pins `upToId`, so rows that arrive
 * between the confirmation and the click are never swept in. The pipeline audits each row it
 * touches; a bulk action adds one entry saying what the operator selected.
 */
import type { BulkPlan, Selection } from '../../../shared/api/errors-queue'
import { BULK_CAP } from '../../../shared/api/errors-queue'
import type { TRIAGE_STATES, TxFilter, TxStatus } from '../../../shared/api/transactions'
import type { AuditLog } from '../audit/audit-log'
import type { Clock } from '../core/clock'
import type { EventBus } from '../core/event-bus'
import { errorGroupName } from '../pipeline/error-group'
import type { Pipeline } from '../pipeline/pipeline'
import type { TransactionsRepo } from '../pipeline/transactions-repo'
import type { ConnectionsRepo } from '../practices/connections-repo'
import type { Db } from '../store/database'
import type { WriteBatcher } from '../store/write-batcher'

export interface BulkResult {
  done: number[]
  skipped: { id: number; reason: string }[]
}

type TriageState = (typeof TRIAGE_STATES)[number]

const PENDING: ReadonlySet<string> = new Set(['received', 'queued', 'processing'])

/** The filter a group or filter selection stands for. */
export function selectionFilter(sel: Exclude<Selection, { kind: 'ids' }>): TxFilter {
  return sel.kind === 'group' ? { practiceId: sel.practiceId, statuses: ['error'], errorGroup: sel.group } : sel.filter
}

/** What the audit trail keeps of a selection: its kind and which filters were set, not their values. */
export function describeSelection(sel: Selection): Record<string, unknown> {
  if (sel.kind === 'ids') return { kind: 'ids', count: sel.ids.length }
  if (sel.kind === 'group') return { kind: 'group', group: sel.group }
  const set = Object.entries(sel.filter).filter(([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0))
  return { kind: 'filter', filters: Object.fromEntries(set.map(([k, v]) => [k, k === 'q' ? '(search)' : v])) }
}

export class BulkActions {
  private readonly s

  constructor(
    private readonly d: {
      db: Db
      txRepo: TransactionsRepo
      pipeline: Pipeline
      batcher: WriteBatcher
      audit: AuditLog
      events: EventBus
      connections: ConnectionsRepo
      clock: Clock
    },
  ) {
    this.s = {
      maxId: d.db.prepare('SELECT max(id) AS id FROM transactions'),
      summary: d.db.prepare(`SELECT practice_id, connector, channel, direction, status, error_retryable, count(*) AS n
        FROM transactions WHERE id IN (SELECT value FROM json_each(?)) GROUP BY practice_id, connector, channel, direction, status, error_retryable`),
      practices: d.db.prepare(`SELECT DISTINCT practice_id FROM transactions WHERE id IN (SELECT value FROM json_each(?))`),
      groupExample: d.db.prepare(`SELECT error_code, error_message FROM transactions WHERE practice_id = ? AND error_group = ? ORDER BY id DESC LIMIT 1`),
    }
  }

  /** The rows a selection stands for, newest first, at most BULK_CAP, none newer than `upToId`. */
  resolve(sel: Selection, upToId: number): { ids: number[]; capped: boolean } {
    if (sel.kind === 'ids') {
      const ids = [...new Set(sel.ids)].filter((id) => id <= upToId)
      return { ids: ids.slice(0, BULK_CAP), capped: ids.length > BULK_CAP }
    }
    const filter = selectionFilter(sel)
    const out: number[] = []
    let before: number | undefined = upToId + 1
    while (out.length <= BULK_CAP) {
      const page = this.d.txRepo.list({ ...filter, before, limit: 500 })
      for (const i of page.items) if (i.id <= upToId) out.push(i.id)
      if (page.nextCursor === null) break
      before = page.nextCursor
    }
    return { ids: out.slice(0, BULK_CAP), capped: out.length > BULK_CAP }
  }

  plan(sel: Selection): BulkPlan {
    const upToId = sel.kind === 'ids' ? Math.max(...sel.ids) : ((this.s.maxId.get() as { id: number | null }).id ?? 0)
    const { ids, capped } = this.resolve(sel, upToId)
    const rows = this.s.summary.all(JSON.stringify(ids)) as {
      practice_id: string
      connector: string
      channel: string
      direction: 'in' | 'out'
      status: TxStatus
      error_retryable: number | null
      n: number
    }[]
    const statuses: Record<TxStatus, number> = { received: 0, queued: 0, processing: 0, done: 0, filtered: 0, error: 0, discarded: 0 }
    const targets = new Map<string, BulkPlan['targets'][number]>()
    let retryable = 0
    let permanent = 0
    let busy = 0
    for (const r of rows) {
      statuses[r.status] += r.n
      if (PENDING.has(r.status)) busy += r.n
      if (r.status === 'error') {
        if (r.error_retryable === 1) retryable += r.n
        else permanent += r.n
      }
      const key = `${r.practice_id}\u0000${r.connector}\u0000${r.channel}\u0000${r.direction}`
      const t = targets.get(key)
      if (t) t.count += r.n
      else targets.set(key, { connector: r.connector, channel: r.channel, direction: r.direction, destination: this.destination(r.practice_id, r.connector, r.channel, r.direction), count: r.n })
    }
    return { count: ids.length, capped, upToId, targets: [...targets.values()].sort((a, b) => b.count - a.count), statuses, retryable, permanent, busy }
  }

  /**
   * Where reprocessing a row of this lane sends it: inbound rows are applied again to this
   * install's Practice Studio records; outbound rows go to the configured destination again.
   */
  destination(practiceId: string, connector: string, channel: string, direction: 'in' | 'out'): string {
    if (direction === 'in') return `Practice Studio records of practice "${practiceId}" (parse, map, apply again)`
    const conn = this.d.connections.findByName(practiceId, channel)
    if (conn?.kind === 'hl7-outbound') return `HL7 over MLLP to ${String(conn.config.host)}:${String(conn.config.port)} (interface "${conn.name}")`
    if (conn?.kind === 'athena-rest') {
      const base = typeof conn.config.baseUrl === 'string' && conn.config.baseUrl ? ` at ${conn.config.baseUrl}` : ''
      return `athenaNet ${String(conn.config.environment)}${base} (connection "${conn.name}")`
    }
    return `${connector} destination "${channel}"`
  }

  async reprocess(sel: Selection, upToId: number, actor: string): Promise<BulkResult> {
    const { ids, capped } = this.resolve(sel, upToId)
    const target = this.target(sel)
    // Oldest first: each lane then rewinds once to the oldest row and works forward in order.
    const r = ids.length ? await this.d.pipeline.reprocess([...ids].sort((a, b) => a - b), actor) : { queued: [], skipped: [] }
    this.auditBulk('errors.bulk_reprocess', sel, target, ids, actor, { queued: r.queued.length, skipped: r.skipped.length, capped })
    return { done: r.queued, skipped: r.skipped }
  }

  async discard(sel: Selection, upToId: number, reason: string, actor: string): Promise<BulkResult> {
    const { ids, capped } = this.resolve(sel, upToId)
    const target = this.target(sel)
    const r = ids.length ? await this.d.pipeline.discard(ids, reason, actor) : { discarded: [], skipped: [] }
    this.auditBulk('errors.bulk_discard', sel, target, ids, actor, { discarded: r.discarded.length, skipped: r.skipped.length, capped, reason })
    return { done: r.discarded, skipped: r.skipped }
  }

  async triage(sel: Selection, upToId: number | undefined, state: TriageState, note: string | undefined, actor: string): Promise<BulkResult> {
    const limit = upToId ?? (sel.kind === 'ids' ? Math.max(...sel.ids) : ((this.s.maxId.get() as { id: number | null }).id ?? 0))
    const { ids } = this.resolve(sel, limit)
    const trimmed = note?.trim() ? note.trim() : null
    const done = await this.d.batcher.run(() => {
      const now = this.d.clock.now()
      const changed = this.d.txRepo.setTriage(ids, state, trimmed, now)
      for (const id of changed) {
        const row = this.d.txRepo.get(id)
        // The note is operator free text and may name a patient: the trail records that one was written, not what it says.
        this.d.audit.append({ actor, action: 'transaction.triage', practiceId: row?.practice_id ?? null, targetType: 'transaction', targetId: String(id), details: { state, note: trimmed ? `${trimmed.length} characters` : null } })
      }
      return changed
    })
    const seen = new Set(done)
    for (const p of this.s.practices.all(JSON.stringify(done)) as { practice_id: string }[]) {
      this.d.events.emit('transactions.changed', { practiceId: p.practice_id, ids: done.slice(0, 500), statuses: ['error'] })
    }
    return { done, skipped: ids.filter((id) => !seen.has(id)).map((id) => ({ id, reason: 'not found' })) }
  }

  /** Read before the action changes the rows: a reprocessed row no longer holds its group. */
  private target(sel: Selection): string | null {
    return sel.kind === 'group' ? this.groupName(sel.practiceId, sel.group) : null
  }

  private auditBulk(action: string, sel: Selection, target: string | null, ids: number[], actor: string, details: Record<string, unknown>): void {
    if (sel.kind === 'ids' && ids.length <= 1) return
    const practiceId = sel.kind === 'ids' ? null : sel.kind === 'group' ? sel.practiceId : sel.filter.practiceId
    this.d.audit.append({ actor, action, practiceId, targetType: sel.kind === 'group' ? 'error_group' : 'selection', targetId: target, details: { selection: describeSelection(sel), count: ids.length, ...details } })
  }

  /** A group's readable name (its code and an example message); the key when no row holds it any more. */
  private groupName(practiceId: string, group: string): string {
    const r = this.s.groupExample.get(practiceId, group) as { error_code: string | null; error_message: string | null } | undefined
    return r ? errorGroupName(r.error_code ?? 'internal', r.error_message ?? '') : group
  }
}
