/**
 * Follows the record_changes of one kind for a set of targets (an HL7 destination, an athenaNet
 * connection), each with its own cursor row, and turns new changes into outbound transactions.
 * The transactions and the cursor move are queued in the same tick, so they share one commit; with
 * the change id in each transaction's dedup key, a crash between the two can never queue a change
 * twice. A target seen for the first time starts at the newest change: history is not replayed.
 * Scans run on a timer and on demand; a scan asked for while one runs runs again after it.
 */
import type { EngineContext } from '../core/engine-context'
import type { Logger } from '../core/logger'
import type { IncomingTx } from '../pipeline/types'

export interface ChangeRow {
  id: number
  record_id: number
  op: 'create' | 'update' | 'delete'
  before: string | null
  after: string | null
  tx_id: number | null
  at: number
}

export interface FollowTarget {
  practiceId: string
  /** The connection id: the cursor's key. */
  id: string
  /** For logs. */
  name: string
}

export interface ChangeFollowerOptions<T extends FollowTarget> {
  /** The cursor table: (practice_id, connection_id) → last_change_id, updated_at. */
  cursorTable: 'hl7_outbound_cursors' | 'athena_push_cursors'
  kind: 'appointment'
  targets: () => T[]
  /** The transactions the changes ask for (changes it skips simply pass under the cursor). */
  toTransactions: (target: T, rows: ChangeRow[]) => IncomingTx[]
  logger: Logger
  pollMs: number
}

const BATCH = 500

export class ChangeFollower<T extends FollowTarget> {
  private timer: NodeJS.Timeout | null = null
  private started = false
  private scanning: Promise<void> | null = null
  private again = false
  private readonly s

  constructor(
    private readonly ctx: EngineContext,
    private readonly o: ChangeFollowerOptions<T>,
  ) {
    const db = ctx.db
    const table = o.cursorTable
    this.s = {
      cursor: db.prepare(`SELECT last_change_id FROM ${table} WHERE practice_id = ? AND connection_id = ?`),
      setCursor: db.prepare(`INSERT INTO ${table} (practice_id, connection_id, last_change_id, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (practice_id, connection_id) DO UPDATE SET last_change_id = excluded.last_change_id, updated_at = excluded.updated_at`),
      maxChange: db.prepare('SELECT coalesce(max(id), 0) AS id FROM record_changes'),
      changes: db.prepare(`SELECT id, record_id, op, before, after, tx_id, at FROM record_changes
        WHERE id > ? AND practice_id = ? AND kind = ? ORDER BY id LIMIT ${BATCH}`),
    }
  }

  get running(): boolean {
    return this.started
  }

  async start(): Promise<void> {
    this.started = true
    await this.scan()
    this.timer = setInterval(() => void this.scan(), this.o.pollMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    this.started = false
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.scanning
  }

  lastChangeId(practiceId: string, connectionId: string): number | null {
    return (this.s.cursor.get(practiceId, connectionId) as { last_change_id: number } | undefined)?.last_change_id ?? null
  }

  /** Reads new changes now; resolves once they are queued. */
  scan(): Promise<void> {
    if (!this.started) return Promise.resolve()
    if (this.scanning) {
      this.again = true
      return this.scanning
    }
    const p = this.runScans().finally(() => {
      if (this.scanning === p) this.scanning = null
    })
    this.scanning = p
    return p
  }

  private async runScans(): Promise<void> {
    try {
      do {
        this.again = false
        for (const target of this.o.targets()) {
          if (!this.started) break
          while ((await this.scanTarget(target)) === BATCH && this.started) {
            /* keep reading while full batches come back */
          }
        }
      } while (this.again && this.started)
    } catch (e) {
      this.o.logger.error('reading record changes failed', { code: (e as { code?: string }).code ?? 'internal' })
    }
  }

  private async scanTarget(target: T): Promise<number> {
    const { practiceId } = target
    const cursor = this.lastChangeId(practiceId, target.id)
    if (cursor === null) {
      const start = (this.s.maxChange.get() as { id: number }).id
      await this.ctx.batcher.run(() => this.s.setCursor.run(practiceId, target.id, start, this.ctx.clock.now()))
      this.o.logger.info('starts at the newest record change', { target: target.name, practiceId, changeId: start })
      return 0
    }
    const rows = this.s.changes.all(cursor, practiceId, this.o.kind) as ChangeRow[]
    if (rows.length === 0) return 0
    const txs = this.o.toTransactions(target, rows)
    const last = rows[rows.length - 1]!.id
    // Queued in the same tick, so the inserts and the cursor move share one commit.
    const inserted = txs.map((t) => this.ctx.pipeline.receive(t))
    const moved = this.ctx.batcher.run(() => this.s.setCursor.run(practiceId, target.id, last, this.ctx.clock.now()))
    await Promise.all([...inserted, moved])
    if (txs.length > 0) this.o.logger.info('record changes queued', { target: target.name, practiceId, count: txs.length, throughChange: last })
    return rows.length
  }
}
