/**
 * The inbound message types the engine processes, what each does and which shipped mapping set
 * maps it. Routing is on MSH-9 (code and trigger), never on anything else. An interface may narrow
 * this list (`messageTypes` in its configuration). What happens to a well-formed message outside
 * it is the interface's `unsupportedTypes` policy: AA and `filtered` (ignore) or AR (reject).
 */
import type { RecordKind } from '../../../../shared/records'

export type Hl7Route = 'adt' | 'siu' | 'oru' | 'dft' | 'mdm'

export interface SupportedType {
  code: string
  trigger: string
  route: Hl7Route
  /** What the handler does with it, for the console and docs. */
  action: 'register' | 'update' | 'merge' | 'create' | 'modify' | 'reschedule' | 'cancel' | 'delete' | 'no_show' | 'results' | 'charges' | 'document'
  record: RecordKind
}

export const MAPPING_KEYS = {
  patient: 'hl7.adt.patient.in',
  appointment: 'hl7.siu.appointment.in',
  observation: 'hl7.oru.observation.in',
  financial: 'hl7.dft.financial.in',
  document: 'hl7.mdm.document.in',
  appointmentOut: 'hl7.siu.appointment.out',
  patientOut: 'hl7.siu.patient.out',
} as const

export const SUPPORTED_TYPES: readonly SupportedType[] = [
  { code: 'ADT', trigger: 'A01', route: 'adt', action: 'register', record: 'patient' },
  { code: 'ADT', trigger: 'A04', route: 'adt', action: 'register', record: 'patient' },
  { code: 'ADT', trigger: 'A08', route: 'adt', action: 'update', record: 'patient' },
  // A31 "update person information": the same PID as A08, from a master patient index.
  { code: 'ADT', trigger: 'A31', route: 'adt', action: 'update', record: 'patient' },
  // Merges: PID names the surviving patient, MRG-1 the prior (retired) identifiers.
  { code: 'ADT', trigger: 'A40', route: 'adt', action: 'merge', record: 'patient' },
  { code: 'ADT', trigger: 'A34', route: 'adt', action: 'merge', record: 'patient' },
  { code: 'ADT', trigger: 'A18', route: 'adt', action: 'merge', record: 'patient' },
  { code: 'SIU', trigger: 'S12', route: 'siu', action: 'create', record: 'appointment' },
  { code: 'SIU', trigger: 'S13', route: 'siu', action: 'reschedule', record: 'appointment' },
  { code: 'SIU', trigger: 'S14', route: 'siu', action: 'modify', record: 'appointment' },
  { code: 'SIU', trigger: 'S15', route: 'siu', action: 'cancel', record: 'appointment' },
  { code: 'SIU', trigger: 'S17', route: 'siu', action: 'delete', record: 'appointment' },
  { code: 'SIU', trigger: 'S26', route: 'siu', action: 'no_show', record: 'appointment' },
  { code: 'ORU', trigger: 'R01', route: 'oru', action: 'results', record: 'observation' },
  { code: 'DFT', trigger: 'P03', route: 'dft', action: 'charges', record: 'financial_transaction' },
  { code: 'MDM', trigger: 'T02', route: 'mdm', action: 'document', record: 'document' },
]

const BY_TYPE = new Map(SUPPORTED_TYPES.map((t) => [`${t.code}^${t.trigger}`, t]))
const CODES = new Set(SUPPORTED_TYPES.map((t) => t.code))

export const SUPPORTED_TYPE_NAMES: readonly string[] = SUPPORTED_TYPES.map((t) => `${t.code}^${t.trigger}`)

/** `ADT^A01/A04/A08, SIU^S12/S14/S15, …` for messages to senders and operators. */
export const SUPPORTED_SUMMARY: string = [...new Set(SUPPORTED_TYPES.map((t) => t.code))]
  .map((c) => `${c}^${SUPPORTED_TYPES.filter((t) => t.code === c).map((t) => t.trigger).join('/')}`)
  .join(', ')

export function supportedType(code: string, trigger: string): SupportedType | undefined {
  return BY_TYPE.get(`${code.toUpperCase()}^${trigger.toUpperCase()}`)
}

export function isSupportedCode(code: string): boolean {
  return CODES.has(code.toUpperCase())
}

/**
 * Whether an interface's `messageTypes` list admits a type: entries are `ADT` (any supported
 * trigger) or `ADT^A08`. An empty list admits every supported type.
 */
export function interfaceAccepts(list: readonly string[], code: string, trigger: string): boolean {
  if (list.length === 0) return true
  const c = code.toUpperCase()
  const t = `${c}^${trigger.toUpperCase()}`
  return list.some((e) => {
    const x = e.trim().toUpperCase()
    return x === c || x === t
  })
}

/** The type this interface processes, or null when it does not (the engine does not, or `messageTypes` leaves it out). */
export function processedType(list: readonly string[], code: string, trigger: string): SupportedType | null {
  const t = supportedType(code, trigger)
  return t && interfaceAccepts(list, code, trigger) ? t : null
}

/** What a filtered row of an ignored type says (its `filtered_by`). */
export const TYPE_NOT_PROCESSED = 'type not processed by this interface'
