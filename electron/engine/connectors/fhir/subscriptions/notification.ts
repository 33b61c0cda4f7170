/**
 * A subscription notification Bundle read leniently (reference fhir.md §2.2–2.5): `type` history,
 * `entry[0]` the status either as athena sends it (an R4B-style `SubscriptionStatus` resource,
 * Backport STU1) or in the R4 `Parameters` encoding (`backport-subscription-status-r4`). Events are
 * `notificationEvent[]` (`id` — the dedup key —, `timestamp`, `focus` by reference and/or
 * identifier). athena adds one AuditEvent per event whose id is the event id; a Parameters status
 * without an event id falls back to it. Counters in the bundle count within the bundle only (H), so
 * they are not used for gap detection.
 */
import type { Focus } from '../pipeline/messages'

export interface NotificationEvent {
  id: string
  timestamp: string | null
  focus: Focus
}

export interface ParsedNotification {
  shape: 'resource' | 'parameters'
  type: string
  subscription: string | null
  topic: string | null
  events: NotificationEvent[]
}

type J = Record<string, unknown>
const obj = (v: unknown): J | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as J) : null)
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)

function focusOf(v: unknown): Focus | null {
  const f = obj(v)
  if (!f) return null
  const ident = obj(f.identifier)
  const out: Focus = {}
  if (str(f.reference)) out.reference = str(f.reference)!
  if (ident && str(ident.system) && str(ident.value)) out.identifier = { system: str(ident.system)!, value: str(ident.value)! }
  return out.reference || out.identifier ? out : null
}

export class MalformedNotification extends Error {}

export function parseNotification(raw: Buffer): ParsedNotification {
  let b: J | null
  try {
    b = obj(JSON.parse(raw.toString('utf8')))
  } catch {
    throw new MalformedNotification('the body is not JSON')
  }
  if (!b || b.resourceType !== 'Bundle') throw new MalformedNotification('the body is not a Bundle')
  if (b.type !== 'history') throw new MalformedNotification('the Bundle is not of type history')
  const entries = Array.isArray(b.entry) ? b.entry.map(obj) : []
  const status = obj(entries[0]?.resource)
  if (!status) throw new MalformedNotification('the Bundle has no status entry')
  const audits = entries.slice(1).map((e) => obj(e?.resource)).filter((r): r is J => r?.resourceType === 'AuditEvent')
  if (status.resourceType === 'SubscriptionStatus') {
    const events: NotificationEvent[] = []
    for (const ev of Array.isArray(status.notificationEvent) ? status.notificationEvent : []) {
      const e = obj(ev)
      const focus = focusOf(e?.focus)
      const id = str(e?.id)
      if (!e || !id || !focus) throw new MalformedNotification('a notification event has no id or no focus')
      events.push({ id, timestamp: str(e.timestamp), focus })
    }
    return { shape: 'resource', type: str(status.type) ?? 'event-notification', subscription: str(obj(status.subscription)?.reference), topic: str(status.topic), events }
  }
  if (status.resourceType === 'Parameters') {
    const params = (Array.isArray(status.parameter) ? status.parameter : []).map(obj).filter((p): p is J => p !== null)
    const value = (name: string): J | undefined => params.find((p) => p.name === name)
    const events: NotificationEvent[] = []
    for (const [i, p] of params.filter((x) => x.name === 'notification-event').entries()) {
      const parts = (Array.isArray(p.part) ? p.part : []).map(obj).filter((x): x is J => x !== null)
      const part = (n: string): J | undefined => parts.find((x) => x.name === n)
      const focus = focusOf(part('focus')?.valueReference)
      const id = str(part('event-id')?.valueString) ?? str(audits[i]?.id)
      if (!id || !focus) throw new MalformedNotification('a notification event has no id or no focus')
      events.push({ id, timestamp: str(part('timestamp')?.valueInstant) ?? str(part('timestamp')?.valueDateTime), focus })
    }
    return {
      shape: 'parameters',
      type: str(value('type')?.valueCode) ?? 'event-notification',
      subscription: str(obj(value('subscription')?.valueReference)?.reference),
      topic: str(value('topic')?.valueCanonical) ?? str(value('topic')?.valueUri),
      events,
    }
  }
  throw new MalformedNotification('the first entry is neither a SubscriptionStatus nor a Parameters status')
}

/** `https://…/SubscriptionTopic/Patient.update` → `Patient.update`. */
export function topicId(topic: string | null): string {
  if (!topic) return 'unknown'
  return /\/SubscriptionTopic\/([\w.-]+)$/.exec(topic)?.[1] ?? topic
}
