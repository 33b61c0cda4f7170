/**
 * Pushes Practice Studio's own appointment changes to athenaNet, for athena-rest connections with
 * `pushAppointmentChanges`. Changes are read from record_changes after a per-connection cursor
 * (athena_push_cursors, migration 0050); each becomes an `appointment.push` outbound transaction
 * (book into the matching open slot, cancel, or reschedule into the matching slot) whose dedup
 * key is the change id, and the transactions and the cursor move share one commit, so a crash
 * between the two never queues a change twice. A connection that starts pushing begins at the
 * newest change: history is not replayed.
 *
 * Only changes Practice Studio made itself are pushed: a change written while processing an
 * inbound transaction (an athena sync, an HL7 SIU, a file) or an athena write (its read-back) is
 * skipped, so nothing echoes. Delivery, retries, reconciliation and the error queue are the
 * outbound handler's.
 */
import { isAppError } from '../../../../shared/errors'
import type { EngineContext } from '../../core/engine'
import type { Logger } from '../../core/logger'
import type { Service, ServiceStatus } from '../../core/service'
import type { StoredConnection } from '../../practices/connections-repo'
import type { IncomingTx } from '../../pipeline/types'
import { ATHENA_SYSTEM } from './pipeline/inbound-handler'
import { channelOf, type OutboundEnvelope } from './pipeline/messages'

export const PUSH_SERVICE = 'athena-push'
const BATCH = 500

export type PushAction = 'book' | 'cancel' | 'reschedule'

interface ChangeRow {
  id: number
  record_id: number
  op: 'create' | 'update' | 'delete'
  before: string | null
  after: string | null
  tx_id: number | null
}

type Data = Record<string, unknown> | null

const cancelled = (d: Data): boolean => d?.status === 'cancelled'
/** The fields that pick an athenaNet slot: a change to any of them is a move to another slot. */
const SLOT_FIELDS = ['start_time', 'provider_id', 'location_id'] as const
const moved = (before: Data, after: Data): boolean => SLOT_FIELDS.some((f) => String(before?.[f] ?? '') !== String(after?.[f] ?? ''))

/**
 * What a change asks of athenaNet, or null for nothing: a new (or not yet booked) appointment is
 * booked, a cancellation of a booked one cancels, a new time, provider or department of a booked
 * one reschedules.
 * Other edits (notes, reason) have no athenaNet write and are not pushed.
 */
export function pushActionFor(op: ChangeRow['op'], before: Data, after: Data, booked: boolean): PushAction | null {
  if (!after || op === 'delete') return null
  if (cancelled(after)) return booked && !cancelled(before) ? 'cancel' : null
  if (!booked) return op === 'create' || cancelled(before) || moved(before, after) ? 'book' : null
  if (op === 'update' && moved(before, after)) return 'reschedule'
  return null
}

export class AthenaPushService implements Service {
  readonly name = PUSH_SERVICE
  private timer: NodeJS.Timeout | null = null
  private started = false
  private scanning: Promise<void> | null = null
  private again = false
  private readonly log: Logger
  private readonly s

  constructor(
    private readonly ctx: EngineContext,
    private readonly pollMs = 1000,
  ) {
    this.log = ctx.logger.child({ component: 'athena-push' })
    const db = ctx.db
    this.s = {
      cursor: db.prepare('SELECT last_change_id FROM athena_push_cursors WHERE practice_id = ? AND connection_id = ?'),
      setCursor: db.prepare(`INSERT INTO athena_push_cursors (practice_id, connection_id, last_change_id, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (practice_id, connection_id) DO UPDATE SET last_change_id = excluded.last_change_id, updated_at = excluded.updated_at`),
      maxChange: db.prepare('SELECT coalesce(max(id), 0) AS id FROM record_changes'),
      changes: db.prepare(`SELECT id, record_id, op, before, after, tx_id FROM record_changes
        WHERE id > ? AND practice_id = ? AND kind = 'appointment' ORDER BY id LIMIT ${BATCH}`),
      txOf: db.prepare('SELECT connector, direction FROM transactions WHERE id = ?'),
    }
  }

  async start(): Promise<void> {
    this.started = true
    await this.scan()
    this.timer = setInterval(() => void this.scan(), this.pollMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    this.started = false
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.scanning
  }

  async reload(): Promise<void> {
    await this.scan()
  }

  status(): ServiceStatus {
    if (!this.started) return { name: this.name, state: 'stopped' }
    const n = this.pushing().length
    return { name: this.name, state: 'running', detail: n ? `pushing appointment changes for ${n} practice(s)` : 'no practice pushes appointment changes' }
  }

  lastChangeId(practiceId: string, connectionId: string): number | null {
    return (this.s.cursor.get(practiceId, connectionId) as { last_change_id: number } | undefined)?.last_change_id ?? null
  }

  /** Reads new appointment changes now; resolves once they are queued. */
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

  private pushing(): StoredConnection[] {
    return this.ctx.connections.list().filter((c) => c.kind === 'athena-rest' && c.enabled && c.config.pushAppointmentChanges === true)
  }

  private async runScans(): Promise<void> {
    try {
      do {
        this.again = false
        for (const conn of this.pushing()) {
          if (!this.started) break
          while ((await this.scanConnection(conn)) === BATCH && this.started) {
            /* keep reading while full batches come back */
          }
        }
      } while (this.again && this.started)
    } catch (e) {
      this.log.error('scanning appointment changes for athenaNet failed', { code: isAppError(e) ? e.code : 'internal' })
    }
  }

  /** True when the change was written by an inbound transaction or by an athena write. */
  private echoes(txId: number | null): boolean {
    if (txId === null) return false
    const tx = this.s.txOf.get(txId) as { connector: string; direction: string } | undefined
    return !tx || tx.direction === 'in' || tx.connector === 'athena'
  }

  private async scanConnection(conn: StoredConnection): Promise<number> {
    const { practiceId } = conn
    let cursor = this.lastChangeId(practiceId, conn.id)
    if (cursor === null) {
      const start = (this.s.maxChange.get() as { id: number }).id
      await this.ctx.batcher.run(() => this.s.setCursor.run(practiceId, conn.id, start, this.ctx.clock.now()))
      this.log.info('appointment push starts at the newest change', { practiceId, connection: conn.name, changeId: start })
      return 0
    }
    const rows = this.s.changes.all(cursor, practiceId) as ChangeRow[]
    if (rows.length === 0) return 0
    const athenaPracticeId = this.ctx.practices.find(practiceId)?.athenaPracticeId ?? ''
    const txs: IncomingTx[] = []
    for (const row of rows) {
      cursor = row.id
      if (this.echoes(row.tx_id)) continue
      const record = this.ctx.records.get(row.record_id)
      const booked = !!record?.externalIds.some((x) => x.system === ATHENA_SYSTEM)
      const action = pushActionFor(row.op, row.before ? (JSON.parse(row.before) as Data) : null, row.after ? (JSON.parse(row.after) as Data) : null, booked)
      if (!action) continue
      const env: OutboundEnvelope = { v: 1, op: 'appointment.push', athenaPracticeId, recordId: row.record_id, params: { action } }
      txs.push({
        practiceId,
        connector: 'athena',
        channel: channelOf('appointment.push'),
        direction: 'out',
        messageType: 'appointment.push',
        contentType: 'json',
        raw: Buffer.from(JSON.stringify(env), 'utf8'),
        peer: 'Practice Studio',
        appointmentId: String(row.record_id),
        dedupKey: `athena:appointment.push:change:${row.id}`,
        searchText: `appointment push ${action} record ${row.record_id}`,
      })
    }
    const last = cursor
    // Queued in the same tick, so the inserts and the cursor move share one commit.
    const inserted = txs.map((t) => this.ctx.pipeline.receive(t))
    const moved = this.ctx.batcher.run(() => this.s.setCursor.run(practiceId, conn.id, last, this.ctx.clock.now()))
    await Promise.all([...inserted, moved])
    if (txs.length > 0) this.log.info('appointment changes queued for athenaNet', { practiceId, connection: conn.name, count: txs.length, throughChange: last })
    return rows.length
  }
}
