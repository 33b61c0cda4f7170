/**
 * Read-only SQL behind the operator console's overview screens: the dashboard, the error queue's
 * groups, filter facets and export counts. Every statement here is shaped to be answered from the
 * indexes of migration 0040 (test/bench/tx-query.bench.ts keeps them honest over 1M rows).
 */
import type { TxStatus } from '../../../shared/api/transactions'
import type { Db } from '../store/database'
import { HOUR_MS, TxRollup, type WindowSums } from './tx-rollup'

/** Buckets this long or longer read whole hours from the hourly rollup (the 7- and 30-day windows). */
export const ROLLUP_FROM_BUCKET_MS = HOUR_MS

export interface DashboardQuery {
  practiceId: string
  from: number
  to: number
  buckets: number
}

export interface LaneCounts {
  connector: string
  channel: string
  direction: 'in' | 'out'
  lastReceivedAt: number | null
  counts: Record<TxStatus, number>
  pending: number
}

export interface Bucket {
  start: number
  received: number
  done: number
  filtered: number
  error: number
}

export interface DashboardData {
  from: number
  to: number
  bucketMs: number
  lanes: LaneCounts[]
  buckets: Bucket[]
  totals: Record<TxStatus, number>
  pending: number
}

export interface ErrorGroupRow {
  group: string
  count: number
  firstSeen: number
  lastSeen: number
  lastId: number
  lanes: { connector: string; channel: string; count: number }[]
  triage: { new: number; investigating: number; resolved: number }
  retryable: boolean
}

const emptyCounts = (): Record<TxStatus, number> => ({ received: 0, queued: 0, processing: 0, done: 0, filtered: 0, error: 0, discarded: 0 })

export class ConsoleQueries {
  private readonly s

  /** `rollup: null` counts every window from the index (the bench's baseline). */
  constructor(
    private readonly db: Db,
    readonly rollup: TxRollup | null = new TxRollup(db),
  ) {
    this.s = {
      // Conditional sums over one index range: no GROUP BY, so no sorter over every row in the window.
      laneWindow: db.prepare(`SELECT count(*) AS received, sum(status = 'done') AS done, sum(status = 'filtered') AS filtered,
          sum(status = 'error') AS error, sum(status = 'discarded') AS discarded
        FROM transactions INDEXED BY tx_practice_channel
        WHERE practice_id = ? AND connector = ? AND channel = ? AND received_at >= ? AND received_at < ?`),
      // The worker's partial index holds exactly the pending rows: counting them never sees finished ones.
      pending: db.prepare(`SELECT connector, channel, count(*) AS n FROM transactions INDEXED BY tx_lane
        WHERE practice_id = ? AND status IN ('received','queued','processing') GROUP BY connector, channel`),
      errorSample: db.prepare('SELECT error_code, error_message FROM transactions WHERE id = ?'),
      errorGroups: db.prepare(`SELECT error_group AS grp, connector, channel, triage_state, max(error_retryable) AS retryable,
          count(*) AS n, min(error_at) AS first_seen, max(error_at) AS last_seen, max(id) AS last_id
        FROM transactions INDEXED BY tx_practice_error_group
        WHERE practice_id = ? AND status = 'error' GROUP BY error_group, connector, channel, triage_state`),
      firstLane: db.prepare(`SELECT connector, channel FROM transactions INDEXED BY tx_practice_channel
        WHERE practice_id = ? ORDER BY connector, channel LIMIT 1`),
      // Two seeks rather than a row-value comparison: SQLite seeks (connector, channel) > (?, ?) on
      // the connector alone and would then walk the whole current lane.
      nextChannel: db.prepare(`SELECT connector, channel FROM transactions INDEXED BY tx_practice_channel
        WHERE practice_id = ? AND connector = ? AND channel > ? ORDER BY channel LIMIT 1`),
      nextConnector: db.prepare(`SELECT connector, channel FROM transactions INDEXED BY tx_practice_channel
        WHERE practice_id = ? AND connector > ? ORDER BY connector, channel LIMIT 1`),
      laneDirection: db.prepare(`SELECT direction FROM transactions INDEXED BY tx_practice_channel WHERE practice_id = ? AND connector = ? AND channel = ? LIMIT 1`),
      // The lane's newest arrival: the last entry of its index range, one seek.
      lastReceived: db.prepare(`SELECT received_at AS at FROM transactions INDEXED BY tx_practice_channel
        WHERE practice_id = ? AND connector = ? AND channel = ? ORDER BY received_at DESC LIMIT 1`),
    }
  }

  /**
   * Counts per lane and status, throughput buckets, and what is waiting, for one practice.
   * Each (lane, bucket) pair is one range of tx_practice_channel read with conditional sums, so
   * every row in the window is visited once, from the index, with no sorter; lane totals and
   * bucket totals are sums of those cells. When the buckets are an hour or longer (the 7- and
   * 30-day windows), their whole hours come from the hourly rollup instead (tx-rollup.ts: ~720
   * rows a lane for 30 days, whatever the traffic): buckets are then whole hours aligned to UTC
   * hours, the first one starting at `from`, and only the partial hours at the window's two ends
   * are counted from the index, so the answer is the same as the direct count's.
   */
  dashboard(q: DashboardQuery): DashboardData {
    const span = Math.max(1, q.to - q.from)
    let size = Math.max(1000, Math.ceil(span / Math.max(1, Math.min(q.buckets, 500))))
    const useRollup = this.rollup !== null && size >= ROLLUP_FROM_BUCKET_MS
    if (useRollup) this.rollup!.ensure()
    const totals = emptyCounts()
    const buckets: Bucket[] = []
    // Bucket k covers [edges[k], edges[k + 1]).
    const edges: number[] = []
    if (useRollup) {
      size = Math.ceil(size / HOUR_MS) * HOUR_MS
      const aligned = Math.floor(q.from / HOUR_MS) * HOUR_MS
      edges.push(q.from)
      for (let e = aligned + size; e < q.to && edges.length < 500; e += size) edges.push(e)
    } else {
      for (let start = q.from; start < q.to; start += size) edges.push(start)
    }
    edges.push(q.to)
    for (let k = 0; k + 1 < edges.length; k++) buckets.push({ start: edges[k], received: 0, done: 0, filtered: 0, error: 0 })
    const lanes: LaneCounts[] = []
    for (const f of this.facets(q.practiceId)) {
      const cells: WindowSums[] = useRollup
        ? this.rollupCells(q.practiceId, f.connector, f.channel, edges, size)
        : buckets.map((_, k) => this.direct(q.practiceId, f.connector, f.channel, edges[k], edges[k + 1]))
      const counts = emptyCounts()
      let received = 0
      cells.forEach((r, k) => {
        if (r.received === 0) return
        const b = buckets[k]
        received += r.received
        b.received += r.received
        b.done += r.done
        b.filtered += r.filtered
        b.error += r.error
        counts.done += r.done
        counts.filtered += r.filtered
        counts.error += r.error
        counts.discarded += r.discarded
      })
      // Received in the window and not finished yet (received, queued or processing).
      counts.queued = Math.max(0, received - counts.done - counts.filtered - counts.error - counts.discarded)
      for (const k of Object.keys(totals) as TxStatus[]) totals[k] += counts[k]
      lanes.push({ connector: f.connector, channel: f.channel, direction: f.direction, lastReceivedAt: f.lastReceivedAt, counts, pending: 0 })
    }
    let pending = 0
    for (const r of this.pendingByLane(q.practiceId)) {
      const l = lanes.find((x) => x.connector === r.connector && x.channel === r.channel)
      if (l) l.pending = r.n
      pending += r.n
    }
    return { from: q.from, to: q.to, bucketMs: size, lanes, buckets, totals, pending }
  }

  /** One lane's counts received in [lo, hi), read from the index. */
  private direct(practiceId: string, connector: string, channel: string, lo: number, hi: number): WindowSums {
    type Sums = { received: number; done: number | null; filtered: number | null; error: number | null; discarded: number | null }
    const r = this.s.laneWindow.get(practiceId, connector, channel, lo, hi) as Sums
    return { received: r.received, done: r.done ?? 0, filtered: r.filtered ?? 0, error: r.error ?? 0, discarded: r.discarded ?? 0 }
  }

  /**
   * One lane's cells for hour-aligned buckets (`edges`: `from`, then whole hours `size` apart, then
   * `to`): the window's whole hours from the rollup in one range read, each added to its bucket; the
   * partial hour at each end (before the first whole hour, after the last) from the index.
   */
  private rollupCells(practiceId: string, connector: string, channel: string, edges: number[], size: number): WindowSums[] {
    const n = edges.length - 1
    const from = edges[0]
    const to = edges[n]
    const cells: WindowSums[] = Array.from({ length: n }, () => ({ received: 0, done: 0, filtered: 0, error: 0, discarded: 0 }))
    const add = (k: number, r: WindowSums): void => {
      const c = cells[k]
      c.received += r.received
      c.done += r.done
      c.filtered += r.filtered
      c.error += r.error
      c.discarded += r.discarded
    }
    const h0 = Math.ceil(from / HOUR_MS) * HOUR_MS
    const h1 = Math.floor(to / HOUR_MS) * HOUR_MS
    if (h0 >= h1) {
      add(0, this.direct(practiceId, connector, channel, from, to))
      return cells
    }
    if (from < h0) add(0, this.direct(practiceId, connector, channel, from, h0))
    if (h1 < to) add(n - 1, this.direct(practiceId, connector, channel, h1, to))
    const aligned = Math.floor(from / HOUR_MS) * HOUR_MS
    for (const r of this.rollup!.buckets(practiceId, connector, channel, h0 / HOUR_MS, h1 / HOUR_MS, aligned, size)) add(Math.min(n - 1, r.k), r)
    return cells
  }

  /** Failures grouped by cause (error code + message pattern), newest cause first. */
  errorGroups(q: { practiceId: string; connector?: string; channel?: string }): ErrorGroupRow[] {
    const groups = new Map<string, ErrorGroupRow>()
    const rows = this.s.errorGroups.all(q.practiceId) as {
      grp: string | null
      connector: string
      channel: string
      triage_state: string | null
      retryable: number | null
      n: number
      first_seen: number | null
      last_seen: number | null
      last_id: number
    }[]
    for (const r of rows) {
      if (q.connector && r.connector !== q.connector) continue
      if (q.channel && r.channel !== q.channel) continue
      const key = r.grp ?? 'internal|(no cause recorded)'
      let g = groups.get(key)
      if (!g) {
        g = { group: key, count: 0, firstSeen: Infinity, lastSeen: 0, lastId: 0, lanes: [], triage: { new: 0, investigating: 0, resolved: 0 }, retryable: false }
        groups.set(key, g)
      }
      g.count += r.n
      g.firstSeen = Math.min(g.firstSeen, r.first_seen ?? Infinity)
      g.lastSeen = Math.max(g.lastSeen, r.last_seen ?? 0)
      g.lastId = Math.max(g.lastId, r.last_id)
      g.retryable ||= r.retryable === 1
      const lane = g.lanes.find((l) => l.connector === r.connector && l.channel === r.channel)
      if (lane) lane.count += r.n
      else g.lanes.push({ connector: r.connector, channel: r.channel, count: r.n })
      const t = (r.triage_state ?? 'new') as keyof ErrorGroupRow['triage']
      if (t in g.triage) g.triage[t] += r.n
    }
    return [...groups.values()]
      .map((g) => ({ ...g, firstSeen: Number.isFinite(g.firstSeen) ? g.firstSeen : g.lastSeen }))
      .sort((a, b) => b.lastSeen - a.lastSeen || b.count - a.count)
  }

  /**
   * The distinct (connector, channel) pairs of a practice: a loose index scan, one index seek per
   * pair, so it costs the same over a thousand rows or ten million.
   */
  facets(practiceId: string): { connector: string; channel: string; direction: 'in' | 'out'; lastReceivedAt: number | null }[] {
    const out: { connector: string; channel: string; direction: 'in' | 'out'; lastReceivedAt: number | null }[] = []
    let row = this.s.firstLane.get(practiceId) as { connector: string; channel: string } | undefined
    while (row && out.length < 500) {
      const d = this.s.laneDirection.get(practiceId, row.connector, row.channel) as { direction: 'in' | 'out' }
      const last = this.s.lastReceived.get(practiceId, row.connector, row.channel) as { at: number } | undefined
      out.push({ connector: row.connector, channel: row.channel, direction: d.direction, lastReceivedAt: last?.at ?? null })
      row = (this.s.nextChannel.get(practiceId, row.connector, row.channel) ?? this.s.nextConnector.get(practiceId, row.connector)) as
        | { connector: string; channel: string }
        | undefined
    }
    return out
  }

  /** Transactions waiting (received, queued, processing) per lane, whenever they arrived. */
  pendingByLane(practiceId: string): { connector: string; channel: string; n: number }[] {
    return this.s.pending.all(practiceId) as { connector: string; channel: string; n: number }[]
  }

  /** The newest failure's code and message of a group (messages are written without PHI). */
  errorSample(id: number): { code: string; message: string } | null {
    const r = this.s.errorSample.get(id) as { error_code: string | null; error_message: string | null } | undefined
    return r ? { code: r.error_code ?? 'internal', message: r.error_message ?? '' } : null
  }
}
