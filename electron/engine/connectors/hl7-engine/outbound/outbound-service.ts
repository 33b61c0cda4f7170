/**
 * Turns Practice Studio appointment changes into outbound SIU transactions, one per enabled
 * `hl7-outbound` destination of the practice: S12 for a new appointment, S14 for a change, S15
 * for a cancellation. Changes are read from record_changes after a per-destination cursor
 * (hl7_outbound_cursors); the transactions and the cursor move are committed together, and each
 * transaction's dedup key is the change id, so a crash between the two can never queue a change
 * twice. A new destination starts at the newest change: history is not replayed.
 *
 * Changes made while processing an inbound transaction (e.g. an SIU received from athenahealth)
 * are not sent unless the destination sets `includeInboundChanges`, so nothing echoes back.
 * Delivery itself is the pipeline's outbound handler (one lane per destination).
 */
import { isAppError } from '../../../../../shared/errors'
import type { EngineContext } from '../../../core/engine'
import type { Logger } from '../../../core/logger'
import type { Service, ServiceStatus } from '../../../core/service'
import type { IncomingTx } from '../../../pipeline/types'
import { newControlId } from '../../hl7'
import type { Hl7Interfaces, OutboundDestination } from '../interfaces'
import { DestinationSenders } from './destinations'
import type { SiuEvent } from './siu-builder'

export const OUTBOUND_SERVICE = 'hl7-outbound'

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

interface ChangeRow {
  id: number
  record_id: number
  op: 'create' | 'update' | 'delete'
  before: string | null
  after: string | null
  tx_id: number | null
  at: number
}

const BATCH = 500

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
  private timer: NodeJS.Timeout | null = null
  private started = false
  private scanning: Promise<void> | null = null
  private again = false
  private readonly log: Logger
  private readonly s

  constructor(
    private readonly ctx: EngineContext,
    private readonly interfaces: Hl7Interfaces,
    private readonly pollMs = 1000,
  ) {
    this.log = ctx.logger.child({ component: 'hl7-outbound' })
    this.senders = new DestinationSenders(ctx.clock, this.log)
    const db = ctx.db
    this.s = {
      cursor: db.prepare('SELECT last_change_id FROM hl7_outbound_cursors WHERE practice_id = ? AND connection_id = ?'),
      setCursor: db.prepare(`INSERT INTO hl7_outbound_cursors (practice_id, connection_id, last_change_id, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (practice_id, connection_id) DO UPDATE SET last_change_id = excluded.last_change_id, updated_at = excluded.updated_at`),
      maxChange: db.prepare('SELECT coalesce(max(id), 0) AS id FROM record_changes'),
      changes: db.prepare(`SELECT id, record_id, op, before, after, tx_id, at FROM record_changes
        WHERE id > ? AND practice_id = ? AND kind = 'appointment' ORDER BY id LIMIT ${BATCH}`),
      txDirection: db.prepare('SELECT direction FROM transactions WHERE id = ?'),
      pending: db.prepare(`SELECT count(*) AS n FROM transactions WHERE practice_id = ? AND connector = 'hl7' AND direction = 'out' AND channel = ?
        AND status IN ('received','queued','processing')`),
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
    await this.senders.closeAll()
  }

  async reload(): Promise<void> {
    if (!this.started) return
    try {
      await this.senders.retain(this.interfaces.allOutbound())
    } catch (e) {
      this.log.warn('could not refresh destination senders', { code: isAppError(e) ? e.code : 'internal' })
    }
    await this.scan()
  }

  status(): ServiceStatus {
    if (!this.started) return { name: this.name, state: 'stopped' }
    const n = this.interfaces.allOutbound().filter((d) => d.enabled).length
    return { name: this.name, state: 'running', detail: `${n} HL7 destination${n === 1 ? '' : 's'}` }
  }

  lastChangeId(practiceId: string, connectionId: string): number | null {
    return (this.s.cursor.get(practiceId, connectionId) as { last_change_id: number } | undefined)?.last_change_id ?? null
  }

  pending(practiceId: string, channel: string): number {
    return (this.s.pending.get(practiceId, channel) as { n: number }).n
  }

  /** Reads new appointment changes now (the API calls this after it changes an appointment). */
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
    return this.scanning
  }

  private async runScans(): Promise<void> {
    try {
      do {
        this.again = false
        for (const dest of this.interfaces.allOutbound()) {
          if (!dest.enabled || !this.started) continue
          while ((await this.scanDestination(dest)) === BATCH && this.started) {
            /* keep reading while full batches come back */
          }
        }
      } while (this.again && this.started)
    } catch (e) {
      this.log.error('scanning appointment changes failed', { code: isAppError(e) ? e.code : 'internal' })
    }
  }

  private async scanDestination(dest: OutboundDestination): Promise<number> {
    const { practiceId } = dest
    let cursor = this.lastChangeId(practiceId, dest.id)
    if (cursor === null) {
      const start = (this.s.maxChange.get() as { id: number }).id
      await this.ctx.batcher.run(() => this.s.setCursor.run(practiceId, dest.id, start, this.ctx.clock.now()))
      this.log.info('destination starts at the newest appointment change', { destination: dest.name, practiceId, changeId: start })
      return 0
    }
    const rows = this.s.changes.all(cursor, practiceId) as ChangeRow[]
    if (rows.length === 0) return 0
    const types = new Set(dest.config.messageTypes.map((t) => t.trim().toUpperCase()))
    const txs: IncomingTx[] = []
    for (const row of rows) {
      cursor = row.id
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
    const last = cursor
    // Queued in the same tick, so the inserts and the cursor move share one commit.
    const inserted = txs.map((t) => this.ctx.pipeline.receive(t))
    const moved = this.ctx.batcher.run(() => this.s.setCursor.run(practiceId, dest.id, last, this.ctx.clock.now()))
    await Promise.all([...inserted, moved])
    if (txs.length > 0) this.log.info('appointment changes queued for a destination', { destination: dest.name, practiceId, count: txs.length, throughChange: last })
    return rows.length
  }
}
