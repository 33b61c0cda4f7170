/**
 * Alert rule kinds of the appointment batches (registered with the alert engine like hl7's and
 * athena's): a nightly import that failed, and conflicts left waiting in the review queue.
 */
import { consoleLink, type AlertKinds } from '../../../console/alert-kinds'
import type { BatchStore } from './batch-store'

/** `jobFailures(practiceId, since)`: file job runs of the appointment kinds that failed or refused a file. */
export function registerAppointmentBatchAlertKinds(kinds: AlertKinds, store: BatchStore, jobFailures: (practiceId: string, since: number) => number): void {
  kinds.register({
    kind: 'appointment_batch_failed',
    label: 'Appointment batch failed',
    description: 'At least `threshold` appointment runs failed in the last `windowMinutes`: a file failed as a whole (unreadable, header missing, gave up) or a nightly file job failed or refused a file.',
    uses: ['threshold', 'windowMinutes'],
    thresholdLabel: 'failed files',
    measure: (rule, now) => {
      const since = now - rule.windowMinutes * 60_000
      const n = store.failedRunsSince(rule.practiceId, since) + jobFailures(rule.practiceId, since)
      return { value: n, alert: n >= rule.threshold, message: `${n} appointment run(s) failed in the last ${rule.windowMinutes} minutes.`, link: consoleLink('/appointment-batches', { practiceId: rule.practiceId }) }
    },
  })
  kinds.register({
    kind: 'appointment_conflicts',
    label: 'Appointment conflicts waiting',
    description: 'At least `threshold` appointment conflicts wait in the review queue (a nightly run left them).',
    uses: ['threshold'],
    thresholdLabel: 'open conflicts',
    measure: (rule) => {
      const n = store.openConflicts(rule.practiceId)
      return { value: n, alert: n >= rule.threshold, message: `${n} appointment conflict(s) wait for review.`, link: consoleLink('/appointment-batches', { practiceId: rule.practiceId }) }
    },
  })
}
