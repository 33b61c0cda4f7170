/**
 * The athenaNet connector's part of the contract: sync runs and their state, patient search and
 * import, scheduling (open slots, book, cancel, reschedule, create slots, push a Practice Studio
 * appointment), documents, reference data, the API log, usage against the quota and the circuit
 * breaker. Writes go through the transaction pipeline (each is a reprocessable outbound
 * transaction) and answer with the transaction's outcome.
 */
import { z } from 'zod'
import { appErrorSchema } from '../errors'
import { MATCH_GRADES } from '../files'
import { method } from './define'
import { TX_STATUSES } from './transactions'

const practiceId = z.string().min(1).max(64)
const athenaId = z.string().regex(/^\d{1,12}$/, 'athenaNet ids are numeric')
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use YYYY-MM-DD')
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'use HH:MM (24 h)')

export const SYNC_WHATS = ['patients', 'appointments', 'reference', 'clinical'] as const
export const SYNC_MODES = ['full', 'incremental', 'replay'] as const

export const syncStateSchema = z.object({
  practiceId: z.string(),
  stream: z.enum(SYNC_WHATS),
  status: z.enum(['idle', 'running', 'done', 'error']),
  mode: z.string().nullable(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  updatedAt: z.number(),
  calls: z.number().int(),
  pages: z.number().int(),
  records: z.number().int(),
  duplicates: z.number().int(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  lastSuccessAt: z.number().nullable(),
  /** Resume point / summary (department offsets, feed state); no PHI. */
  cursor: z.record(z.string(), z.unknown()).nullable(),
})
export type SyncState = z.infer<typeof syncStateSchema>

/** Where the expected total comes from: athenaNet's `totalcount`, or the previous finished full run. */
export const SYNC_ESTIMATE_BASES = ['totalcount', 'previous-run'] as const
export type SyncEstimateBasis = (typeof SYNC_ESTIMATE_BASES)[number]

/**
 * A running sync's progress against what it expects: `unknown` (no total to compare with, so no
 * estimate), `estimating` (too few pages for a rate), `estimated` (`remainingMs` set) or `overrun`
 * (more items than expected; no time given). Items are records stored plus records already had.
 */
export const syncEstimateSchema = z.object({
  state: z.enum(['unknown', 'estimating', 'estimated', 'overrun']),
  basis: z.enum(SYNC_ESTIMATE_BASES).nullable(),
  done: z.number().int().nonnegative(),
  expected: z.number().int().nonnegative().nullable(),
  remainingMs: z.number().nonnegative().nullable(),
  ratePerSecond: z.number().nonnegative().nullable(),
})
export type SyncEstimate = z.infer<typeof syncEstimateSchema>

/** A stream in `athena.syncStatus`: its state plus, while it runs, its progress. */
export const syncStatusStreamSchema = syncStateSchema.extend({ progress: syncEstimateSchema.nullable() })
export type SyncStatusStream = z.infer<typeof syncStatusStreamSchema>

export const writeOutcomeSchema = z.object({
  txId: z.number().int(),
  duplicate: z.boolean(),
  status: z.enum(TX_STATUSES),
  error: appErrorSchema.nullable(),
  /** What athenaNet ended up with (ids, status); null until the transaction is done. */
  result: z
    .object({
      op: z.string(),
      appointmentId: z.string().nullable().optional(),
      newAppointmentId: z.string().nullable().optional(),
      appointmentIds: z.array(z.string()).optional(),
      patientId: z.string().nullable().optional(),
      documentId: z.string().nullable().optional(),
      status: z.string().nullable().optional(),
      reconciled: z.boolean(),
      records: z.array(z.number().int()),
    })
    .nullable(),
})
export type WriteOutcome = z.infer<typeof writeOutcomeSchema>

export const patientSummarySchema = z.object({
  athenaId: z.string(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  dob: z.string().nullable(),
  sex: z.string().nullable(),
  departmentId: z.string().nullable(),
  status: z.string().nullable(),
  score: z.number().nullable(),
  /** Practice Studio record already linked to this athena id. */
  recordId: z.number().int().nullable(),
})
export type PatientSummary = z.infer<typeof patientSummarySchema>
/**
 * A best-match candidate: athena's own score, and the product's matcher's grade and reasons for the
 * same pair (the one matcher file imports and HL7 use), best first by the matcher's score.
 */
export const bestMatchSchema = patientSummarySchema.extend({
  match: z.object({ grade: z.enum(MATCH_GRADES).nullable(), score: z.number(), reasons: z.array(z.string()) }).nullable(),
})

export const slotSchema = z.object({
  appointmentId: z.string(),
  date: z.string(),
  startTime: z.string(),
  /** UTC instant of the slot, from the department's time zone. */
  startUtc: z.string().nullable(),
  duration: z.number().nullable(),
  departmentId: z.string().nullable(),
  providerId: z.string().nullable(),
  appointmentTypeId: z.string().nullable(),
  appointmentType: z.string().nullable(),
  reasonIds: z.array(z.string()),
})
export type Slot = z.infer<typeof slotSchema>

export const apiLogEntrySchema = z.object({
  id: z.number().int(),
  at: z.number(),
  practiceId: z.string(),
  connectionId: z.string().nullable(),
  method: z.string(),
  endpoint: z.string(),
  path: z.string(),
  status: z.number().int().nullable(),
  outcome: z.string(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  /** athena's `detailedmessage`: only with `developer: true` (audited). */
  developerDetail: z.string().nullable(),
  latencyMs: z.number(),
  attempt: z.number().int(),
  requestId: z.string(),
})
export type ApiLogEntry = z.infer<typeof apiLogEntrySchema>

/** One call's headers and bodies as the log keeps them: PHI values redacted as in the path, credentials never. */
export const apiCallDetailSchema = z.object({
  requestHeaders: z.record(z.string(), z.string()),
  requestBody: z.string().nullable(),
  responseHeaders: z.record(z.string(), z.string()),
  responseBody: z.string().nullable(),
})
export type ApiCallDetail = z.infer<typeof apiCallDetailSchema>

export const apiLogFilterSchema = z.object({
  practiceId: practiceId.optional(),
  endpoint: z.string().max(300).optional(),
  from: z.number().optional(),
  to: z.number().optional(),
  outcome: z.enum(['ok', 'error', 'throttled']).optional(),
  status: z.number().int().min(100).max(599).optional(),
})

export const usageSchema = z.object({
  practiceId: z.string(),
  connectionId: z.string().nullable(),
  connectionName: z.string().nullable(),
  environment: z.string().nullable(),
  today: z.object({ calls: z.number().int(), throttled: z.number().int(), retried: z.number().int(), errors: z.number().int(), tokenRequests: z.number().int() }),
  dailyQuota: z.number().nullable(),
  remainingQuota: z.number().nullable(),
  serverRemaining: z.number().nullable(),
  quotaResetsAt: z.number().nullable(),
  qps: z.number().nullable(),
  circuit: z.object({
    state: z.enum(['closed', 'open', 'half_open']),
    forced: z.enum(['open', 'closed']).nullable(),
    consecutiveFailures: z.number().int(),
    openedAt: z.number().nullable(),
    retryAt: z.number().nullable(),
    opens: z.number().int(),
  }),
  token: z
    .object({
      hasToken: z.boolean(),
      expiresInMs: z.number().nullable(),
      refreshing: z.boolean(),
      stopped: z.object({ code: z.string(), message: z.string() }).nullable(),
      requestsLastMinute: z.number().int(),
      requestsTotal: z.number().int(),
    })
    .nullable(),
  retryBudget: z.number().nullable(),
})
export type AthenaUsageDto = z.infer<typeof usageSchema>

const referenceItemSchema = z.object({ id: z.string(), name: z.string(), data: z.record(z.string(), z.unknown()) })

export const athenaApi = {
  /** Starts a sync run (in the background unless `wait`). Audited. */
  'athena.sync': method('conn.start_stop',
    z.object({
      practiceId,
      what: z.enum(SYNC_WHATS),
      mode: z.enum(SYNC_MODES).default('incremental'),
      /** clinical: athena patient ids (default: patients with appointments in the next 7 days). */
      patientIds: z.array(athenaId).max(500).optional(),
      replayMinutes: z.number().int().positive().max(7 * 24 * 60).optional(),
      /** Resolve only when the run ends (at most `waitMs`). */
      wait: z.boolean().default(false),
      waitMs: z.number().int().positive().max(30 * 60_000).default(10 * 60_000),
    }),
    syncStateSchema,
  ),
  'athena.syncStatus': method('msg.view_meta',
    z.object({ practiceId }),
    /** `progress`: the running streams together (the slowest decides the time left); null when none runs. */
    z.object({ streams: z.array(syncStatusStreamSchema), running: z.boolean(), progress: syncEstimateSchema.nullable() }),
  ),
  /** Searches athenaNet patients by name and date of birth (read only; audited without the terms). */
  'athena.searchPatients': method('msg.view_phi',
    z
      .object({
        practiceId,
        firstName: z.string().trim().max(100).optional(),
        lastName: z.string().trim().max(100).optional(),
        dob: isoDate.optional(),
        limit: z.number().int().min(1).max(200).default(25),
      })
      .refine((v) => Boolean(v.lastName || v.firstName || v.dob), { message: 'give a name or a date of birth', path: ['lastName'] }),
    z.object({ patients: z.array(patientSummarySchema), totalcount: z.number().int() }),
  ),
  /** athena's enhanced best match (first name, last name, DOB required). */
  'athena.bestMatch': method('msg.view_phi',
    z.object({
      practiceId,
      firstName: z.string().trim().min(1).max(100),
      lastName: z.string().trim().min(1).max(100),
      dob: isoDate,
      zip: z.string().max(10).optional(),
      phone: z.string().max(30).optional(),
      email: z.string().max(200).optional(),
    }),
    z.object({ patients: z.array(bestMatchSchema) }),
  ),
  /** Fetches one patient and stores it (an inbound transaction mapped into a Practice Studio record). */
  'athena.importPatient': method('records.write', z.object({ practiceId, patientId: athenaId }), writeOutcomeSchema),
  'athena.createPatient': method('records.write',
    z.object({
      practiceId,
      /** Create from this Practice Studio patient (mapped with athena.patient.out), or from the fields below. */
      recordId: z.number().int().positive().optional(),
      firstName: z.string().trim().min(1).max(100).optional(),
      lastName: z.string().trim().min(1).max(100).optional(),
      dob: isoDate.optional(),
      sex: z.enum(['M', 'F', 'U']).optional(),
      departmentId: athenaId.optional(),
      mobilePhone: z.string().max(30).optional(),
      email: z.string().max(200).optional(),
      zip: z.string().max(10).optional(),
    }),
    writeOutcomeSchema,
  ),
  /** Pushes a Practice Studio patient's demographics to athenaNet (athena.patient.out). */
  'athena.updatePatient': method('records.write', z.object({ practiceId, recordId: z.number().int().positive() }), writeOutcomeSchema),
  'athena.referenceData': method('msg.view_meta',
    z.object({ practiceId, kind: z.enum(['department', 'provider', 'appointmenttype', 'reason', 'cancelreason']) }),
    z.object({ items: z.array(referenceItemSchema), fetchedAt: z.number().nullable() }),
  ),
  'athena.openSlots': method('msg.view_meta',
    z
      .object({
        practiceId,
        departmentId: athenaId,
        providerId: athenaId.optional(),
        reasonId: z.string().regex(/^-?\d{1,12}$/).optional(),
        appointmentTypeId: athenaId.optional(),
        startDate: isoDate.optional(),
        endDate: isoDate.optional(),
        bypassScheduleChecks: z.boolean().default(false),
        limit: z.number().int().min(1).max(1000).default(200),
      })
      .refine((v) => v.reasonId !== undefined || v.appointmentTypeId !== undefined, { message: 'give a reason or an appointment type', path: ['reasonId'] })
      .refine((v) => v.reasonId === undefined || v.reasonId === '-1' || v.providerId !== undefined, { message: 'a provider is needed unless the reason is -1 (any)', path: ['providerId'] }),
    z.object({ slots: z.array(slotSchema), totalcount: z.number().int() }),
  ),
  /** Booked (and optionally cancelled) appointments of a department in a date range, read from athenaNet. */
  'athena.bookedAppointments': method('msg.view_phi',
    z.object({
      practiceId,
      departmentId: athenaId,
      startDate: isoDate,
      endDate: isoDate,
      showCancelled: z.boolean().default(false),
      limit: z.number().int().min(1).max(1000).default(200),
    }),
    z.object({
      appointments: z.array(
        slotSchema.extend({ patientId: z.string().nullable(), status: z.string().nullable(), recordId: z.number().int().nullable() }),
      ),
      totalcount: z.number().int(),
    }),
  ),
  'athena.createSlots': method('records.write',
    z
      .object({
        practiceId,
        departmentId: athenaId,
        providerId: athenaId,
        date: isoDate,
        times: z.array(hhmm).min(1).max(50),
        appointmentTypeId: athenaId.optional(),
        reasonId: athenaId.optional(),
      })
      .refine((v) => v.appointmentTypeId !== undefined || v.reasonId !== undefined, { message: 'give an appointment type or a reason', path: ['appointmentTypeId'] }),
    writeOutcomeSchema,
  ),
  'athena.book': method('records.write',
    z
      .object({
        practiceId,
        appointmentId: athenaId,
        patientId: athenaId,
        reasonId: athenaId.optional(),
        appointmentTypeId: athenaId.optional(),
        departmentId: athenaId.optional(),
        note: z.string().max(2000).optional(),
      })
      .refine((v) => v.reasonId !== undefined || v.appointmentTypeId !== undefined, { message: 'give a reason or an appointment type', path: ['reasonId'] }),
    writeOutcomeSchema,
  ),
  'athena.cancel': method('records.write',
    z.object({ practiceId, appointmentId: athenaId, patientId: athenaId, reason: z.string().max(500).optional(), cancelReasonId: z.string().regex(/^-?\d{1,12}$/).optional() }),
    writeOutcomeSchema,
  ),
  'athena.reschedule': method('records.write',
    z.object({ practiceId, appointmentId: athenaId, newAppointmentId: athenaId, patientId: athenaId, reason: z.string().max(500).optional() }),
    writeOutcomeSchema,
  ),
  /** Pushes a Practice Studio appointment (mapped with athena.appointment.out) to athenaNet. */
  'athena.pushAppointment': method('records.write',
    z.object({ practiceId, recordId: z.number().int().positive(), action: z.enum(['book', 'cancel', 'reschedule']), newAppointmentId: athenaId.optional(), reason: z.string().max(500).optional() }),
    writeOutcomeSchema,
  ),
  'athena.uploadDocument': method('records.write',
    z.object({
      practiceId,
      patientId: athenaId,
      departmentId: athenaId,
      documentSubclass: z.string().trim().min(1).max(60),
      filename: z.string().trim().min(1).max(200),
      contentType: z.string().max(100).default('application/pdf'),
      /** File contents, base64 (at most 10 MiB decoded). */
      contentBase64: z.string().min(4).max(14_000_000),
      note: z.string().max(2000).optional(),
    }),
    writeOutcomeSchema,
  ),
  'athena.apiLog.list': method('msg.view_meta',
    apiLogFilterSchema.extend({
      beforeId: z.number().int().positive().optional(),
      limit: z.number().int().min(1).max(1000).default(100),
      /** Include athena's developer detail (audited). */
      developer: z.boolean().default(false),
    }),
    z.object({ items: z.array(apiLogEntrySchema), nextBeforeId: z.number().int().nullable() }),
  ),
  'athena.apiLog.endpoints': method('msg.view_meta', z.object({ practiceId: practiceId.optional() }), z.array(z.string())),
  /** CSV of the filtered log (at most 50,000 rows; no developer detail). Audited. */
  'athena.apiLog.export': method('msg.export', apiLogFilterSchema, z.object({ filename: z.string(), csv: z.string(), rows: z.number().int() })),
  /** One logged call with its request and response (null detail: a token request, or logged before they were kept). Audited. */
  'athena.apiLog.get': method('msg.view_phi', z.object({ practiceId, id: z.number().int().positive() }), apiLogEntrySchema.extend({ detail: apiCallDetailSchema.nullable() })),
  'athena.usage': method('msg.view_meta', z.object({ practiceId }), usageSchema),
  /** Usage of every practice with an athenaNet connection (dashboard). */
  'athena.usageAll': method('msg.view_meta', z.object({}), z.array(usageSchema)),
  /** Operator override of a practice's circuit breaker ('auto' hands it back). Audited. */
  'athena.circuit': method('conn.start_stop', z.object({ practiceId, state: z.enum(['open', 'closed', 'auto']) }), usageSchema.shape.circuit),
} as const
