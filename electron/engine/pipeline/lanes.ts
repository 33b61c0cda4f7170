/**
 * Lane scheduling (docs/ARCHITECTURE.md, "Lanes"): rows are processed from the store in id order,
 * one lane per (practice, connector), or per (practice, connector, direction, channel) when a
 * handler asks (`lanes: 'channel'`). A lane takes the next rows after its cursor: a `grouped`
 * handler's consecutive rows go to Outcomes.processGroup (many per commit), any other row to
 * Outcomes.processRow. A row queued for a retry stays the head of its lane and the rows behind it
 * wait (order is kept; no rotation). While messages are being accepted on this thread, a lane
 * takes short groups and rests as long as it worked, so acknowledging keeps half the thread.
 */
import type { Clock } from '../core/clock'
import type { Logger } from '../core/logger'
import type { ConnectorHandler } from './connector-handler'
import { PENDING, type Outcomes } from './outcomes'
import type { TransactionsRepo } from './transactions-repo'
import type { Direction, LaneRow, PendingRow, TxRow } from './types'

interface Lane {
  key: string
  practiceId: string
  connector: string
  /** Set for a per-channel lane (handler `lanes: 'channel'`); null for the connector-wide lane. */
  direction: Direction | null
  channel: string | null
  running: boolean
  /** Rows with id <= cursor have been taken by this lane in this process. */
  cursor: number
  /** A pending rewind of the cursor (see rewind()). */
  rewindTo: number | null
  timer: NodeJS.Timeout | null
  wake: boolean
  /** Runs in a row that ended in an exception (a full disk, say), for the retry's backoff. */
  crashes: number
  /** How many rows to read next: twice what the last group took (reading rows a group leaves is wasted). */
  take: number
}

/** A crashed lane is started again after this, doubling up to the cap, so nothing waits for the next message to arrive. */
const LANE_RETRY_BASE_MS = 1000
const LANE_RETRY_CAP_MS = 30_000

/** Rows a lane reads at once (a group is at most this long). */
const GROUP_ROWS_MIN = 8
const GROUP_ROWS_MAX = 256
/**
 * How long one group may hold the thread: while messages are being accepted, short (the ACKs
 * behind it wait that long); otherwise long enough that the COMMIT is a small part of it.
 * Measured in docs (hl7-engine README, "Processing").
 */
const GROUP_MS_ACCEPTING = 2
const GROUP_MS_QUIET = 25

export interface LanesDeps {
  repo: TransactionsRepo
  clock: Clock
  logger: Logger
  outcomes: Outcomes
  handler(connector: string, direction: Direction): ConnectorHandler | undefined
  /** Whether lanes may run (started and not stopping). */
  active(): boolean
  /** When accept() was last called (monotonic ms). */
  lastAcceptAt(): number
  /** false: one row per group, so one COMMIT per row (the benchmark's baseline). */
  grouping: boolean
}

export class Lanes {
  private readonly lanes = new Map<string, Lane>()
  readonly inflight = new Set<Promise<void>>()

  constructor(private readonly d: LanesDeps) {}

  get busy(): boolean {
    return [...this.lanes.values()].some((l) => l.running)
  }

  /** Makes sure the lane of a transaction is running. */
  kick(practiceId: string, connector: string, direction?: Direction, channel?: string): void {
    this.runIfIdle(this.laneFor(practiceId, connector, direction, channel))
  }

  /**
   * A row behind the lane's cursor became pending again (reprocess, edit). The lane may be busy
   * with a newer row right now, so the rewind is recorded and applied at the top of its loop,
   * after that row has moved the cursor forward, never lost to it.
   */
  rewind(row: Pick<TxRow, 'practice_id' | 'connector' | 'direction' | 'channel'>, id: number): void {
    const lane = this.laneFor(row.practice_id, row.connector, row.direction, row.channel)
    lane.rewindTo = Math.min(lane.rewindTo ?? Number.POSITIVE_INFINITY, id - 1)
    lane.wake = true
    this.runIfIdle(lane)
  }

  stopTimers(): void {
    for (const lane of this.lanes.values()) if (lane.timer) clearTimeout(lane.timer)
  }

  private laneFor(practiceId: string, connector: string, direction?: Direction, channel?: string): Lane {
    const perChannel = direction !== undefined && channel !== undefined && this.d.handler(connector, direction)?.lanes === 'channel'
    const key = perChannel ? `${practiceId}\u0000${connector}\u0000${direction}\u0000${channel}` : `${practiceId}\u0000${connector}`
    let lane = this.lanes.get(key)
    if (!lane) {
      lane = { key, practiceId, connector, direction: perChannel ? direction : null, channel: perChannel ? channel : null, running: false, cursor: 0, rewindTo: null, timer: null, wake: false, crashes: 0, take: GROUP_ROWS_MIN }
      this.lanes.set(key, lane)
    }
    return lane
  }

  /** Whether the handler(s) behind a lane say it is paused: the channel's, or the connector lane's. */
  private isHeld(lane: Lane): boolean {
    if (lane.direction !== null) return Boolean(this.d.handler(lane.connector, lane.direction)?.held?.(lane.practiceId, lane.channel))
    return (['in', 'out'] as const).some((d) => {
      const h = this.d.handler(lane.connector, d)
      return h !== undefined && h.lanes !== 'channel' && Boolean(h.held?.(lane.practiceId, null))
    })
  }

  /** The rows a lane takes: its channel, or its connector minus the directions that run per channel. */
  private laneScope(lane: Lane): { exceptDirection: Direction } | { direction: Direction; channel: string } | undefined | null {
    if (lane.direction !== null && lane.channel !== null) return { direction: lane.direction, channel: lane.channel }
    const perChannel = (['in', 'out'] as const).filter((d) => this.d.handler(lane.connector, d)?.lanes === 'channel')
    if (perChannel.length === 2) return null
    return perChannel.length === 1 ? { exceptDirection: perChannel[0] } : undefined
  }

  private runIfIdle(lane: Lane): void {
    if (!this.d.active()) return
    if (lane.running) {
      lane.wake = true
      return
    }
    if (lane.timer) {
      clearTimeout(lane.timer)
      lane.timer = null
    }
    const p = this.runLane(lane).then(
      () => {
        lane.crashes = 0
      },
      (e: unknown) => {
        // Whatever threw (the outcome's commit on a full disk) left its rows pending: try again later.
        lane.crashes++
        const inMs = Math.min(LANE_RETRY_CAP_MS, LANE_RETRY_BASE_MS * 2 ** (lane.crashes - 1))
        this.d.logger.error('lane crashed; starting it again later', { lane: lane.connector, channel: lane.channel, practiceId: lane.practiceId, error: (e as Error).message, inMs })
        if (!this.d.active() || lane.running || lane.timer) return
        lane.timer = setTimeout(() => {
          lane.timer = null
          this.runIfIdle(lane)
        }, inMs)
      },
    )
    this.inflight.add(p)
    void p.finally(() => this.inflight.delete(p))
  }

  private async runLane(lane: Lane): Promise<void> {
    lane.running = true
    try {
      for (;;) {
        if (!this.d.active()) return
        lane.wake = false
        if (lane.rewindTo !== null) {
          lane.cursor = Math.min(lane.cursor, lane.rewindTo)
          lane.rewindTo = null
        }
        // Paused: the rows wait untouched, in order; kickPending() starts the lane again.
        if (this.isHeld(lane)) return
        const scope = this.laneScope(lane)
        const accepting = this.d.clock.monotonic() - this.d.lastAcceptAt() < ACCEPTING_WITHIN_MS
        const rows = scope === null ? [] : this.d.repo.nextInLane(lane.practiceId, lane.connector, lane.cursor, scope, this.d.grouping ? lane.take : 1)
        const head = rows[0]
        if (!head) {
          if (lane.wake) continue
          return
        }
        const now = this.d.clock.now()
        if (head.next_attempt_at !== null && head.next_attempt_at > now) {
          // Order is kept per lane: the head waits for its retry time and the rows behind it wait too.
          lane.timer = setTimeout(() => {
            lane.timer = null
            this.runIfIdle(lane)
          }, head.next_attempt_at - now)
          return
        }
        const t0 = this.d.clock.monotonic()
        const handler = this.d.handler(head.connector, head.direction)
        if (handler?.grouped) {
          const group = groupable(rows, handler, now, (r) => this.d.handler(r.connector, r.direction))
          const results = await this.d.outcomes.processGroup(group, handler, accepting ? GROUP_MS_ACCEPTING : GROUP_MS_QUIET)
          // Room to grow, but not twice what a group takes: every row read and not taken is read again
          // by the next group (at ×2, half of the lane's reads were such, ~3 % of a message's time).
          lane.take = Math.min(GROUP_ROWS_MAX, results.length + Math.max(GROUP_ROWS_MIN, results.length >> 2))
          // A retried row stays the head of the lane; every row before it moves the cursor on.
          for (const r of results) {
            if (PENDING.has(r.status)) break
            lane.cursor = Math.max(lane.cursor, r.id)
          }
        } else {
          await this.d.outcomes.processRow(head, handler)
          const after = this.d.repo.statusOf(head.id)
          if (!after || !PENDING.has(after)) lane.cursor = Math.max(lane.cursor, head.id)
        }
        const rest = laneRestMs(this.d.clock.monotonic() - t0, t0 - this.d.lastAcceptAt())
        if (rest > 0) await new Promise((r) => setTimeout(r, rest))
      }
    } finally {
      lane.running = false
      if (lane.wake && this.d.active()) this.runIfIdle(lane)
    }
  }
}

/** The head of `rows` and the rows after it that the same grouped handler takes now (none waiting for a retry time). */
function groupable(rows: PendingRow[], handler: ConnectorHandler, now: number, handlerOf: (r: LaneRow) => ConnectorHandler | undefined): PendingRow[] {
  let n = 1
  while (n < rows.length) {
    const r = rows[n] as PendingRow
    if (handlerOf(r) !== handler || (r.next_attempt_at !== null && r.next_attempt_at > now)) break
    n++
  }
  return rows.slice(0, n)
}

/**
 * Share of the thread a lane takes while accept() is being called (within the last 20 ms):
 * acknowledging comes first, like the inbox mover's 30%. Measured over 16 saturating connections
 * with one lane mapping every message: at 1.0 the paced ACK p99 was ~20 ms, at 0.5 ~11 ms with
 * half the processing rate, at 0.3 no better than 0.5. Once the burst eases, lanes run flat out.
 */
const LANE_SHARE_WHILE_ACCEPTING = 0.5
const ACCEPTING_WITHIN_MS = 20

/** How long a lane rests after work that took `spentMs`, accept() having last been called `sinceAcceptMs` ago. */
export function laneRestMs(spentMs: number, sinceAcceptMs: number): number {
  if (sinceAcceptMs >= ACCEPTING_WITHIN_MS || spentMs <= 0) return 0
  return (spentMs * (1 - LANE_SHARE_WHILE_ACCEPTING)) / LANE_SHARE_WHILE_ACCEPTING
}
