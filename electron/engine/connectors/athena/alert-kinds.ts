/**
 * The athenaNet connector's alert rule kinds: the daily quota near its limit (percent used, the
 * smaller of our count and the server's remaining figure) and the practice's circuit breaker open.
 */
import type { AlertKinds } from '../../console/alert-kinds'
import { consoleLink } from '../../console/alert-kinds'
import type { AthenaRuntime } from './runtime'

export function registerAthenaAlertKinds(kinds: AlertKinds, runtime: AthenaRuntime): void {
  kinds.register({
    kind: 'athena_quota',
    label: 'athenaNet quota',
    description: 'The practice\'s athenaNet daily quota is at least `threshold` % used.',
    uses: ['threshold'],
    thresholdLabel: '% of the daily quota used',
    measure: (rule) => {
      const u = runtime.usage(rule.practiceId)
      const remaining = u.serverRemaining !== null && u.remainingQuota !== null ? Math.min(u.serverRemaining, u.remainingQuota) : (u.remainingQuota ?? u.serverRemaining)
      if (u.dailyQuota === null || u.dailyQuota === 0 || remaining === null) return { value: 0, alert: false, message: 'No athenaNet connection with a quota.' }
      const pct = Math.round(((u.dailyQuota - remaining) * 100) / u.dailyQuota)
      return {
        value: pct,
        alert: pct >= rule.threshold,
        message: `athenaNet quota ${pct} % used today (${u.dailyQuota - remaining} of ${u.dailyQuota}; threshold ${rule.threshold} %).`,
        link: consoleLink('/api-logs', { practiceId: rule.practiceId }),
      }
    },
  })
  kinds.register({
    kind: 'circuit_open',
    label: 'athenaNet circuit breaker open',
    description: 'Calls to athenaNet are paused because it failed repeatedly.',
    uses: [],
    thresholdLabel: null,
    measure: (rule) => {
      const c = runtime.usage(rule.practiceId).circuit
      const open = c.state === 'open'
      return {
        value: open ? 1 : 0,
        alert: open,
        message: open ? `athenaNet calls are paused after ${c.consecutiveFailures} consecutive failures${c.forced ? ' (held open by an operator)' : ''}.` : 'athenaNet calls go through (circuit closed).',
        link: consoleLink('/api-logs', { practiceId: rule.practiceId }),
      }
    },
  })
}
