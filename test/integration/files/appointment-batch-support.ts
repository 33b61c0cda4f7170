/**
 * Appointment-batch harness: a real engine with the batch module, athena's departments and
 * providers in the reference cache (as an athena reference sync leaves them) and patients with
 * athena ids (as an athena patient sync leaves them), and a schedule-file builder.
 */
import { appointmentBatchModule } from '../../../electron/engine/connectors/files/appointments-batch'
import { ReferenceRepo } from '../../../electron/engine/connectors/athena/store/reference-repo'
import { openHl7Engine, type Hl7TestEngine } from '../hl7/support'

export { csv, HEADER, type Row } from '../../support/schedule-files'

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
