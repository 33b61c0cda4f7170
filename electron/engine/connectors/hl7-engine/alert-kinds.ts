/**
 * The HL7 engine's alert rule kinds: a listener that is not listening, and a sending system that
 * stayed disconnected (no open MLLP connection) for the rule's window. Measured from the
 * listener service's live state, so they mean "now", not history.
 */
import type { AlertKinds } from '../../console/alert-kinds'
import { consoleLink } from '../../console/alert-kinds'
import type { Hl7Interfaces } from './interfaces'
import type { Hl7ListenerService } from './listener-service'

export function registerHl7AlertKinds(kinds: AlertKinds, interfaces: Hl7Interfaces, listeners: Hl7ListenerService, now: () => number): void {
  const watched = (practiceId: string, channel: string | null) => interfaces.allInbound().filter((i) => i.practiceId === practiceId && i.enabled && (!channel || i.name === channel))
  kinds.register({
    kind: 'listener_down',
    label: 'Listener down',
    description: 'An enabled HL7 inbound interface is not listening (its port is taken, its certificate unreadable, …).',
    uses: ['channel'],
    thresholdLabel: null,
    measure: (rule) => {
      const down = watched(rule.practiceId, rule.channel).filter((i) => listeners.find(i.practiceId, i.name)?.state !== 'listening')
      return {
        value: down.length,
        alert: down.length > 0,
        message: down.length === 0 ? 'Every HL7 listener is listening.' : `Not listening: ${down.map((i) => `${i.name} (${listeners.find(i.practiceId, i.name)?.error ?? 'stopped'})`).join(', ')}.`,
        link: consoleLink('/connections', { practiceId: rule.practiceId }),
      }
    },
  })
  // Last time each interface had a peer connected (in memory: a restart starts the grace again).
  const seen = new Map<string, number>()
  kinds.register({
    kind: 'peer_disconnected',
    label: 'Sender disconnected',
    description: 'No sending system has been connected to an HL7 listener for `windowMinutes` (for feeds that keep their connection open).',
    uses: ['windowMinutes', 'channel'],
    thresholdLabel: null,
    measure: (rule, at) => {
      const t = now()
      const gone: string[] = []
      for (const i of watched(rule.practiceId, rule.channel)) {
        const key = `${i.practiceId}/${i.name}`
        const l = listeners.find(i.practiceId, i.name)
        if (l && l.connections > 0) seen.set(key, t)
        const last = seen.get(key) ?? Math.max(rule.updatedAt, i.updatedAt)
        if (at - last >= rule.windowMinutes * 60_000) gone.push(i.name)
      }
      return {
        value: gone.length,
        alert: gone.length > 0,
        message: gone.length === 0 ? 'Every HL7 listener has its sender connected.' : `No sender connected for ${rule.windowMinutes} min or more: ${gone.join(', ')}.`,
        link: consoleLink('/connections', { practiceId: rule.practiceId }),
      }
    },
  })
}
