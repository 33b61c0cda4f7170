/**
 * Nightly appointment batches as a connector module: the schedule-file pipeline handler, the
 * shipped mapping sets, and notifications through the console's alerts. See README.md here.
 */
import type { ConnectorModule } from '../../../core/engine-context'
import { alertKinds } from '../../../console/alert-kinds'
import { consoleModule } from '../../../console/console-handlers'
import { findFilesRuntime } from '../runtime'
import { registerAppointmentBatchAlertKinds } from './alert-kinds'
import { AppointmentBatches } from './batch-service'
import { appointmentFileKinds } from './file-kinds'
import { loadAppointmentBatchSets } from './mappings'
import { appointmentBatchRuntime } from './runtime'

export const appointmentBatchModule: ConnectorModule = (engine) => {
  const ctx = engine.ctx
  ctx.mappings.registerDefaults(loadAppointmentBatchSets())
  const batches = new AppointmentBatches(ctx)
  batches.raise = (practiceId, level, title, message) => void consoleModule(ctx).alerts.raise(practiceId, null, level, title, message)
  ctx.pipeline.register(batches.handler())
  appointmentBatchRuntime.set(ctx, batches)
  registerAppointmentBatchAlertKinds(alertKinds(ctx), batches.store, (practiceId, since) => findFilesRuntime(ctx)?.jobs.failedRunsOfKinds(practiceId, ['appointments', 'appointments-export'], since) ?? 0)
  // File jobs carry schedule files in and exports out (part 1's locations, pickup and drop).
  for (const k of appointmentFileKinds(batches)) findFilesRuntime(ctx)?.kinds.register(k)
}
