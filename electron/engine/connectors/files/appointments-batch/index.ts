/**
 * Nightly appointment batches as a connector module: the schedule-file pipeline handler, the
 * shipped mapping sets, and notifications through the console's alerts. See README.md here.
 */
import type { ConnectorModule } from '../../../core/engine-context'
import { consoleModule } from '../../../console/console-handlers'
import { AppointmentBatches } from './batch-service'
import { loadAppointmentBatchSets } from './mappings'
import { appointmentBatchRuntime } from './runtime'

export const appointmentBatchModule: ConnectorModule = (engine) => {
  const ctx = engine.ctx
  ctx.mappings.registerDefaults(loadAppointmentBatchSets())
  const batches = new AppointmentBatches(ctx)
  batches.raise = (practiceId, level, title, message) => void consoleModule(ctx).alerts.raise(practiceId, null, level, title, message)
  ctx.pipeline.register(batches.handler())
  appointmentBatchRuntime.set(ctx, batches)
}
