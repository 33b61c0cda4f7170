/**
 * The status side of the dashboard's hourly rollup (`tx_hourly`, migrations 0190 and 0240), kept
 * by the code that changes a transaction's status instead of a trigger on every UPDATE (the
 * trigger cost ~0.1 ms of the processing thread a row; hl7-engine README, issue #15). Inserts and
 * deletes keep their triggers (0190).
 *
 * Every status change in `TransactionsRepo` reads the row's status and lane as they stand in the
 * same write (`before`), changes it, then counts the move (`changed`): written at once, or, inside
 * `grouped()` (a lane's group of outcomes), summed in memory and written once per (lane, hour) at
 * the end of the group, in the same transaction as the rows. So the rollup stays exact whatever
 * happened to a row meanwhile (a discard between a lane's read and its outcome counts as what it
 * is), and a rollback takes the counts with the rows.
 */
import type { TxStatus } from '../../../shared/api/transactions'
import type { Statement } from 'better-sqlite3-multiple-ciphers'
import type { Db } from '../store/database'

/** The statuses the rollup counts (received is every row of the hour, counted at insert). */
const COUNTED: ReadonlySet<string> = new Set(['done', 'filtered', 'error', 'discarded'])

export interface RowBefore {
  status: TxStatus
  practice_id: string
  connector: string
  channel: string
  hour: number
}

interface Cell {
  at: RowBefore
  done: number
  filtered: number
  error: number
  discarded: number
}

/** A row of this cell known to be pending (received, queued or processing: not counted) before its change. */
export function pendingIn(row: { practice_id: string; connector: string; channel: string; received_at: number }): RowBefore {
  return { status: 'queued', practice_id: row.practice_id, connector: row.connector, channel: row.channel, hour: Math.floor(row.received_at / 3_600_000) }
}

export class StatusCounts {
  private s: { before: Statement; add: Statement } | null = null
  private group: Map<string, Cell> | null = null

  constructor(private readonly db: Db) {}

  // Prepared at first use: a repository opened on an older schema (a migration's test) only reads.
  private get st(): { before: Statement; add: Statement } {
    return (this.s ??= {
      before: this.db.prepare('SELECT status, practice_id, connector, channel, received_at / 3600000 AS hour FROM transactions WHERE id = ?'),
      add: this.db.prepare(`UPDATE tx_hourly SET done = done + ?, filtered = filtered + ?, error = error + ?, discarded = discarded + ?
        WHERE practice_id = ? AND connector = ? AND channel = ? AND hour = ?`),
    })
  }

  /** The row's status and rollup cell before a change (undefined: no such row, nothing to count). */
  before(id: number): RowBefore | undefined {
    return this.st.before.get(id) as RowBefore | undefined
  }

  /** Counts the move of a row from `b.status` to `status` (call after the UPDATE, in the same write). */
  changed(b: RowBefore | undefined, status: TxStatus): void {
    if (!b || b.status === status || (!COUNTED.has(b.status) && !COUNTED.has(status))) return
    const key = `${b.practice_id}\u0000${b.connector}\u0000${b.channel}\u0000${b.hour}`
    const c = this.group?.get(key) ?? { at: b, done: 0, filtered: 0, error: 0, discarded: 0 }
    if (COUNTED.has(b.status)) c[b.status as 'done']--
    if (COUNTED.has(status)) c[status as 'done']++
    if (this.group) this.group.set(key, c)
    else this.write(c)
  }

  /**
   * Runs `fn` in a savepoint of its own with the status changes it makes counted in memory and
   * written once per (lane, hour) at its end. If `fn` throws, its savepoint rolls back and the
   * counts are dropped with it.
   */
  grouped<T>(fn: () => T): T {
    if (this.group) return fn()
    return this.db.transaction(() => {
      this.group = new Map()
      try {
        const v = fn()
        for (const c of this.group.values()) this.write(c)
        return v
      } finally {
        this.group = null
      }
    })()
  }

  private write(c: Cell): void {
    if (c.done === 0 && c.filtered === 0 && c.error === 0 && c.discarded === 0) return
    this.st.add.run(c.done, c.filtered, c.error, c.discarded, c.at.practice_id, c.at.connector, c.at.channel, c.at.hour)
  }
}
