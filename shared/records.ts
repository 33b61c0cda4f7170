/**
 * Practice Studio's canonical records: what every connector maps into and out of.
 * Field names follow the seed guide's appendix (snake_case). Every record belongs to one
 * practice; ids from other systems live in `external_ids` (see the store), and `external_id`
 * here is the id in the source system that created the record (e.g. athena patientid).
 */
import { z } from 'zod'

export const RECORD_KINDS = [
  'patient',
  'appointment',
  'provider',
  'location',
  'observation',
  'document',
  'financial_transaction',
] as const
export type RecordKind = (typeof RECORD_KINDS)[number]

const str = z.string()
const optStr = z.string().nullish()

export const addressSchema = z.object({
  line1: optStr,
  line2: optStr,
  city: optStr,
  state: optStr,
  postal_code: optStr,
  country: optStr,
})

export const insuranceSchema = z.object({
  sequence: z.number().int().nullish(),
  plan_id: optStr,
  plan_name: optStr,
  company_name: optStr,
  member_id: optStr,
  group_number: optStr,
  subscriber_name: optStr,
  subscriber_relationship: optStr,
})

export const contactSchema = z.object({
  name: optStr,
  relationship: optStr,
  phone: optStr,
})

export const patientSchema = z.object({
  external_id: optStr,
  mrn: optStr,
  first_name: optStr,
  middle_name: optStr,
  last_name: optStr,
  date_of_birth: optStr, // YYYY-MM-DD
  gender: z.enum(['M', 'F', 'O', 'U']).nullish(),
  address: addressSchema.nullish(),
  phone_home: optStr, // E.164
  phone_mobile: optStr, // E.164
  phone_work: optStr,
  email: optStr,
  preferred_language: optStr, // ISO 639-2
  race: optStr, // CDC race code
  ethnicity: optStr, // CDC ethnicity code
  marital_status: optStr,
  status: optStr,
  department_id: optStr,
  insurance: z.array(insuranceSchema).nullish(),
  contacts: z.array(contactSchema).nullish(),
  custom: z.record(z.string(), z.unknown()).nullish(),
})
export type Patient = z.infer<typeof patientSchema>

export const APPOINTMENT_STATUSES = ['open', 'scheduled', 'checked_in', 'checked_out', 'charge_entered', 'cancelled', 'no_show'] as const
export const appointmentSchema = z.object({
  external_id: optStr,
  patient_id: optStr, // external patient id in the source system
  provider_id: optStr,
  appointment_type: optStr,
  start_time: optStr, // ISO 8601 UTC
  end_time: optStr, // ISO 8601 UTC
  duration_minutes: z.number().nullish(),
  status: z.enum(APPOINTMENT_STATUSES).nullish(),
  reason: optStr,
  location_id: optStr,
  notes: optStr,
  cancel_reason: optStr,
  /** IANA zone of the appointment's department, kept beside the UTC times (file batches, athena). */
  time_zone: optStr,
  /** The id (same system as external_id) of the appointment this one replaced: a reschedule is a move. */
  rescheduled_from: optStr,
  custom: z.record(z.string(), z.unknown()).nullish(),
})
export type Appointment = z.infer<typeof appointmentSchema>

export const providerSchema = z.object({
  external_id: optStr,
  npi: optStr,
  first_name: optStr,
  last_name: optStr,
  display_name: optStr,
  specialty: optStr,
  provider_type: optStr,
})
export type Provider = z.infer<typeof providerSchema>

export const locationSchema = z.object({
  external_id: optStr,
  name: optStr,
  address: addressSchema.nullish(),
  phone: optStr,
  time_zone: optStr, // IANA, e.g. America/New_York
})
export type Location = z.infer<typeof locationSchema>

export const observationSchema = z.object({
  external_id: optStr,
  patient_id: optStr,
  order_id: optStr,
  category: optStr, // lab | vital | allergy | medication | problem
  code: optStr,
  code_system: optStr,
  display: optStr,
  value_type: optStr, // NM ST TX FT CE ED ...
  value: z.unknown().optional(),
  unit: optStr,
  reference_range: optStr,
  abnormal_flag: optStr,
  status: optStr,
  observed_at: optStr, // ISO 8601 UTC
})
export type Observation = z.infer<typeof observationSchema>

export const documentSchema = z.object({
  external_id: optStr,
  patient_id: optStr,
  document_type: optStr,
  title: optStr,
  status: optStr,
  authored_at: optStr,
  content_type: optStr,
  content_text: optStr,
  content_base64: optStr,
})
export type Document = z.infer<typeof documentSchema>

export const financialTransactionSchema = z.object({
  external_id: optStr,
  patient_id: optStr,
  transaction_type: optStr, // CG charge, PY payment, AJ adjustment, ...
  transaction_date: optStr,
  procedure_code: optStr,
  diagnosis_codes: z.array(str).nullish(),
  quantity: z.number().nullish(),
  amount: z.number().nullish(),
  provider_id: optStr,
  location_id: optStr,
  description: optStr,
  /** The visit the charge belongs to (PV1-19 visit number): a claim groups one encounter's charges. */
  encounter_id: optStr,
  /** CPT/HCPCS modifiers (FT1-26), at most four. */
  modifiers: z.array(str).nullish(),
  /** CMS place-of-service code (two digits); the claim settings' default when absent. */
  place_of_service: optStr,
})
export type FinancialTransaction = z.infer<typeof financialTransactionSchema>

export const RECORD_SCHEMAS = {
  patient: patientSchema,
  appointment: appointmentSchema,
  provider: providerSchema,
  location: locationSchema,
  observation: observationSchema,
  document: documentSchema,
  financial_transaction: financialTransactionSchema,
} as const

/** Fields that hold PHI: masked in the console until revealed (and the reveal is audited). */
export const PHI_FIELDS: ReadonlySet<string> = new Set([
  'first_name', 'middle_name', 'last_name', 'date_of_birth', 'address', 'phone_home', 'phone_mobile',
  'phone_work', 'email', 'mrn', 'contacts', 'insurance', 'content_text', 'content_base64', 'name', 'subscriber_name', 'member_id',
])
