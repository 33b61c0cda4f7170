/**
 * Options of the local athenaNet sandbox and their defaults.
 *
 * Facts rated H/M in docs/shared athena-api.md are hard-wired elsewhere. Every option below whose
 * comment says "U" or "L" exists because the real behaviour is unknown or thinly sourced: the
 * default is our best guess, and tests/demos can flip it to probe how a client copes.
 */
import type { Clock } from '../../engine/core/clock'
import { systemClock } from '../../engine/core/clock'
import type { Logger } from '../../engine/core/logger'
import { silentLogger } from '../../engine/core/logger'

/** Fixed so the console's built-in sandbox practice can ship them; they unlock nothing real. */
export const DEFAULT_CLIENT_ID = 'sandbox-client'
export const DEFAULT_CLIENT_SECRET = 'sandbox-secret-195900-local-only'
/** athena's shared preview practice ("athenahealth MDP Sandbox"), M in the reference. */
export const DEFAULT_PRACTICE_ID = 195900

export interface QuotaHeaderNames {
  /** Daily API limit (API calls) or per-minute token limit (token endpoint). */
  limit: string
  remaining: string
  /** Unix epoch seconds at which the counter resets (S17's unverified description). */
  reset: string
}

export interface SandboxClient {
  clientId: string
  clientSecret: string
}

export interface AthenaSandboxOptions {
  /** Default 127.0.0.1: the sandbox serves synthetic data but should still not be exposed. */
  host?: string
  /** 0 = OS-assigned (default). */
  port?: number
  clientId?: string
  clientSecret?: string
  /** More credentials (e.g. to show that changed-feed subscriptions are per client id, H). */
  extraClients?: SandboxClient[]
  practiceId?: number
  /** Practices that "exist" but are not granted to the key → 401 "Incorrect permissions." (H). */
  ungrantedPracticeIds?: number[]
  /** Seed of the deterministic synthetic data (same seed + same clock start → same data). */
  seed?: number | string
  /** Seeded patients; default 500, tested up to 10,000+ for benchmarks. */
  patientCount?: number
  /**
   * Per-client API requests per second (token bucket, burst = one second's worth). L/U: athena does
   * not publish it. Default 5 = eleanorhealth/go-athenahealth's preview default (S13, legacy
   * gateway) and the bottom of api-evangelist's unverified "5-20/s" preview range (S17); S15 (2026)
   * uses 15 for non-production. 0 disables the limit.
   */
  qps?: number
  /**
   * Per-client API calls per UTC day (resets at midnight GMT, H). The figure itself is U: nobody
   * publishes a preview number (S17's unverified production figure is 500,000); 50,000 is a guess.
   * 0 disables the quota.
   */
  dailyQuota?: number
  /** H: 1 hour. */
  tokenLifetimeSeconds?: number
  /** H: 5/min in preview (50 in production); the excess gets 429 until the minute ends. */
  tokenRequestsPerMinute?: number
  /** U: current platform is Apigee → 429 (default); legacy Mashery answered 403 `<h1>Developer Over Qps</h1>`. */
  throttleStatus?: 429 | 403
  /** U: athena does not document Retry-After; default off so clients cannot come to depend on it. */
  retryAfter?: boolean
  /** U: the real header names are not recoverable; defaults follow S17's unverified guess. */
  quotaHeaders?: Partial<QuotaHeaderNames>
  /** M for the request header clients send; the response header name is U. */
  requestIdHeader?: string
  /** M: `expires_in` sometimes arrives as a string; set true to make clients prove they cope. */
  tokenExpiresInAsString?: boolean
  /** U: whether SMART v2 scope syntax (`system/Patient.rs`) is accepted alongside v1 `.read`. */
  acceptFhirV2Scopes?: boolean
  /** H: subscriptions take 5 min (prod) / 10–15 min (preview) to apply; default 0 for local use. */
  subscriptionActivationDelaySeconds?: number
  /** U: how long processed changed-feed messages stay replayable. */
  feedRetentionHours?: number
  /** U: patient changed-feed event names are not public. */
  patientFeedEvents?: string[]
  /**
   * U beyond "may return an existing matching patient id" (M, S24b): 'name-dob' returns the existing
   * id for the same first+last name and DOB (case-insensitive); 'off' always creates.
   */
  patientMatching?: 'name-dob' | 'off'
  /** U: GET /patients name matching. 'exact' (case-insensitive, default) or 'prefix'. */
  patientNameMatch?: 'exact' | 'prefix'
  /** U: "practice settings may add more" required fields to POST /patients. */
  extraRequiredPatientFields?: string[]
  /** L: /patients/bestmatch reportedly needs a phone, zip, email or ssn besides name + DOB. */
  bestMatchRequiresContactField?: boolean
  /**
   * H doc text says "one is required or nothing comes back" for reasonid/appointmenttypeid on
   * GET /appointments/open; 'empty' answers 200 with no slots (default), 'error' answers 400.
   */
  openSlotsWithoutReasonOrType?: 'empty' | 'error'
  /** M/L: GET /appointments/booked needs a departmentid or a providerid. */
  bookedRequiresDepartmentOrProvider?: boolean
  /** U (believed from doc text): booking needs a reasonid or an appointmenttypeid. */
  bookRequiresReasonOrType?: boolean
  /** H: practice min-hours-ahead for open slots unless bypassscheduletimechecks (default 24). */
  scheduleMinHours?: number
  /** H: practice max-days-out for open slots unless bypassscheduletimechecks (default 90). */
  scheduleMaxDays?: number
  /** U: whether cancelling with a "slot available" reason creates a fresh open slot. */
  reopenSlotOnCancel?: boolean
  /** U: body of PUT /appointments/{id}/cancel ('status' = `{"status":"x"}`). */
  cancelResponse?: 'status' | 'success' | 'appointment'
  /** Attribution of API writes; default `API-<n>` derived from the client id (M shape). */
  apiUsername?: string
  /** Request bodies above this are refused with 413 (athena's own limit is U). */
  maxBodyBytes?: number
  /** FHIR: accept create/update of clinical resources like a generic R4 server (athena refuses them, H). */
  fhirWrites?: boolean
  /** FHIR: page size without `_count` (U) and the largest `_count` honoured (U; a production client uses 1000). */
  fhirDefaultCount?: number
  fhirMaxCount?: number
  /** FHIR: unsupported search parameters are ignored (default) or answered with 400 (U). */
  fhirUnknownParams?: 'error' | 'ignore'
  /** FHIR: `ah-practice` required on every search (M; default true). */
  fhirRequirePracticeParam?: boolean
  /** FHIR push: a delivery must be answered 2xx within this (H: 2 s). */
  fhirPushTimeoutMs?: number
  /** FHIR push: failed deliveries are retried for this long, then dead-lettered (H: 1 h; tests compress it). */
  fhirRetryWindowMs?: number
  /** FHIR push: first retry gap, doubling (U). */
  fhirRetryBaseMs?: number
  /** FHIR push: only public HTTPS on 443 as endpoint (H for athena; off for local use). */
  fhirPushRequireHttps?: boolean
  /** U: a second subscription to the same topic is allowed (overlapping renewal) or refused with 409. */
  fhirOneSubscriptionPerTopic?: 'allow-overlap' | 'reject'
  /**
   * M: list envelopes carry `totalcount` as a number, sometimes as a string (S14); whether every
   * endpoint and the changed feeds always send it is U. 'absent' leaves it out of paged lists and
   * feeds, so clients prove they cope without it.
   */
  listTotalcount?: 'number' | 'string' | 'absent'
  /** private_key_jwt clients: client id and public JWKS (keys registered with athena, H for the method). */
  jwtClients?: Array<{ clientId: string; jwks: { keys: Array<Record<string, unknown>> } }>
  clock?: Clock
  logger?: Logger
}

export interface SandboxConfig {
  host: string
  port: number
  clients: SandboxClient[]
  practiceId: number
  ungrantedPracticeIds: number[]
  seed: number | string
  patientCount: number
  qps: number
  dailyQuota: number
  tokenLifetimeSeconds: number
  tokenRequestsPerMinute: number
  throttleStatus: 429 | 403
  retryAfter: boolean
  quotaHeaders: QuotaHeaderNames
  requestIdHeader: string
  tokenExpiresInAsString: boolean
  acceptFhirV2Scopes: boolean
  subscriptionActivationDelaySeconds: number
  feedRetentionHours: number
  patientFeedEvents: string[]
  patientMatching: 'name-dob' | 'off'
  patientNameMatch: 'exact' | 'prefix'
  extraRequiredPatientFields: string[]
  bestMatchRequiresContactField: boolean
  openSlotsWithoutReasonOrType: 'empty' | 'error'
  bookedRequiresDepartmentOrProvider: boolean
  bookRequiresReasonOrType: boolean
  scheduleMinHours: number
  scheduleMaxDays: number
  reopenSlotOnCancel: boolean
  cancelResponse: 'status' | 'success' | 'appointment'
  apiUsername: string | undefined
  maxBodyBytes: number
  fhirWrites: boolean
  fhirDefaultCount: number
  fhirMaxCount: number
  fhirUnknownParams: 'error' | 'ignore'
  fhirRequirePracticeParam: boolean
  fhirPushTimeoutMs: number
  fhirRetryWindowMs: number
  fhirRetryBaseMs: number
  fhirPushRequireHttps: boolean
  fhirOneSubscriptionPerTopic: 'allow-overlap' | 'reject'
  listTotalcount: 'number' | 'string' | 'absent'
  jwtClients: Array<{ clientId: string; jwks: { keys: Array<Record<string, unknown>> } }>
  clock: Clock
  logger: Logger
}

export const DEFAULT_QUOTA_HEADERS: QuotaHeaderNames = {
  limit: 'X-RateLimit-Limit',
  remaining: 'X-RateLimit-Remaining',
  reset: 'X-RateLimit-Reset',
}

export const PREVIEW_DEFAULTS = {
  qps: 5,
  dailyQuota: 50_000,
  tokenLifetimeSeconds: 3600,
  tokenRequestsPerMinute: 5,
} as const

export function resolveConfig(o: AthenaSandboxOptions = {}): SandboxConfig {
  const main: SandboxClient = {
    clientId: o.clientId ?? DEFAULT_CLIENT_ID,
    clientSecret: o.clientSecret ?? DEFAULT_CLIENT_SECRET,
  }
  return {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 0,
    clients: [main, ...(o.extraClients ?? [])],
    practiceId: o.practiceId ?? DEFAULT_PRACTICE_ID,
    ungrantedPracticeIds: o.ungrantedPracticeIds ?? [1128700],
    seed: o.seed ?? 195900,
    patientCount: Math.max(0, Math.floor(o.patientCount ?? 500)),
    qps: o.qps ?? PREVIEW_DEFAULTS.qps,
    dailyQuota: o.dailyQuota ?? PREVIEW_DEFAULTS.dailyQuota,
    tokenLifetimeSeconds: o.tokenLifetimeSeconds ?? PREVIEW_DEFAULTS.tokenLifetimeSeconds,
    tokenRequestsPerMinute: o.tokenRequestsPerMinute ?? PREVIEW_DEFAULTS.tokenRequestsPerMinute,
    throttleStatus: o.throttleStatus ?? 429,
    retryAfter: o.retryAfter ?? false,
    quotaHeaders: { ...DEFAULT_QUOTA_HEADERS, ...o.quotaHeaders },
    requestIdHeader: o.requestIdHeader ?? 'X-Request-Id',
    tokenExpiresInAsString: o.tokenExpiresInAsString ?? false,
    acceptFhirV2Scopes: o.acceptFhirV2Scopes ?? true,
    subscriptionActivationDelaySeconds: o.subscriptionActivationDelaySeconds ?? 0,
    feedRetentionHours: o.feedRetentionHours ?? 72,
    patientFeedEvents: o.patientFeedEvents ?? ['AddPatient', 'UpdatePatient', 'DeletePatient', 'MergePatient'],
    patientMatching: o.patientMatching ?? 'name-dob',
    patientNameMatch: o.patientNameMatch ?? 'exact',
    extraRequiredPatientFields: o.extraRequiredPatientFields ?? [],
    bestMatchRequiresContactField: o.bestMatchRequiresContactField ?? true,
    openSlotsWithoutReasonOrType: o.openSlotsWithoutReasonOrType ?? 'empty',
    bookedRequiresDepartmentOrProvider: o.bookedRequiresDepartmentOrProvider ?? true,
    bookRequiresReasonOrType: o.bookRequiresReasonOrType ?? true,
    scheduleMinHours: o.scheduleMinHours ?? 24,
    scheduleMaxDays: o.scheduleMaxDays ?? 90,
    reopenSlotOnCancel: o.reopenSlotOnCancel ?? false,
    cancelResponse: o.cancelResponse ?? 'status',
    apiUsername: o.apiUsername,
    maxBodyBytes: o.maxBodyBytes ?? 25 * 1024 * 1024,
    fhirWrites: o.fhirWrites ?? false,
    fhirDefaultCount: o.fhirDefaultCount ?? 100,
    fhirMaxCount: o.fhirMaxCount ?? 1000,
    fhirUnknownParams: o.fhirUnknownParams ?? 'ignore',
    fhirRequirePracticeParam: o.fhirRequirePracticeParam ?? true,
    fhirPushTimeoutMs: o.fhirPushTimeoutMs ?? 2000,
    fhirRetryWindowMs: o.fhirRetryWindowMs ?? 3_600_000,
    fhirRetryBaseMs: o.fhirRetryBaseMs ?? 30_000,
    fhirPushRequireHttps: o.fhirPushRequireHttps ?? false,
    fhirOneSubscriptionPerTopic: o.fhirOneSubscriptionPerTopic ?? 'allow-overlap',
    listTotalcount: o.listTotalcount ?? 'number',
    jwtClients: o.jwtClients ?? [],
    clock: o.clock ?? systemClock,
    logger: o.logger ?? silentLogger,
  }
}
