/** Alert rule kinds of billing files (registered with the alert engine like hl7's and athena's): 835s that do not balance. */
import { consoleLink, type AlertKinds } from '../../../console/alert-kinds'
import type { BillingStore } from './billing-store'

export const REMITTANCE_UNBALANCED = 'remittance_unbalanced'

export function registerBillingAlertKinds(kinds: AlertKinds, store: BillingStore): void {
  kinds.register({
    kind: REMITTANCE_UNBALANCED,
    label: 'Remittance does not balance',
    description: 'At least `threshold` 835 payments were refused as unbalanced (nothing of their file posted) in the last `windowMinutes`.',
    uses: ['threshold', 'windowMinutes'],
    thresholdLabel: 'unbalanced payments',
    measure: (rule, now) => {
      const n = store.unbalancedSince(rule.practiceId, now - rule.windowMinutes * 60_000)
      return { value: n, alert: n >= rule.threshold, message: `${n} 835 payment(s) did not balance in the last ${rule.windowMinutes} minutes; their files were not posted.`, link: consoleLink('/billing', { practiceId: rule.practiceId }) }
    },
  })
}
