/**
 * Which patient a message is about, and what happens when Practice Studio does not know them
 * (the practice's `unknownPatientRule`): create the patient from the PID, hold the message in the
 * error queue (`unknown_patient`, fixed by reprocessing once the patient exists), or match by MRN
 * and then by last name + date of birth (a single match links, anything else holds).
 */
import { AppError } from '../../../../shared/errors'
import type { PracticeSettings } from '../../../../shared/config'
import type { Hl7Message } from '../hl7'
import type { ExternalId, RecordStore, StoredRecord } from '../../records/record-store'
import type { PatientMatcher } from '../../matching'

export type UnknownPatientRule = PracticeSettings['unknownPatientRule']

const ATHENA = /athena/i

/**
 * Ids a PID names its patient by: the MRN (PID-3, first repetition) scoped by its assigning
 * authority, plus any identifier in PID-2 / PID-3 assigned by athenahealth (system `athena`).
 */
export function patientIds(msg: Hl7Message): ExternalId[] {
  const ids: ExternalId[] = []
  const mrn = msg.get('PID-3.1')?.trim()
  if (mrn) {
    const authority = (msg.get('PID-3.4.1') ?? msg.get('PID-3.4.2') ?? '').trim()
    ids.push({ system: authority ? `mrn:${authority}` : 'mrn', value: mrn })
  }
  const pid = msg.segment('PID')
  if (pid) {
    for (const field of [2, 3]) {
      const reps = pid.repetitions(field).length
      for (let r = 1; r <= reps; r++) {
        const value = pid.value(field, r, 1)?.trim()
        const auth = `${pid.value(field, r, 4, 1) ?? ''} ${pid.value(field, r, 4, 2) ?? ''}`
        if (value && ATHENA.test(auth) && !ids.some((i) => i.system === 'athena' && i.value === value)) ids.push({ system: 'athena', value })
      }
    }
  }
  return ids
}

/** The ids a merge message retires (MRG-1, every repetition), scoped like PID-3's. */
export function mergedIds(msg: Hl7Message): ExternalId[] {
  const mrg = msg.segment('MRG')
  if (!mrg) return []
  const ids: ExternalId[] = []
  const reps = mrg.repetitions(1).length
  for (let r = 1; r <= reps; r++) {
    const value = mrg.value(1, r, 1)?.trim()
    if (!value) continue
    const auth = `${mrg.value(1, r, 4, 1) ?? ''} ${mrg.value(1, r, 4, 2) ?? ''}`
    if (ATHENA.test(auth)) {
      ids.push({ system: 'athena', value })
      continue
    }
    const authority = (mrg.value(1, r, 4, 1) ?? mrg.value(1, r, 4, 2) ?? '').trim()
    ids.push({ system: authority ? `mrn:${authority}` : 'mrn', value })
  }
  return ids
}

/**
 * An ORU's patient groups, one view per PID (its segments up to the next PID), so every result
 * is linked to the patient it is reported under, never to the message's first patient. With at
 * most one PID: the whole message. Results before the first PID of a multi-patient message
 * belong to no patient, so that message is refused rather than guessed.
 */
export function patientGroups(msg: Hl7Message): Hl7Message[] {
  const starts: number[] = []
  msg.segments.forEach((seg, i) => {
    if (seg.id === 'PID') starts.push(i)
  })
  if (starts.length <= 1) return [msg]
  const first = starts[0] as number
  const orphan = msg.segments.slice(1, first).find((seg) => seg.id === 'OBR' || seg.id === 'OBX')
  if (orphan) {
    throw new AppError('validation_error', `This ORU reports on ${starts.length} patients but has an ${orphan.id} before its first PID: which patient that result belongs to is unknown.`, { retryable: false })
  }
  return starts.map((from, g) => msg.slice(from, starts[g + 1]))
}

export function findPatient(records: RecordStore, practiceId: string, ids: readonly ExternalId[]): StoredRecord | null {
  for (const id of ids) {
    const r = records.findByExternalId(practiceId, 'patient', id.system, id.value)
    if (r) return r
  }
  return null
}

/**
 * A single patient by MRN, else the product's patient matcher on the PID's demographics: only a
 * `certain` match that is no known trap (twins, Jr/Sr, newborn placeholder, shared phone) links;
 * anything less is not guessed (the message is held, or a registration creates the patient).
 */
export function matchPatient(records: RecordStore, matcher: PatientMatcher, practiceId: string, data: Record<string, unknown>): StoredRecord | null {
  const mrn = typeof data.mrn === 'string' ? data.mrn.trim() : ''
  if (mrn) {
    const byMrn = records.findPatientsByMrn(practiceId, mrn)
    if (byMrn.length === 1) return byMrn[0] as StoredRecord
    if (byMrn.length > 1) return null
  }
  const best = matcher.match(practiceId, data).best
  return best && best.grade === 'certain' && !best.trap ? records.get(best.recordId) : null
}

export function unknownPatient(practiceId: string, rule: UnknownPatientRule): AppError {
  const how = rule === 'match' ? 'no single patient matched its MRN, and the patient matcher found no certain match' : 'the practice holds messages for unknown patients'
  return new AppError('unknown_patient', `The patient of this message (PID-3) is not known to practice "${practiceId}" and ${how}; reprocess it once the patient exists.`, {
    retryable: false,
    details: { rule },
  })
}

/** HL7 DTM (PID-7) → YYYY-MM-DD, or null. */
export function hl7Date(v: string | undefined): string | null {
  const m = v ? /^(\d{4})(\d{2})(\d{2})/.exec(v.trim()) : null
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null
}
