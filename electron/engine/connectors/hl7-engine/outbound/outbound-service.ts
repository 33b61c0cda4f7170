/**
 * Turns Practice Studio appointment changes into outbound SIU transactions, one per enabled
 * `hl7-outbound` destination of the practice: S12 for a new appointment, S14 for a change, S15
 * for a cancellation. The changes are followed per destination by a ChangeFollower (cursor table
 * hl7_outbound_cursors; one commit for transactions and cursor; a new destination starts at the
 * newest change); each transaction's dedup key is the change id.
 *
 * Changes made while processing an inbound transaction (e.g. an SIU received from athenahealth)
 * are not sent unless the destination sets `includeInboundChanges`, so nothing echoes back.
 * Delivery itself is the pipeline's outbound handler (one lane per destination).
 */
import { isAppError } from '../../../../../shared/errors'
import type { EngineContext } from '../../../core/engine-context'
import type { Logger } from '../../../core/logger'
import { ChangeFollower, type ChangeRow } from '../../../records/change-follower'
import type { Service, ServiceStatus } from '../../../core/service'
import type { IncomingTx } from '../../../pipeline/types'
import { newControlId } from '../../hl7'
import type { Hl7Interfaces, OutboundDestination } from '../interfaces'
import { DestinationSenders } from './destinations'
import type { SiuEvent } from './siu-builder'
import { tlsFolders } from '../../../core/tls-files'

export const OUTBOUND_SERVICE = 'hl7-outbound'

/** The longest a stop waits for an in-flight message's ACK. */
const STOP_GRACE_MS = 10_000

/** The payload of an outbound transaction (stored as JSON; the SIU is generated when it is sent). */
export interface OutboundChange {
  changeId: number
  recordId: number
  op: 'create' | 'update' | 'delete'
  event: SiuEvent
  controlId: string
  at: number
  appointment: Record<string, unknown>
  before: Record<string, unknown> | null
  patientRecordId: number | null
  patient: Record<string, unknown> | null
}


export function eventFor(op: ChangeRow['op'], before: Record<string, unknown> | null, after: Record<string, unknown> | null): SiuEvent | null {
  const cancelled = (d: Record<string, unknown> | null): boolean => d?.status === 'cancelled'
  if (op === 'create') return cancelled(after) ? null : 'S12'
  if (op === 'update') {
    if (cancelled(after)) return cancelled(before) ? null : 'S15'
    return 'S14'
  }
  return null
}

export class Hl7OutboundService implements Service {
  readonly name = OUTBOUND_SERVICE
  readonly senders: DestinationSenders
  private readonly log: Logger
  private readonly follower: ChangeFollower<OutboundDestination>
  private readonly s

  constructor(
    private readonly ctx: EngineContext,
    private readonly interfaces: Hl7Interfaces,
    pollMs = 1000,
  ) {
    this.log = ctx.logger.child({ component: 'hl7-outbound' })
    this.senders = new DestinationSenders(ctx.clock, this.log, tlsFolders(ctx.dataDir, ctx.settings))
    this.follower = new ChangeFollower(ctx, {
      cursorTable: 'hl7_outbound_cursors',
      kind: 'appointment',
      targets: () => this.interfaces.allOutbound().filter((d) => d.enabled),
      toTransactions: (dest, rows) => this.toTransactions(dest, rows),
      logger: this.log,
      pollMs,
    })
    const db = ctx.db
    this.s = {
      txDirection: db.prepare('SELECT direction FROM transactions WHERE id = ?'),
      pending: db.prepare(`SELECT count(*) AS n FROM transactions WHERE practice_id = ? AND connector = 'hl7' AND direction = 'out' AND channel = ?
        AND status IN ('received','queued','processing')`),
    }
  }

  start(): Promise<void> {
    this.senders.reopen()
    return this.follower.start()
  }

  async stop(): Promise<void> {
    await this.follower.stop()
    // A message in flight may finish (up to its response timeout, at most STOP_GRACE_MS).
    const grace = Math.min(STOP_GRACE_MS, Math.max(0, ...this.interfaces.allOutbound().map((d) => d.config.responseTimeoutMs)))
    await this.senders.closeAll(grace)
  }

  async reload(): Promise<void> {
    if (!this.follower.running) return
    try {
      await this.senders.retain(this.interfaces.allOutbound())
    } catch (e) {
      this.log.warn('could not refresh destination senders', { code: isAppError(e) ? e.code : 'internal' })
    }
    await this.scan()
    // A destination enabled again goes on with the queue it kept while it was paused.
    this.ctx.pipeline.kickPending()
  }

  status(): ServiceStatus {
    if (!this.follower.running) return { name: this.name, state: 'stopped' }
    const n = this.interfaces.allOutbound().filter((d) => d.enabled).length
    return { name: this.name, state: 'running', detail: `${n} HL7 destination${n === 1 ? '' : 's'}` }
  }

  lastChangeId(practiceId: string, connectionId: string): number | null {
    return this.follower.lastChangeId(practiceId, connectionId)
  }

  pending(practiceId: string, channel: string): number {
    return (this.s.pending.get(practiceId, channel) as { n: number }).n
  }

  /** Reads new appointment changes now (the API calls this after it changes an appointment). */
  scan(): Promise<void> {
    return this.follower.scan()
  }

  private toTransactions(dest: OutboundDestination, rows: ChangeRow[]): IncomingTx[] {
    const { practiceId } = dest
    const types = new Set(dest.config.messageTypes.map((t) => t.trim().toUpperCase()))
    const txs: IncomingTx[] = []
    for (const row of rows) {
      if (row.tx_id !== null && !dest.config.includeInboundChanges) {
        const dir = (this.s.txDirection.get(row.tx_id) as { direction: string } | undefined)?.direction
        if (dir === 'in') continue
      }
      const after = row.after ? (JSON.parse(row.after) as Record<string, unknown>) : null
      const before = row.before ? (JSON.parse(row.before) as Record<string, unknown>) : null
      const event = eventFor(row.op, before, after)
      if (!event || !after || !(types.has(`SIU^${event}`) || types.has('SIU'))) continue
      const record = this.ctx.records.get(row.record_id)
      const patient = record?.patientRef ? this.ctx.records.get(record.patientRef) : null
      const change: OutboundChange = {
        changeId: row.id,
        recordId: row.record_id,
        op: row.op,
        event,
        controlId: newControlId(this.ctx.clock),
        at: row.at,
        appointment: after,
        before,
        patientRecordId: patient?.id ?? null,
        patient: patient?.data ?? null,
      }
      const raw = Buffer.from(JSON.stringify(change))
      txs.push({
        practiceId,
        connector: 'hl7',
        channel: dest.name,
        direction: 'out',
        messageType: `SIU^${event}`,
        contentType: 'json',
        raw,
        peer: `${dest.config.host}:${dest.config.port}`,
        controlId: change.controlId,
        appointmentId: typeof after.external_id === 'string' && after.external_id ? after.external_id : String(row.record_id),
        patientId: patient ? String(patient.id) : null,
        mrn: typeof patient?.data.mrn === 'string' ? patient.data.mrn : null,
        dedupKey: `appointment-change:${row.id}`,
        // Searchable by type and ids, not by the patient's details.
        searchText: `SIU ${event} appointment ${String(after.external_id ?? '')} ${row.record_id}`,
      })
    }
    return txs
  }
}
