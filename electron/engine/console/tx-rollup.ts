/**
 * The hourly rollup of transactions (`tx_hourly`, migration 0190): per practice, connector,
 * channel and UTC hour of receipt, how many arrived and how many of those are done, filtered,
 * error or discarded now. Triggers keep it in the same transaction as every insert, outcome and
 * delete, so it never needs a writer's cooperation; this file reads it for the dashboard and
 * rebuilds it from the store when it is missing or broken (checked once per engine, at its first
 * use: rows deleted or edited by hand).
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
      // Summed per bucket in SQL (k = the bucket of the hour, given the aligned start and the bucket size):
      // ≤ 60 rows a lane for 30 days instead of 720 row objects.
      buckets: db.prepare(`SELECT CAST((hour * ${HOUR_MS} - ?) / ? AS INTEGER) AS k, ${SUMS} FROM tx_hourly
        WHERE practice_id = ? AND connector = ? AND channel = ? AND hour >= ? AND hour < ? GROUP BY k`),
      // Both sides per lane, each in its key order (the covering index; the rollup's primary key): no sorter.
      storeLanes: db.prepare(`SELECT practice_id, connector, channel, ${COUNTS} FROM transactions INDEXED BY tx_practice_channel GROUP BY practice_id, connector, channel ORDER BY practice_id, connector, channel`),
      rollupLanes: db.prepare(`SELECT practice_id, connector, channel, ${SUMS} FROM tx_hourly GROUP BY practice_id, connector, channel
        HAVING sum(received) OR sum(done) OR sum(filtered) OR sum(error) OR sum(discarded) ORDER BY practice_id, connector, channel`),
      negative: db.prepare('SELECT 1 FROM tx_hourly WHERE received < 0 OR done < 0 OR filtered < 0 OR error < 0 OR discarded < 0 LIMIT 1'),
      anyRollup: db.prepare('SELECT 1 FROM tx_hourly LIMIT 1'),
      anyStore: db.prepare('SELECT 1 FROM transactions LIMIT 1'),
      clear: db.prepare('DELETE FROM tx_hourly'),
      fill: db.prepare(`INSERT INTO tx_hourly (practice_id, connector, channel, hour, received, done, filtered, error, discarded)
        SELECT practice_id, connector, channel, received_at / ${HOUR_MS}, ${COUNTS}
        FROM transactions INDEXED BY tx_practice_channel GROUP BY practice_id, connector, channel, received_at / ${HOUR_MS}`),
    }
  }

  /**
   * One lane's sums over the whole hours [fromHour, toHour), per bucket: `k` is
   * floor((hour start - origin) / bucketMs). Buckets with nothing are left out.
   */
  buckets(practiceId: string, connector: string, channel: string, fromHour: number, toHour: number, origin: number, bucketMs: number): (WindowSums & { k: number })[] {
    return this.s.buckets.all(origin, bucketMs, practiceId, connector, channel, fromHour, toHour) as (WindowSums & { k: number })[]
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

  /**
   * At first use: rebuild when the rollup is plainly missing or broken, judged from the rollup
   * alone (empty while the store is not, or a cell below zero): O(the rollup's rows), never a
   * scan of the store on the thread that answers peers. The lane-by-lane comparison with the
   * store (`consistent()`) reads every transaction (0.2–3 s over 1M rows on this machine, see
   * tx-query.bench.ts), so it is not run here; the triggers are what keeps the two equal.
   */
  ensure(): boolean {
    if (this.verified) return false
    this.verified = true
    const missing = !this.s.anyRollup.get() && Boolean(this.s.anyStore.get())
    if (!missing && !this.s.negative.get()) return false
    const t0 = performance.now()
    this.rebuild()
    this.logger?.warn('transaction rollup rebuilt from the store', { reason: missing ? 'missing' : 'negative count', ms: Math.round(performance.now() - t0) })
    return true
  }
}
