/** The shipped schedule-file mapping sets (registered by the module; the studio edits them like the others). */
import { AppError } from '../../../../../../shared/errors'
import { mappingSetSchema, type MappingSet } from '../../../../../../shared/mapping'
import appointmentIn from './files-appointment-in.json'
import appointmentOut from './files-appointment-out.json'

export const APPOINTMENT_IN_SET = 'files.appointment.in'
export const APPOINTMENT_OUT_SET = 'files.appointment.out'

export function loadAppointmentBatchSets(): MappingSet[] {
  return [appointmentIn, appointmentOut].map((raw, i) => {
    const parsed = mappingSetSchema.safeParse(raw)
    if (!parsed.success) throw new AppError('config_invalid', `shipped appointment-batch mapping set #${i} is invalid`, { details: { issues: parsed.error.issues.map((x) => ({ path: x.path.join('.'), message: x.message })) } })
    return parsed.data
  })
}
