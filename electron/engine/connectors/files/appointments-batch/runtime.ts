import { moduleSlot } from '../../../core/module-state'
import type { AppointmentBatches } from './batch-service'

/** The appointment-batch service of an engine (set by the module, found again by the API handlers). */
export const appointmentBatchRuntime = moduleSlot<AppointmentBatches>()
