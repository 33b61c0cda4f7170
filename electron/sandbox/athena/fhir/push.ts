/**
 * athena's Event Subscription Platform, emulated (reference fhir.md §2.2, H unless marked):
 * topic-based R5-Backport subscriptions, one per topic per practice, `rest-hook`, `id-only`
 * payloads. A change in the sandbox (a `/v1` update, booking, cancel, check-in, or an admin
 * trigger) becomes an event with a fresh UUID; each event goes to every active subscription of its
 * topic as a `history` Bundle (SubscriptionStatus — or, switched, the R4 Parameters encoding —
 * then one AuditEvent per event), POSTed with `X-Hub-Signature: sha256=<hex HMAC of the raw
 * bytes>` under the secret given as `X-Hub-Secret` on create. A delivery succeeds only on 2xx
 * within the timeout (2 s); failures are retried with growing gaps for the retry window (1 h;
 * tests compress it), then land on a dead-letter list. Fault switches make deliveries duplicate,
 * reorder, batch, drop, arrive late, carry a bad signature, or use the other status shape.
 */
import { createHmac, randomUUID } from 'node:crypto'
import type { Clock } from '../../../engine/core/clock'
import type { Logger } from '../../../engine/core/logger'
import { fhirId, PATIENT_IDENTIFIER_SYSTEM, practiceOrgId } from './ids'

export const TOPICS = [
  'Appointment.cancel', 'Appointment.check-in', 'Appointment.check-out', 'Appointment.freeze', 'Appointment.reschedule', 'Appointment.schedule', 'Appointment.unfreeze', 'Appointment.update',
  'Patient.create', 'Patient.delete', 'Patient.merge', 'Patient.update',
  'Encounter.check-in', 'Encounter.reopen', 'Encounter.signoff',
] as const

/** `/v1` changed-feed event → topic. */
export const FEED_TOPIC: Record<string, string> = {
  ScheduleAppointment: 'Appointment.schedule',
  CancelAppointment: 'Appointment.cancel',
  CheckIn: 'Appointment.check-in',
  CheckOut: 'Appointment.check-out',
  UpdateAppointment: 'Appointment.update',
  FreezeAppointment: 'Appointment.freeze',
  UnfreezeAppointment: 'Appointment.unfreeze',
  AddPatient: 'Patient.create',
  UpdatePatient: 'Patient.update',
  DeletePatient: 'Patient.delete',
  MergePatient: 'Patient.merge',
}

export interface PushFaults {
  /** The next N bundles are delivered twice. */
  duplicate?: number
  /** Hold each bundle until the next one and send them in swapped order. */
  reorder?: boolean
  /** Events of one subscription within `batchWindowMs` go out together, up to this many per bundle. */
  batch?: number
  batchWindowMs?: number
  /** The next N events are never delivered (no retry, no dead letter): a lost notification. */
  drop?: number
  /** Every delivery waits this long first (late delivery). */
  delayMs?: number
  /** The next N deliveries are signed with a wrong secret. */
  badSignature?: number
  statusShape?: 'resource' | 'parameters'
}

export interface PushConfig {
  practiceId: number
  timeoutMs: number
  retryWindowMs: number
  retryBaseMs: number
  /** Real athena pushes only to public HTTPS (H); off for local use. */
  requireHttps: boolean
  clock: Clock
  logger: Logger
}

export interface Subscription {
  id: string
  topic: string
  criteria: string
  filter: string
  endpoint: string
  secret: string | null
  reason: string
  end: number | null
  createdAt: number
  activeAt: number
  eventsSinceStart: number
  resource: Record<string, unknown>
}

export interface FocusEvent {
  id: string
  timestamp: string
  topic: string
  focus: { reference?: string; identifier?: { system: string; value: string } }
  patientRef?: string
  departmentId?: number
}

interface Delivery {
  deliveryId: string
  subscriptionId: string
  events: FocusEvent[]
  firstAttemptAt: number
  attempts: number
  badSignature: boolean
}

export interface DeliveryLog {
  deliveryId: string
  subscriptionId: string
  eventIds: string[]
  attempt: number
  status: number | null
  ok: boolean
  error?: string
  at: number
}

export class PushEmulator {
  readonly subs = new Map<string, Subscription>()
  readonly log: DeliveryLog[] = []
  readonly deadLetters: Array<{ deliveryId: string; subscriptionId: string; eventIds: string[]; events: FocusEvent[]; attempts: number; at: number }> = []
  readonly counters = { events: 0, delivered: 0, failedAttempts: 0, dropped: 0, duplicated: 0, badSigned: 0, deadLettered: 0 }
  faults: PushFaults = {}
  private held: Delivery | null = null
  private readonly pending = new Map<string, FocusEvent[]>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly inflight = new Set<Promise<void>>()
  private closed = false

  constructor(private readonly cfg: PushConfig) {}

  topicUrl(base: string, topic: string): string {
    return `${base}/SubscriptionTopic/${topic}`
  }

  isActive(s: Subscription): boolean {
    const now = this.cfg.clock.now()
    return now >= s.activeAt && (s.end === null || now < s.end)
  }

  statusOf(s: Subscription): string {
    const now = this.cfg.clock.now()
    if (s.end !== null && now >= s.end) return 'off'
    return now >= s.activeAt ? 'active' : 'requested'
  }

  setFaults(f: PushFaults): PushFaults {
    this.faults = { ...this.faults, ...f }
    return this.faults
  }

  /** A change happened in the sandbox: one event per active subscription of the topic. */
  emit(topic: string, focus: FocusEvent['focus'], extra: { patientRef?: string; departmentId?: number } = {}): string[] {
    const ids: string[] = []
    // One event, one id: every subscription of the topic (two during a renewal overlap) gets the same event id.
    const ev: FocusEvent = { id: randomUUID(), timestamp: new Date(this.cfg.clock.now()).toISOString(), topic, focus, ...extra }
    for (const s of this.subs.values()) {
      if (s.topic !== topic || !this.isActive(s)) continue
      this.counters.events++
      if (!ids.includes(ev.id)) ids.push(ev.id)
      if ((this.faults.drop ?? 0) > 0) {
        this.faults.drop!--
        this.counters.dropped++
        continue
      }
      const list = this.pending.get(s.id) ?? []
      list.push(ev)
      this.pending.set(s.id, list)
      if (list.length === 1) this.later(this.faults.batch ? (this.faults.batchWindowMs ?? 50) : 0, () => this.flush(s.id))
    }
    return ids
  }

  /** A patient or appointment event from the `/v1` side. */
  emitFeed(event: string, entity: 'patients' | 'appointments', id: number, departmentId: number, patientId?: number): void {
    const topic = FEED_TOPIC[event]
    if (!topic) return
    const p = this.cfg.practiceId
    if (entity === 'patients') {
      this.emit(topic, { reference: `Patient/${fhirId(p, 'E', id)}`, identifier: { system: PATIENT_IDENTIFIER_SYSTEM(p), value: String(id) } }, { patientRef: `Patient/${fhirId(p, 'E', id)}`, departmentId })
    } else {
      this.emit(topic, { identifier: { system: `urn:athenahealth:athenanet:appointment:${p}`, value: String(id) } }, { patientRef: patientId !== undefined ? `Patient/${fhirId(p, 'E', patientId)}` : undefined, departmentId })
    }
  }

  private later(ms: number, fn: () => void): void {
    if (this.closed) return
    const t = setTimeout(() => {
      this.timers.delete(t)
      fn()
    }, ms)
    t.unref?.()
    this.timers.add(t)
  }

  private flush(subId: string): void {
    const events = this.pending.get(subId) ?? []
    this.pending.delete(subId)
    const size = Math.max(1, this.faults.batch ?? 1)
    for (let i = 0; i < events.length; i += size) {
      const d: Delivery = { deliveryId: randomUUID(), subscriptionId: subId, events: events.slice(i, i + size), firstAttemptAt: this.cfg.clock.now(), attempts: 0, badSignature: false }
      if ((this.faults.badSignature ?? 0) > 0) {
        this.faults.badSignature!--
        d.badSignature = true
        this.counters.badSigned++
      }
      this.enqueue(d)
    }
  }

  private enqueue(d: Delivery): void {
    if (this.faults.reorder) {
      if (!this.held) {
        this.held = d
        // A bundle held for reordering still goes out if nothing follows it.
        this.later(500, () => {
          if (this.held === d) {
            this.held = null
            this.send(d)
          }
        })
        return
      }
      const first = this.held
      this.held = null
      this.send(d)
      this.send(first)
      return
    }
    this.send(d)
  }

  private send(d: Delivery): void {
    const dup = (this.faults.duplicate ?? 0) > 0
    if (dup) {
      this.faults.duplicate!--
      this.counters.duplicated++
    }
    const go = (): void => {
      this.track(this.attempt(d))
      if (dup) this.track(this.attempt({ ...d, deliveryId: `${d.deliveryId}-dup` }))
    }
    const delay = this.faults.delayMs ?? 0
    if (delay > 0) this.later(delay, go)
    else go()
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p)
    void p.finally(() => this.inflight.delete(p))
  }

  /** The notification bytes exactly as they go on the wire. */
  bundleBytes(sub: Subscription, events: FocusEvent[], shape = this.faults.statusShape ?? 'resource'): Buffer {
    sub.eventsSinceStart += events.length
    const p = this.cfg.practiceId
    const statusId = randomUUID()
    const topicUrl = sub.criteria
    const statusResource =
      shape === 'resource'
        ? {
            resourceType: 'SubscriptionStatus',
            id: statusId,
            status: this.statusOf(sub),
            type: 'event-notification',
            // athena counts within the bundle only (H: a deviation from the IG).
            eventsSinceSubscriptionStart: String(events.length),
            eventsInNotification: events.length,
            notificationEvent: events.map((e, i) => ({ id: e.id, eventNumber: String(i + 1), timestamp: e.timestamp, focus: e.focus })),
            subscription: { reference: `Subscription/${sub.id}` },
            topic: topicUrl,
          }
        : {
            resourceType: 'Parameters',
            id: statusId,
            meta: { profile: ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4'] },
            parameter: [
              { name: 'subscription', valueReference: { reference: `Subscription/${sub.id}` } },
              { name: 'topic', valueCanonical: topicUrl },
              { name: 'status', valueCode: this.statusOf(sub) },
              { name: 'type', valueCode: 'event-notification' },
              { name: 'events-since-subscription-start', valueString: String(events.length) },
              ...events.map((e, i) => ({
                name: 'notification-event',
                part: [
                  { name: 'event-number', valueString: String(i + 1) },
                  { name: 'timestamp', valueInstant: e.timestamp },
                  ...(e.focus.reference ? [{ name: 'focus', valueReference: { reference: e.focus.reference, ...(e.focus.identifier ? { identifier: e.focus.identifier } : {}) } }] : [{ name: 'focus', valueReference: { identifier: e.focus.identifier } }]),
                  { name: 'event-id', valueString: e.id },
                ],
              })),
            ],
          }
    const statusRequest = { method: 'GET', url: `Subscription/${sub.id}/$status` }
    const bundle = {
      resourceType: 'Bundle',
      id: randomUUID(),
      meta: { profile: ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-notification'] },
      type: 'history',
      timestamp: new Date(this.cfg.clock.now()).toISOString(),
      entry: [
        { fullUrl: `urn:uuid:${statusId}`, resource: statusResource, request: statusRequest, response: { status: '200' } },
        ...events.map((e) => ({
          fullUrl: `urn:uuid:${e.id}`,
          resource: {
            resourceType: 'AuditEvent',
            id: e.id,
            meta: { versionId: '0' },
            extension: [
              ...(e.departmentId !== undefined ? [{ url: 'https://fhir.athena.io/StructureDefinition/ah-department', valueReference: { reference: `Organization/${fhirId(p, 'Department', e.departmentId)}` } }] : []),
              ...(e.patientRef ? [{ url: 'https://hl7.org/fhir/5.0/StructureDefinition/extension-AuditEvent.patient', valueReference: { reference: e.patientRef } }] : []),
            ],
            type: { system: 'https://fhir.athena.io/CodeSystem/SubscriptionTopic', code: e.topic },
            recorded: e.timestamp,
            agent: [{ who: { identifier: { value: 'Athena' } }, requestor: true }],
            source: { observer: { reference: `Organization/${practiceOrgId(p)}` } },
            entity: [{ what: e.focus }],
          },
          request: statusRequest,
          response: { status: '200' },
        })),
      ],
    }
    return Buffer.from(JSON.stringify(bundle), 'utf8')
  }

  signature(secret: string, body: Buffer): string {
    return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
  }

  private async attempt(d: Delivery): Promise<void> {
    const sub = this.subs.get(d.subscriptionId)
    if (!sub || this.closed) return
    d.attempts++
    const body = this.bundleBytes(sub, d.events)
    const headers: Record<string, string> = { 'Content-Type': 'application/fhir+json' }
    if (sub.secret !== null) headers['X-Hub-Signature'] = this.signature(d.badSignature ? `${sub.secret}-wrong` : sub.secret, body)
    let status: number | null = null
    let error: string | undefined
    try {
      const res = await fetch(sub.endpoint, { method: 'POST', headers, body: new Uint8Array(body), signal: AbortSignal.timeout(this.cfg.timeoutMs) })
      status = res.status
      await res.arrayBuffer().catch(() => undefined)
    } catch (e) {
      error = (e as Error).name === 'TimeoutError' ? 'timeout' : ((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name)
    }
    const ok = status !== null && status >= 200 && status < 300
    const at = this.cfg.clock.now()
    this.log.push({ deliveryId: d.deliveryId, subscriptionId: d.subscriptionId, eventIds: d.events.map((e) => e.id), attempt: d.attempts, status, ok, error, at })
    if (this.log.length > 5000) this.log.splice(0, this.log.length - 5000)
    if (ok) {
      this.counters.delivered++
      return
    }
    this.counters.failedAttempts++
    // Retries keep the signature fault of the first try only: athena re-signs each attempt.
    d.badSignature = false
    const wait = Math.min(this.cfg.retryBaseMs * 2 ** (d.attempts - 1), Math.max(this.cfg.retryBaseMs, this.cfg.retryWindowMs / 4))
    if (at + wait - d.firstAttemptAt > this.cfg.retryWindowMs) {
      this.counters.deadLettered++
      this.deadLetters.push({ deliveryId: d.deliveryId, subscriptionId: d.subscriptionId, eventIds: d.events.map((e) => e.id), events: d.events, attempts: d.attempts, at })
      this.cfg.logger.info('fhir push gave up; dead-lettered', { subscriptionId: d.subscriptionId, attempts: d.attempts })
      return
    }
    this.later(wait, () => this.track(this.attempt(d)))
  }

  /** Replays dead letters (athena: not self-service, U; the sandbox offers it). */
  redeliverDeadLetters(): number {
    const list = this.deadLetters.splice(0)
    for (const dl of list) {
      const sub = this.subs.get(dl.subscriptionId)
      if (!sub) continue
      // The events are re-sent with their original ids, so a receiver deduplicates what it has.
      this.send({ deliveryId: randomUUID(), subscriptionId: sub.id, events: dl.events, firstAttemptAt: this.cfg.clock.now(), attempts: 0, badSignature: false })
    }
    return list.length
  }

  /** Waits until nothing is pending or in flight (tests, `close`). */
  async idle(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs
    while ((this.inflight.size || this.timers.size || this.pending.size) && Date.now() < until) {
      await Promise.race([...this.inflight, new Promise((r) => setTimeout(r, 10))])
    }
  }

  close(): void {
    this.closed = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }
}
