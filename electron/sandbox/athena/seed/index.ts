/**
 * Builds the practice from a seed and a clock reading. Each concern draws from its own PRNG
 * stream, so e.g. changing the patient count does not reshuffle unrelated data more than needed.
 */
import { createRng } from '../prng'
import { SandboxStore } from '../store'
import { todayIn, EASTERN } from '../time'
import { seedDocuments } from './documents'
import { seedPatients } from './patients'
import {
  APPOINTMENT_TYPES,
  CANCEL_REASONS,
  DEPARTMENTS,
  PATIENT_REASONS,
  PROVIDERS,
  practiceInfo,
} from './practice'
import { seedSchedule } from './schedule'

export function buildStore(opts: { seed: number | string; practiceId: number; patientCount: number; now: number }): SandboxStore {
  const store = new SandboxStore(opts.seed, opts.now)
  store.practice = practiceInfo(opts.practiceId)
  for (const d of DEPARTMENTS) store.departments.set(d.departmentid, { ...d })
  for (const p of PROVIDERS) store.providers.set(p.providerid, { ...p, departmentIds: [...p.departmentIds] })
  for (const t of APPOINTMENT_TYPES) store.appointmentTypes.set(t.appointmenttypeid, { ...t })
  for (const r of PATIENT_REASONS) store.reasons.set(r.reasonid, { ...r, appointmenttypeids: [...r.appointmenttypeids] })
  store.cancelReasons = CANCEL_REASONS.map((c) => ({ ...c }))
  seedPatients(store, createRng(opts.seed, 'patients'), opts.patientCount, todayIn(opts.now, EASTERN))
  seedSchedule(store, createRng(opts.seed, 'schedule'), opts.now)
  seedDocuments(store, createRng(opts.seed, 'documents'))
  return store
}
