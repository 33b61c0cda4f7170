/**
 * The FHIR R4 connector's part of the contract: the server's capabilities, pulls (a patient by id /
 * identifier / name + birth date, a patient's clinical data since a date, a panel sync, reference
 * data), writes routed by capability, athena event subscriptions (topics, list, renew, delete,
 * desired-state job, test notification), the webhook receiver's status and reconciliation. Pulls
 * and notifications are pipeline transactions; answers carry their ids.
 */
import { z } from 'zod'
import { appErrorSchema } from '../errors'
import { method } from './define'

const practiceId = z.string().min(1).max(64)
const isoDateOrInstant = z.string().regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/, 'use YYYY-MM-DD or an ISO instant')

export const resourceCapabilitySchema = z.object({
  type: z.string(),
  interactions: z.array(z.string()),
  searchParams: z.array(z.string()),
  requiredCombos: z.array(z.array(z.string())),
})

export const capabilitySummarySchema = z.object({
  fhirVersion: z.string().nullable(),
  id: z.string().nullable(),
  date: z.string().nullable(),
  formats: z.array(z.string()),
  instantiates: z.array(z.string()),
  resources: z.array(resourceCapabilitySchema),
  fetchedAt: z.number(),
})
export type CapabilitySummaryDto = z.infer<typeof capabilitySummarySchema>

export const pullResultSchema = z.object({
  resources: z.number().int(),
  stored: z.number().int(),
  duplicates: z.number().int(),
  pages: z.number().int(),
  txIds: z.array(z.number().int()),
})

export const countersSchema = z.object({
  deliveries: z.number().int(),
  events: z.number().int(),
  duplicates: z.number().int(),
  bad_signatures: z.number().int(),
  malformed: z.number().int(),
  unknown: z.number().int(),
  failures: z.number().int(),
  lastDeliveryAt: z.number().nullable(),
})

export const subscriptionViewSchema = z.object({
  id: z.number().int(),
  practiceId: z.string(),
  connectionId: z.string(),
  topic: z.string(),
  remoteId: z.string().nullable(),
  state: z.enum(['creating', 'active', 'retiring', 'deleted', 'error']),
  remoteStatus: z.string().nullable(),
  endpoint: z.string(),
  endAt: z.number().nullable(),
  expiresInMs: z.number().nullable(),
  retireAfter: z.number().nullable(),
  lastError: z.string().nullable(),
  lastDeliveryAt: z.number().nullable(),
  today: countersSchema,
  createdAt: z.number(),
})
export type SubscriptionView = z.infer<typeof subscriptionViewSchema>

export const reconcileResultSchema = z.object({
  at: z.number(),
  why: z.enum(['schedule', 'gap', 'manual']),
  patients: z.number().int(),
  stored: z.number().int(),
  duplicates: z.number().int(),
  appointmentSync: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  durationMs: z.number(),
})

export const webhookStatusSchema = z.object({
  practiceId: z.string(),
  enabled: z.boolean(),
  listening: z.boolean(),
  localUrl: z.string().nullable(),
  publicUrl: z.string().nullable(),
  /** A probe signed with the engine's own key to the notification URL, answered by this receiver (not counted as a delivery or a refusal). */
  reachable: z.boolean().nullable(),
  reachability: z.string(),
  unattributed: countersSchema,
  lastReconcile: reconcileResultSchema.nullable(),
})

export const writeOutcomeSchema = z.object({
  path: z.enum(['fhir', 'athena-v1']),
  why: z.string(),
  /** sent, invalid (not sent), or the athena transaction's status when it did not succeed (error, queued). */
  status: z.string(),
  txId: z.number().int().nullable(),
  resourceId: z.string().nullable(),
  issues: z.array(z.object({ severity: z.string(), path: z.string(), message: z.string(), source: z.string() })),
  /** The athena transaction's error, when it failed. */
  error: appErrorSchema.nullable().optional(),
})

const pullPatientInput = z.object({
  practiceId,
  id: z.string().min(1).max(128).optional(),
  identifier: z.string().min(1).max(256).optional(),
  family: z.string().min(1).max(100).optional(),
  given: z.string().min(1).max(100).optional(),
  birthdate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
})

export const fhirApi = {
  /** The server's CapabilityStatement summarised per resource (kept from the last test; `refresh` reads it again). Without `connectionId`, the practice's first enabled FHIR connection. */
  'fhir.capabilities': method('msg.view_meta', z.object({ practiceId, connectionId: z.string().min(1).max(64).optional(), refresh: z.boolean().optional() }), capabilitySummarySchema),
  /** A patient by id, by identifier (`system|value`), or by family + birth date (+ given). */
  'fhir.pull.patient': method('records.write', pullPatientInput, pullResultSchema),
  /** A patient's Encounters, Observations and DocumentReferences, changed since a date when given. */
  'fhir.pull.clinical': method('records.write', z.object({ practiceId, patientId: z.string().min(1).max(128), since: isoDateOrInstant.optional() }), pullResultSchema),
  /** Panel sync: the known patients and their clinical data since the last run. */
  'fhir.pull.panel': method('records.write', z.object({ practiceId, full: z.boolean().optional() }), pullResultSchema.extend({ patients: z.number().int(), since: z.string().nullable() })),
  /** Practitioners, Locations, Organizations. */
  'fhir.pull.reference': method('records.write', z.object({ practiceId }), pullResultSchema),
  /** Writes a Practice Studio observation (vital sign) or document: FHIR create where allowed, else athenaNet /v1; says which and why. */
  'fhir.write': method('records.write', z.object({ practiceId, recordId: z.number().int().positive() }), writeOutcomeSchema),
  /** Topics the server offers (GET SubscriptionTopic). */
  'fhir.topics': method('msg.view_meta', z.object({ practiceId }), z.array(z.object({ id: z.string(), title: z.string().nullable(), url: z.string().nullable() }))),
  /** Live subscriptions; `includeDeleted` adds the deleted ones (replaced or removed), newest first per topic. */
  'fhir.subscriptions.list': method('msg.view_meta', z.object({ practiceId: practiceId.optional(), practiceIds: z.array(practiceId).optional(), includeDeleted: z.boolean().optional() }), z.array(subscriptionViewSchema)),
  /** Replace one subscription now (new one first, old one deleted after the overlap; the secret rotates). */
  'fhir.subscriptions.renew': method('conn.manage', z.object({ practiceId, id: z.number().int() }), subscriptionViewSchema),
  'fhir.subscriptions.delete': method('conn.manage', z.object({ practiceId, id: z.number().int() }), z.object({ deleted: z.literal(true) })),
  /** Run the desired-state job now (create missing, replace expiring, delete unwanted). */
  'fhir.subscriptions.sync': method('conn.manage', z.object({ practiceId }), z.object({ created: z.number().int(), renewed: z.number().int(), deleted: z.number().int(), recreated: z.number().int(), errors: z.array(z.string()) })),
  /** Sandbox only: make the local sandbox emit an event of this subscription's topic. */
  'fhir.subscriptions.sendTest': method('conn.start_stop', z.object({ practiceId, id: z.number().int() }), z.object({ eventIds: z.array(z.string()) })),
  'fhir.webhook.status': method('msg.view_meta', z.object({ practiceId }), webhookStatusSchema),
  /** Reconciliation now (targeted re-reads + the athenaNet appointment feed). */
  'fhir.reconcile': method('conn.start_stop', z.object({ practiceId }), reconcileResultSchema),
}
