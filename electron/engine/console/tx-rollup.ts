/**
 * The hourly rollup of transactions (`tx_hourly`, migration 0190): per practice, connector,
 * channel and UTC hour of receipt, how many arrived and how many of those are done, filtered,
 * error or discarded now. Triggers keep it in the same transaction as every insert, outcome and
 * delete, so it never needs a writer's cooperation; this file reads it for the dashboard and
 * rebuilds it from the store when it is missing or out of step (checked once per engine, at its
 * first use: a database restored from an older copy, rows edited by hand).
 */
import type { Logger } from '../core/logger'
import type { Db } from '../store/database'

export const HOUR_MS = 3_600_000

export interface WindowSums {
  received: number
  done: number
  filtered: number
  error: number
  discarded: number
}

type LaneSums = WindowSums & { practice_id: string; connector: string; channel: string }

const SUMS = 'sum(received) AS received, sum(done) AS done, sum(filtered) AS filtered, sum(error) AS error, sum(discarded) AS discarded'
const COUNTS = `count(*) AS received, sum(status = 'done') AS done, sum(status = 'filtered') AS filtered, sum(status = 'error') AS error, sum(status = 'discarded') AS discarded`

export class TxRollup {
  private readonly s
  private verified = false

  constructor(
    private readonly db: Db,
    private readonly logger?: Logger,
  ) {
    this.s = {
      hours: db.prepare(`SELECT hour, received, done, filtered, error, discarded FROM tx_hourly
        WHERE practice_id = ? AND connector = ? AND channel = ? AND hour >= ? AND hour < ?`),
      // Both sides per lane, each in its key order (the covering index; the rollup's primary key): no sorter.
      storeLanes: db.prepare(`SELECT practice_id, connector, channel, ${COUNTS} FROM transactions INDEXED BY tx_practice_channel GROUP BY practice_id, connector, channel ORDER BY practice_id, connector, channel`),
      rollupLanes: db.prepare(`SELECT practice_id, connector, channel, ${SUMS} FROM tx_hourly GROUP BY practice_id, connector, channel
        HAVING sum(received) OR sum(done) OR sum(filtered) OR sum(error) OR sum(discarded) ORDER BY practice_id, connector, channel`),
      negative: db.prepare('SELECT 1 FROM tx_hourly WHERE received < 0 OR done < 0 OR filtered < 0 OR error < 0 OR discarded < 0 LIMIT 1'),
      clear: db.prepare('DELETE FROM tx_hourly'),
      fill: db.prepare(`INSERT INTO tx_hourly (practice_id, connector, channel, hour, received, done, filtered, error, discarded)
        SELECT practice_id, connector, channel, received_at / ${HOUR_MS}, ${COUNTS}
        FROM transactions INDEXED BY tx_practice_channel GROUP BY practice_id, connector, channel, received_at / ${HOUR_MS}`),
    }
  }

  /** One lane's rows for the whole hours [fromHour, toHour), in hour order (one range of the primary key). */
  hours(practiceId: string, connector: string, channel: string, fromHour: number, toHour: number): (WindowSums & { hour: number })[] {
    return this.s.hours.all(practiceId, connector, channel, fromHour, toHour) as (WindowSums & { hour: number })[]
  }

  /** Whether the rollup equals a direct count of the store, lane by lane (one read snapshot). */
  consistent(): boolean {
    return this.db.transaction(() => {
      if (this.s.negative.get()) return false
      const key = (r: LaneSums): string => JSON.stringify([r.practice_id, r.connector, r.channel, r.received, r.done ?? 0, r.filtered ?? 0, r.error ?? 0, r.discarded ?? 0])
      const store = (this.s.storeLanes.all() as LaneSums[]).map(key)
      const rollup = (this.s.rollupLanes.all() as LaneSums[]).map(key)
      return store.length === rollup.length && store.every((k, i) => k === rollup[i])
    })()
  }

  /** Recomputes the rollup from the store in one write transaction (1M rows: see tx-query.bench.ts). */
  rebuild(): void {
    this.db
      .transaction(() => {
        this.s.clear.run()
        this.s.fill.run()
      })
      .immediate()
    this.verified = true
  }

  /** At first use: rebuild when the rollup does not match the store. Returns whether it rebuilt. */
  ensure(): boolean {
    if (this.verified) return false
    this.verified = true
    if (this.consistent()) return false
    const t0 = performance.now()
    this.rebuild()
    this.logger?.warn('transaction rollup rebuilt: it did not match the store', { ms: Math.round(performance.now() - t0) })
    return true
  }
}
