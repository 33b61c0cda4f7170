/**
 * Appointment-batch harness: a real engine with the batch module, athena's departments and
 * providers in the reference cache (as an athena reference sync leaves them) and patients with
 * athena ids (as an athena patient sync leaves them), and a schedule-file builder.
 */
import { appointmentBatchModule } from '../../../electron/engine/connectors/files/appointments-batch'
import { ReferenceRepo } from '../../../electron/engine/connectors/athena/store/reference-repo'
import { openHl7Engine, type Hl7TestEngine } from '../hl7/support'

export const HEADER = 'AppointmentID,PatientID,ProviderID,DepartmentID,AppointmentType,Date,StartTime,Duration,Status,Reason,Notes,RescheduledFrom'

export interface Row {
  id: string
  patient?: string
  provider?: string
  dept?: string
  type?: string
  date?: string
  time: string
  duration?: number | string
  status?: string
  reason?: string
  notes?: string
  from?: string
}

export function csv(rows: Row[]): string {
  return [HEADER, ...rows.map((r) => [r.id, r.patient ?? '501', r.provider ?? '71', r.dept ?? '2', r.type ?? 'OFFICE', r.date ?? '2026-07-01', r.time, r.duration ?? 30, r.status ?? 'Booked', r.reason ?? 'Follow-up', r.notes ?? '', r.from ?? ''].join(','))].join('\r\n') + '\r\n'
}

export async function openBatchEngine(opts: { dir?: string; keepDir?: boolean; start?: boolean } = {}): Promise<Hl7TestEngine> {
  const t = await openHl7Engine({ modules: [appointmentBatchModule], ...opts })
  seedReference(t, 'sandbox')
  return t
}

export function seedReference(t: Hl7TestEngine, practiceId: string, patients = ['501', '502', '503']): void {
  const ref = new ReferenceRepo(t.engine.ctx.db)
  const now = Date.now()
  ref.replace(practiceId, 'department', [
    { id: '2', data: { departmentid: '2', name: 'Riverside Chicago', timezonename: 'America/Chicago' } },
    { id: '3', data: { departmentid: '3', name: 'Riverside Boston', timezonename: 'US/Eastern' } },
  ], now)
  ref.replace(practiceId, 'provider', [{ id: '71', data: { providerid: '71' } }, { id: '72', data: { providerid: '72' } }], now)
  addPatients(t, practiceId, patients)
}

export function addPatients(t: Hl7TestEngine, practiceId: string, ids: string[]): void {
  for (const id of ids) t.engine.ctx.records.upsert({ practiceId, kind: 'patient', ids: [{ system: 'athena', value: id }], data: { external_id: id, last_name: `PATIENT${id}`, first_name: 'TEST' } })
}
