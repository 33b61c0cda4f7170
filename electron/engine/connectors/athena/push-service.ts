/**
 * Pushes Practice Studio’s own appointment changes to athenaNet, for athena-rest connections with
 * `pushAppointmentChanges`. The appointment changes are followed per connection by a
 * ChangeFollower (cursor table athena_push_cursors, migration 0050; one commit for transactions and
 * cursor; a new connection starts at the newest change); each becomes an `appointment.push`
 * outbound transaction (book into the matching open slot, cancel, or reschedule into the
 * matching slot) whose dedup key is the change id.
 *
 * Only changes Practice Studio made itself are pushed: a change written while processing an
 * inbound transaction (an athena sync, an HL7 SIU, a file) or an athena write (its read-back) is
 * skipped, so nothing echoes. Delivery, retries, reconciliation and the error queue are the
 * outbound handler's.
 */
import type { EngineContext } from '../../core/engine-context'
import type { Service, ServiceStatus } from '../../core/service'
import type { StoredConnection } from '../../practices/connections-repo'
import type { IncomingTx } from '../../pipeline/types'
import { ChangeFollower, type ChangeRow } from '../../records/change-follower'
import { ATHENA_SYSTEM } from './pipeline/inbound-handler'
import { channelOf, type OutboundEnvelope } from './pipeline/messages'

export const PUSH_SERVICE = 'athena-push'

export type PushAction = 'book' | 'cancel' | 'reschedule'

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
  private readonly follower: ChangeFollower<StoredConnection>
  private readonly txOf

  constructor(
    private readonly ctx: EngineContext,
    pollMs = 1000,
  ) {
    this.txOf = ctx.db.prepare('SELECT connector, direction FROM transactions WHERE id = ?')
    this.follower = new ChangeFollower(ctx, {
      cursorTable: 'athena_push_cursors',
      kind: 'appointment',
      targets: () => this.pushing(),
      toTransactions: (conn, rows) => this.toTransactions(conn, rows),
      logger: ctx.logger.child({ component: 'athena-push' }),
      pollMs,
    })
  }

  start(): Promise<void> {
    return this.follower.start()
  }

  stop(): Promise<void> {
    return this.follower.stop()
  }

  reload(): Promise<void> {
    return this.follower.scan()
  }

  status(): ServiceStatus {
    if (!this.follower.running) return { name: this.name, state: 'stopped' }
    const n = this.pushing().length
    return { name: this.name, state: 'running', detail: n ? `pushing appointment changes for ${n} practice(s)` : 'no practice pushes appointment changes' }
  }

  lastChangeId(practiceId: string, connectionId: string): number | null {
    return this.follower.lastChangeId(practiceId, connectionId)
  }

  private pushing(): StoredConnection[] {
    return this.ctx.connections.list().filter((c) => c.kind === 'athena-rest' && c.enabled && c.config.pushAppointmentChanges === true)
  }

  /** True when the change was written by an inbound transaction or by an athena write. */
  private echoes(txId: number | null): boolean {
    if (txId === null) return false
    const tx = this.txOf.get(txId) as { connector: string; direction: string } | undefined
    return !tx || tx.direction === 'in' || tx.connector === 'athena'
  }

  private toTransactions(conn: StoredConnection, rows: ChangeRow[]): IncomingTx[] {
    const { practiceId } = conn
    const athenaPracticeId = this.ctx.practices.find(practiceId)?.athenaPracticeId ?? ''
    const txs: IncomingTx[] = []
    for (const row of rows) {
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
    return txs
  }
}
