/**
 * Configuration schemas: practices, connections and HL7 interfaces. Used by the API contract,
 * by configuration export/import (docs/CONFIG.md) and by the engine. Secrets are never part of
 * configuration: a connection only says which secrets it needs; the values live in the keychain.
 */
import { z } from 'zod'
import { folderLocationConfigSchema, ftpsLocationConfigSchema, matcherSettingsSchema, reconciliationPolicySchema, sftpLocationConfigSchema } from './files'
import { appointmentBatchSettingsSchema } from './appointment-batch'
import { claimSettingsSchema } from './billing'

export const slugSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'use lowercase letters, digits and hyphens (e.g. "downtown-health")')

export const ENVIRONMENTS = ['sandbox', 'preview', 'production'] as const
export const environmentSchema = z.enum(ENVIRONMENTS)

export const timeZoneSchema = z
  .string()
  .min(1)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz })
      return true
    } catch {
      return false
    }
  }, 'not a known IANA time zone (e.g. "America/New_York")')

export const UNKNOWN_PATIENT_RULES = ['create', 'hold', 'match'] as const

const retentionDaysSchema = z.number().int().min(1).max(36_500).nullable()

/** How long one connector's data is kept, overriding the practice's values (absent = the practice's). */
export const retentionOverrideSchema = z.object({
  transactionsDays: retentionDaysSchema.optional(),
  rawPayloadDays: retentionDaysSchema.optional(),
  logsDays: retentionDaysSchema.optional(),
})

export const MIN_AUDIT_RETENTION_YEARS = 6

/**
 * Retention (docs/CONFIG.md, "Retention"): days after receipt; null keeps forever. Raw payloads
 * go first (their metadata and hash stay), whole transactions later; only finished ones
 * (done, filtered, discarded) are ever pruned. The audit trail is never pruned: `auditYears` is
 * the period it must be kept, refused below six (HIPAA's documentation retention).
 */
export const retentionSchema = z
  .object({
    transactionsDays: retentionDaysSchema.default(null),
    rawPayloadDays: retentionDaysSchema.default(null),
    logsDays: retentionDaysSchema.default(null),
    auditYears: z
      .number()
      .int()
      .min(MIN_AUDIT_RETENTION_YEARS, `the audit trail is kept at least ${MIN_AUDIT_RETENTION_YEARS} years`)
      .max(100)
      .default(MIN_AUDIT_RETENTION_YEARS),
    connectors: z.record(z.string().min(1), retentionOverrideSchema).default({}),
  })
  .superRefine((r, ctx) => {
    const check = (raw: number | null | undefined, tx: number | null | undefined, path: (string | number)[]): void => {
      if (raw != null && tx != null && raw > tx) ctx.addIssue({ code: 'custom', path, message: 'raw payloads cannot be kept longer than their transactions' })
    }
    check(r.rawPayloadDays, r.transactionsDays, ['rawPayloadDays'])
    for (const [c, o] of Object.entries(r.connectors)) {
      check(o.rawPayloadDays === undefined ? r.rawPayloadDays : o.rawPayloadDays, o.transactionsDays === undefined ? r.transactionsDays : o.transactionsDays, ['connectors', c, 'rawPayloadDays'])
    }
  })
export type Retention = z.output<typeof retentionSchema>

export const practiceSettingsSchema = z.object({
  /** What an inbound message for a patient we do not know does: create it, hold it in the error queue, or match by MRN / name + DOB (and hold when no match). */
  unknownPatientRule: z.enum(UNKNOWN_PATIENT_RULES).default('create'),
  /** Default country for phone numbers without a country code. */
  phoneCountry: z.string().length(2).default('US'),
  /**
   * Inbound HL7 messages are received, acknowledged (commit mode) and stored, but not processed:
   * they wait in order until this is off again (e.g. while a mapping is being fixed). Absent = off.
   */
  hl7ProcessingPaused: z.boolean().optional(),
  /** Demographics file imports: who owns each patient field (docs/CONFIG.md "Reconciliation policy"). Absent = the defaults. */
  fileReconciliation: reconciliationPolicySchema.optional(),
  /** The patient matcher's weights and grade thresholds (docs/CONFIG.md "Matcher"). Absent = the defaults. */
  matcher: matcherSettingsSchema.optional(),
  /** 837P claim files: submitter/receiver ids, billing provider NPI/TIN, payer ids (docs/CONFIG.md "Claim settings"). Absent = claims are refused until set. */
  claims: claimSettingsSchema.optional(),
  /** Nightly appointment batches: id system, field owners, double-booking (docs/CONFIG.md "Appointment batches"). Absent = defaults. */
  appointmentBatch: appointmentBatchSettingsSchema.optional(),
  /** How long transactions, raw payloads and logs are kept; absent = everything kept. */
  retention: retentionSchema.optional(),
})
export type PracticeSettings = z.infer<typeof practiceSettingsSchema>

export const practiceConfigSchema = z.object({
  id: slugSchema,
  name: z.string().trim().min(1).max(200),
  athenaPracticeId: z
    .string()
    .regex(/^\d{1,10}$/, 'athenaNet practice ids are numeric')
    .nullable()
    .default(null),
  environment: environmentSchema.default('preview'),
  timeZone: timeZoneSchema.default('America/New_York'),
  settings: practiceSettingsSchema.default({ unknownPatientRule: 'create', phoneCountry: 'US' }),
})
export type PracticeConfig = z.infer<typeof practiceConfigSchema>

// ---- connections -----------------------------------------------------------------------------

export const athenaConnectionConfigSchema = z.object({
  environment: environmentSchema,
  /** Overrides the environment's host (used for the local sandbox and for tests). */
  baseUrl: z.url().nullable().default(null),
  /** athenaNet client id: not a secret, but entered with the secret on the Connections page. */
  clientId: z.string().max(200).nullable().default(null),
  /** Extra OAuth scopes (FHIR `system/*.read`), added to `athena/service/Athenanet.MDP.*`. */
  fhirScopes: z.array(z.string()).default([]),
  /** Requests per second allowed by our client-side limiter (athena's real quota is not public). */
  qps: z.number().positive().max(1000).default(5),
  dailyQuota: z.number().int().positive().default(50_000),
  tokenRequestsPerMinute: z.number().int().positive().default(5),
  timeoutMs: z.number().int().positive().default(30_000),
  maxRetries: z.number().int().min(0).max(10).default(4),
  /** Requests the client may send at once above `qps` (token-bucket capacity). 1 = evenly paced. */
  burst: z.number().int().positive().max(1000).default(1),
  /** Full-jitter backoff: sleep = random(0, min(cap, base * 2^attempt)). */
  backoffBaseMs: z.number().int().positive().default(500),
  backoffCapMs: z.number().int().positive().default(30_000),
  /** Longest a single call may take with all its retries. */
  maxCallMs: z.number().int().positive().default(120_000),
  /** A Retry-After longer than this is not waited out: the call fails (rate_limited) and the wait is shown. */
  maxRetryAfterMs: z.number().int().positive().default(120_000),
  /** Retry budget: retries may add at most this fraction of first attempts (plus `retryBudgetMin` in reserve). */
  retryBudgetRatio: z.number().min(0).max(1).default(0.1),
  retryBudgetMin: z.number().int().min(0).default(20),
  /** Circuit breaker per practice: consecutive failures (5xx, network, timeout) that open it, and how long it stays open. */
  circuitFailureThreshold: z.number().int().positive().default(5),
  circuitOpenMs: z.number().int().positive().default(30_000),
  /** Token refresh this long before expiry; null = max(60 s, 10 % of the lifetime). */
  tokenRefreshMarginSeconds: z.number().int().min(0).nullable().default(null),
  /** U: over-limit answers besides 429. Legacy Mashery sent 403 "<h1>Developer Over Qps</h1>". */
  legacyOverQps403: z.boolean().default(true),
  /** U: athena's quota header names are not public; these follow an unverified third-party guess. */
  quotaHeaders: z
    .object({ limit: z.string().min(1).default('X-RateLimit-Limit'), remaining: z.string().min(1).default('X-RateLimit-Remaining'), reset: z.string().min(1).default('X-RateLimit-Reset') })
    .default({ limit: 'X-RateLimit-Limit', remaining: 'X-RateLimit-Remaining', reset: 'X-RateLimit-Reset' }),
  /** M: the request-id header clients send (athena recommends one per call for support tracing). */
  requestIdHeader: z.string().min(1).default('X-Request-Id'),
  /** Records per page for list and feed reads (athena: default 1500, max 5000; open slots max 10000). */
  pageSize: z.number().int().positive().max(10_000).default(1000),
  /** Departments read in parallel during a full sync (each still persists a page before reading its next). */
  syncConcurrency: z.number().int().min(1).max(16).default(2),
  /** Departments to sync; empty = every department of the practice. */
  departmentIds: z.array(z.string().regex(/^\d+$/)).default([]),
  /** Booked-appointment window of a full appointment sync, in days around today. */
  appointmentWindowPastDays: z.number().int().min(0).max(3650).default(30),
  appointmentWindowFutureDays: z.number().int().min(0).max(3650).default(90),
  /** Incremental (changed-feed) sync every N seconds; 0 = only when asked. */
  syncIntervalSeconds: z.number().int().min(0).default(0),
  /** U: how far back a replay of the changed feeds reaches when asked (athena's retention is not public). */
  feedReplayMinutes: z.number().int().positive().max(7 * 24 * 60).default(60),
  /** Read the changed feeds without consuming them (athena: "for testing purposes"). */
  feedLeaveUnprocessed: z.boolean().default(false),
  /**
   * Push Practice Studio's own appointment changes to athenaNet: a new appointment is booked into
   * the matching open slot, a cancellation cancels, a new start time reschedules into the matching
   * slot. Off by default: athenaNet is usually the scheduling system of record. Changes that came
   * from athenaNet or from any inbound interface are never pushed back.
   */
  pushAppointmentChanges: z.boolean().default(false),
  /** Keep API log entries this many days, and at most this many rows. */
  apiLogRetentionDays: z.number().int().positive().default(30),
  apiLogMaxRows: z.number().int().positive().default(200_000),
})
export type AthenaConnectionConfig = z.infer<typeof athenaConnectionConfigSchema>

/** A POSIX or Windows absolute path (TLS files are named by full path; the engine also requires a folder it allows). */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\')
}
const tlsPathSchema = z.string().refine(isAbsolutePath, 'give the absolute path of a file in the data folder\'s tls/ folder (or PS_TLS_DIR)').nullable().default(null)

export const tlsConfigSchema = z.object({
  enabled: z.boolean().default(false),
  certFile: tlsPathSchema,
  keyFile: tlsPathSchema,
  caFile: tlsPathSchema,
  /** Require and verify a client certificate (mutual TLS). */
  requestClientCert: z.boolean().default(false),
  /** Mutual TLS pinning: SHA-256 fingerprints (hex, colons optional) of the only client certificates accepted; empty = any signed by `caFile`. */
  clientCertFingerprints: z.array(z.string().regex(/^[0-9A-Fa-f:]{64,95}$/, 'a SHA-256 fingerprint in hex')).default([]),
})

export const ACK_MODES = ['commit', 'application'] as const

export const hl7FilterRuleSchema = z.object({
  name: z.string().min(1),
  action: z.enum(['accept', 'reject']),
  messageTypes: z.array(z.string()).default([]), // e.g. ['ADT', 'SIU^S12']
  sendingFacilities: z.array(z.string()).default([]),
  processingIds: z.array(z.enum(['P', 'T', 'D'])).default([]),
  /** Field conditions, all must hold: { path: 'PV1-2', op: 'equals'|'not_equals'|'in'|'empty'|'not_empty'|'matches', value? } */
  conditions: z
    .array(
      z.object({
        path: z.string().min(1),
        op: z.enum(['equals', 'not_equals', 'in', 'empty', 'not_empty', 'matches']),
        value: z.union([z.string(), z.array(z.string())]).optional(),
      }),
    )
    .default([]),
})
export type Hl7FilterRule = z.infer<typeof hl7FilterRuleSchema>

export const hl7InboundConfigSchema = z.object({
  host: z.string().default('127.0.0.1'),
  /** 0 = OS-assigned (printed at start). */
  port: z.number().int().min(0).max(65535),
  tls: tlsConfigSchema.default({ enabled: false, certFile: null, keyFile: null, caFile: null, requestClientCert: false, clientCertFingerprints: [] }),
  /** Peer IP addresses allowed to connect; empty = any (only sensible on loopback or inside a VPN). */
  allowedPeers: z.array(z.string()).default([]),
  maxFrameBytes: z.number().int().positive().default(16 * 1024 * 1024),
  idleTimeoutSeconds: z.number().int().min(0).default(600),
  maxConnections: z.number().int().positive().default(32),
  /** Sockets one source address may hold at once (TLS handshakes included). */
  maxConnectionsPerPeer: z.number().int().positive().default(8),
  /** Of maxConnections, slots only known senders may take: `trustedPeers`, or addresses that delivered an accepted message since the listener started. Absent = a quarter of maxConnections. */
  reservedConnections: z.number().int().min(0).optional(),
  /** IPs or CIDR ranges of the expected senders: they may always use the reserved slots. */
  trustedPeers: z.array(z.string()).default([]),
  /** Once a frame's start byte arrived, the frame must end within this (slow senders, slowloris); 0 = no limit. */
  frameTimeoutSeconds: z.number().int().min(0).default(60),
  /** Refused input (frames answered AR/CR, bytes outside frames) one address may send per minute; beyond it nothing more is stored and its connections are refused until the budget refills. 0 = no limit. */
  refusedFramesPerMinute: z.number().int().min(0).default(120),
  refusedBytesPerMinute: z.number().int().min(0).default(4 * 1024 * 1024),
  /** commit: ACK AA/CA once the message is durably stored (store-and-forward). application: ACK after processing, reflecting its outcome. */
  ackMode: z.enum(ACK_MODES).default('commit'),
  /** Message types this interface accepts (MSH-9.1 or MSH-9.1^MSH-9.2); anything else gets AR. Empty = all supported. */
  messageTypes: z.array(z.string()).default([]),
  filters: z.array(hl7FilterRuleSchema).default([]),
  /** Character set of messages whose MSH-18 is empty (HL7 table 0211 name). */
  defaultCharset: z.string().min(1).default('UNICODE UTF-8'),
  /**
   * Enhanced-mode messages (MSH-15/16 set): `msh-15` sends the accept ACK only when MSH-15 asks for
   * it (AL; ER on errors, SU on success; never NE), as HL7 specifies; `always` answers every
   * message, for senders that say NE but still wait for a reply on the MLLP connection.
   */
  acceptAcks: z.enum(['msh-15', 'always']).default('msh-15'),
  /**
   * Plaintext (no TLS) on an address other than loopback carries PHI in the clear: allowed only
   * when set, as the operator's statement that the network is private (a VPN or a closed LAN),
   * and with `allowedPeers` naming who may connect.
   */
  plaintextOnPrivateNetwork: z.boolean().default(false),
  /**
   * A well-formed message of a type this interface does not process (not one the engine handles,
   * or outside `messageTypes`): `ignore` answers AA and stores it as `filtered` ("type not processed
   * by this interface"), visible and searchable, never in the error queue; `reject` answers AR and
   * stores it in the error queue. New interfaces ignore; interfaces that existed before migration
   * 0110 were set to `reject`, what they did until then (docs/CONFIG.md).
   */
  unsupportedTypes: z.enum(['ignore', 'reject']).default('ignore'),
  /**
   * ADT merges (A40, A34, A18): `merge` moves the prior patient's appointments, results, charges and
   * documents to the surviving patient (both records kept, undoable); `link` only records the pair
   * for review (the duplicate-patient worklist). Either way the pair is a `patient_links` row.
   */
  mergeAction: z.enum(['merge', 'link']).default('merge'),
  /**
   * How a frame holding several messages (FHS/BHS … BTS/FTS, or MSH after MSH) is answered: `batch`
   * sends one frame (a batch ACK under BHS … BTS for a BHS/FHS batch, else the ACKs back to back);
   * `per-message` sends each member's ACK in an MLLP frame of its own, in the members' order, for
   * senders that wait for one ACK frame per message they sent.
   */
  batchAcks: z.enum(['batch', 'per-message']).default('batch'),
})
export type Hl7InboundConfig = z.infer<typeof hl7InboundConfigSchema>

/** 127.0.0.0/8, ::1, localhost: addresses no other machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '')
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
}

function isIpv4(a: string): boolean {
  const parts = a.split('.')
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)
}

function isIpv6(a: string): boolean {
  if (!/^[0-9a-f:.]+$/i.test(a) || a.split('::').length > 2) return false
  let groups = a.split(':')
  const last = groups[groups.length - 1] ?? ''
  let width = 0
  if (last.includes('.')) {
    if (!isIpv4(last)) return false
    groups = groups.slice(0, -1)
    width = 2
  }
  const filled = groups.filter((g) => g !== '')
  if (!filled.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return false
  const total = filled.length + width
  return a.includes('::') ? total <= 7 : total === 8
}

/** An IPv4 or IPv6 address, optionally with a CIDR prefix length (what `allowedPeers` takes). */
export function isIpOrCidr(entry: string): boolean {
  const [addr = '', bits, extra] = entry.trim().split('/')
  if (extra !== undefined) return false
  const v4 = isIpv4(addr)
  if (!v4 && !isIpv6(addr)) return false
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (v4 ? 32 : 128))
}

/** Why a listener's settings would put PHI on the network in the clear (empty: they do not). */
export function plaintextListenerProblems(c: Pick<Hl7InboundConfig, 'host' | 'tls' | 'allowedPeers' | 'plaintextOnPrivateNetwork'>): { path: string; message: string }[] {
  if (c.tls.enabled || isLoopbackHost(c.host)) return []
  const problems: { path: string; message: string }[] = []
  if (!c.plaintextOnPrivateNetwork) problems.push({ path: 'plaintextOnPrivateNetwork', message: `listening on ${c.host} without TLS: turn TLS on, or confirm the network is private (VPN or closed LAN)` })
  if (c.allowedPeers.length === 0) problems.push({ path: 'allowedPeers', message: `listening on ${c.host} without TLS needs the peer addresses allowed to connect` })
  return problems
}

/** Slots kept for known senders: as configured, else a quarter of maxConnections. */
export function reservedSlots(c: Pick<Hl7InboundConfig, 'maxConnections' | 'reservedConnections'>): number {
  return c.reservedConnections ?? Math.floor(c.maxConnections / 4)
}

/** Beyond loopback, who may connect must be said: an allow-list, or mutual TLS (client certificates). */
export function listenerExposureProblems(
  c: Pick<Hl7InboundConfig, 'host' | 'tls' | 'allowedPeers' | 'plaintextOnPrivateNetwork' | 'maxConnections' | 'reservedConnections'>,
): { path: string; message: string }[] {
  const problems = plaintextListenerProblems(c)
  const mutual = c.tls.requestClientCert || c.tls.clientCertFingerprints.length > 0
  if (c.tls.enabled && !isLoopbackHost(c.host) && !mutual && c.allowedPeers.length === 0) {
    problems.push({ path: 'allowedPeers', message: `listening on ${c.host} needs the peer addresses allowed to connect, or client certificates (tls.requestClientCert)` })
  }
  if (c.reservedConnections !== undefined && c.reservedConnections >= c.maxConnections) problems.push({ path: 'reservedConnections', message: `must be less than maxConnections (${c.maxConnections})` })
  return problems
}

export const hl7OutboundConfigSchema = z.object({
  host: z.string(),
  port: z.number().int().min(1).max(65535),
  tls: tlsConfigSchema.default({ enabled: false, certFile: null, keyFile: null, caFile: null, requestClientCert: false, clientCertFingerprints: [] }),
  connectTimeoutMs: z.number().int().positive().default(10_000),
  responseTimeoutMs: z.number().int().positive().default(30_000),
  maxAttempts: z.number().int().positive().default(10),
  backoffBaseMs: z.number().int().positive().default(1_000),
  backoffCapMs: z.number().int().positive().default(5 * 60_000),
  /** Message types generated for this destination, e.g. ['SIU^S12','SIU^S14','SIU^S15']. */
  messageTypes: z.array(z.string()).default(['SIU^S12', 'SIU^S14', 'SIU^S15']),
  sendingApplication: z.string().default('PRACTICESTUDIO'),
  sendingFacility: z.string().default(''),
  receivingApplication: z.string().default(''),
  receivingFacility: z.string().default(''),
  version: z.string().default('2.5.1'),
  /** Also send changes that inbound transactions made (e.g. an SIU received from this peer); off by default so nothing echoes back. */
  includeInboundChanges: z.boolean().default(false),
  /** The connectivity test also sends a test message (MSH-11 = T) and checks the ACK; off = TCP/TLS connect only. */
  testRoundTrip: z.boolean().default(false),
})
export type Hl7OutboundConfig = z.infer<typeof hl7OutboundConfigSchema>

// ---- FHIR R4 (athena's FHIR API or any R4 server) ------------------------------------------------

/** Where a FHIR connection points: athena's platform bases (H), the local sandbox, or any R4 server. */
export const FHIR_PRESETS = ['sandbox', 'preview', 'production', 'custom'] as const
export const FHIR_JWT_ALGS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'] as const

export const DEFAULT_FHIR_SCOPES = [
  'athena/service/Athenanet.MDP.*',
  'system/Patient.read',
  'system/Encounter.read',
  'system/Observation.read',
  'system/DocumentReference.read',
  'system/Binary.read',
  'system/Appointment.read',
  'system/Practitioner.read',
  'system/Location.read',
  'system/Organization.read',
  'system/SubscriptionTopic.read',
  'system/Subscription.read',
  'system/Subscription.write',
]

export const fhirWebhookConfigSchema = z.object({
  /** Receive athena's event notifications on this practice's own listener. */
  enabled: z.boolean().default(false),
  host: z.string().default('127.0.0.1'),
  /** 0 = OS-assigned. */
  port: z.number().int().min(0).max(65535).default(0),
  /** HTTPS with an operator-supplied certificate; plain HTTP is allowed only on loopback (behind the practice's reverse proxy). */
  tls: tlsConfigSchema.default({ enabled: false, certFile: null, keyFile: null, caFile: null, requestClientCert: false, clientCertFingerprints: [] }),
  /** The public HTTPS URL athena posts to (H: public internet, port 443, CA-issued certificate); null = this listener's own URL (sandbox only). */
  publicUrl: z.url().nullable().default(null),
  /** Notifications larger than this are refused (413) before they are read further. */
  maxBodyBytes: z.number().int().positive().max(16 * 1024 * 1024).default(1024 * 1024),
  /** Topics to subscribe to (ids from GET {base}/SubscriptionTopic, e.g. "Patient.update"). */
  topics: z.array(z.string().regex(/^[A-Za-z]+\.[A-Za-z-]+$/, 'a topic id such as "Patient.update"')).default([]),
  /** U: athena's behaviour at `end` is not documented. Each subscription asks for this lifetime; 0 = no end. */
  lifetimeHours: z.number().min(0).max(24 * 365).default(24 * 7),
  /** Replace a subscription this long before its end (create the new one, overlap, delete the old). */
  renewBeforeMinutes: z.number().positive().default(60),
  /** Both subscriptions (and both secrets) stay live this long during a renewal. */
  overlapSeconds: z.number().int().min(0).default(60),
  /** How often the desired-state job compares the server's subscriptions with the wanted ones. */
  checkIntervalSeconds: z.number().int().min(1).default(300),
  /** H: the method prefix of X-Hub-Signature "may change"; only this one is accepted. */
  signaturePrefix: z.string().min(1).default('sha256='),
})
export type FhirWebhookConfig = z.infer<typeof fhirWebhookConfigSchema>

export const fhirConnectionConfigSchema = athenaConnectionConfigSchema
  .pick({
    clientId: true, qps: true, burst: true, dailyQuota: true, tokenRequestsPerMinute: true, timeoutMs: true, maxRetries: true, backoffBaseMs: true, backoffCapMs: true,
    maxCallMs: true, maxRetryAfterMs: true, retryBudgetRatio: true, retryBudgetMin: true, circuitFailureThreshold: true, circuitOpenMs: true,
    tokenRefreshMarginSeconds: true, requestIdHeader: true, apiLogRetentionDays: true, apiLogMaxRows: true,
  })
  .extend({
    preset: z.enum(FHIR_PRESETS).default('sandbox'),
    /** The FHIR base for `custom`, or an override of a preset's (tests, proxies). athena: `{host}/fhir/r4` (H). */
    baseUrl: z.url().nullable().default(null),
    /** null = `{host of the base}/oauth2/v1/token` (athena's, shared with athenaNet, H). */
    tokenUrl: z.url().nullable().default(null),
    /** client_secret_basic (HTTP Basic, the athenaNet way) or private_key_jwt (key in the keychain as `private_key`). */
    auth: z.enum(['client_secret_basic', 'private_key_jwt']).default('client_secret_basic'),
    /** U: which algorithm athena accepts for private_key_jwt is not published (Okta takes RS/ES 256–512). */
    jwtAlg: z.enum(FHIR_JWT_ALGS).default('RS384'),
    /** `kid` header of the client assertion (the key's id in the JWKS registered with the server). */
    jwtKid: z.string().max(200).nullable().default(null),
    /** One token can carry both scope sets (H); the MDP scope is needed for writes routed to /v1. */
    scopes: z.array(z.string().min(1)).default(DEFAULT_FHIR_SCOPES),
    /** Send `ah-practice` on every search (M: required by athena); off for other FHIR servers. */
    practiceContext: z.boolean().default(true),
    /** U: `Organization/a-1.Practice-N` (the official example) or `a-1.Practice-N` (a production client's form). */
    practiceParamForm: z.enum(['reference', 'id']).default('reference'),
    /** POST {Type}/_search with a form body keeps PHI out of URLs and logs (M); GET for servers without it. */
    searchVia: z.enum(['post', 'get']).default('post'),
    /** `_count` per page (U: athena's maximum; a production client uses 1000). */
    pageSize: z.number().int().positive().max(1000).default(100),
    /** Pause between pages of one search (a production athena client waits 1 s, M). */
    pageDelayMs: z.number().int().min(0).max(60_000).default(0),
    /** Inbound resources that fail validation: 'lenient' maps them and shows the issues (athena data is never rejected), 'strict' stops them. */
    inboundValidation: z.enum(['lenient', 'strict']).default('lenient'),
    webhook: fhirWebhookConfigSchema.default(fhirWebhookConfigSchema.parse({})),
    /** Reconciliation: targeted re-reads of the practice's known patients every N minutes (0 = only after a gap or when asked). */
    reconcileIntervalMinutes: z.number().int().min(0).default(60),
    /** H: athena retries a failed delivery for 1 h, so a receiver gap longer than this triggers a reconciliation. */
    reconcileAfterGapMinutes: z.number().int().min(1).default(60),
  })
export type FhirConnectionConfig = z.infer<typeof fhirConnectionConfigSchema>

export const CONNECTION_KINDS = ['athena-rest', 'hl7-inbound', 'hl7-outbound', 'fhir-r4', 'sftp', 'ftps', 'folder'] as const
export type ConnectionKind = (typeof CONNECTION_KINDS)[number]

/** Which secrets each kind of connection can hold (values never leave the keychain). */
export const CONNECTION_SECRETS: Record<ConnectionKind, readonly ('client_secret' | 'password' | 'private_key' | 'tls_key' | 'key_passphrase')[]> = {
  'athena-rest': ['client_secret'],
  'hl7-inbound': [],
  'hl7-outbound': [],
  'fhir-r4': ['client_secret', 'private_key'],
  sftp: ['password', 'private_key', 'key_passphrase'],
  ftps: ['password', 'tls_key'],
  folder: [],
}

export const connectionConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('athena-rest'), name: slugSchema, enabled: z.boolean().default(true), config: athenaConnectionConfigSchema }),
  z.object({
    kind: z.literal('hl7-inbound'),
    name: slugSchema,
    enabled: z.boolean().default(true),
    // Checked where settings come in (API, config files); a stored listener that breaks these refuses to start (listener-service.ts, mllp-listener.ts).
    config: hl7InboundConfigSchema.superRefine((c, ctx) => {
      for (const key of ['allowedPeers', 'trustedPeers'] as const) {
        c[key].forEach((e, i) => {
          if (!isIpOrCidr(e)) ctx.addIssue({ code: 'custom', path: [key, i], message: `"${e.slice(0, 60)}" is not an IP address or CIDR range` })
        })
      }
      for (const p of listenerExposureProblems(c)) ctx.addIssue({ code: 'custom', path: [p.path], message: p.message })
    }),
  }),
  z.object({ kind: z.literal('hl7-outbound'), name: slugSchema, enabled: z.boolean().default(true), config: hl7OutboundConfigSchema }),
  z.object({
    kind: z.literal('fhir-r4'),
    name: slugSchema,
    enabled: z.boolean().default(true),
    config: fhirConnectionConfigSchema.superRefine((c, ctx) => {
      if (c.preset === 'custom' && !c.baseUrl) ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: 'a custom FHIR server needs its base URL' })
      const w = c.webhook
      if (w.enabled && !w.tls.enabled && !isLoopbackHost(w.host)) ctx.addIssue({ code: 'custom', path: ['webhook', 'host'], message: `the webhook listener on ${w.host} needs TLS (plain HTTP only on loopback, behind the practice's reverse proxy)` })
      if (w.enabled && w.tls.enabled && (!w.tls.certFile || !w.tls.keyFile)) ctx.addIssue({ code: 'custom', path: ['webhook', 'tls'], message: 'HTTPS needs a certificate file and a key file' })
    }),
  }),
  z.object({ kind: z.literal('sftp'), name: slugSchema, enabled: z.boolean().default(true), config: sftpLocationConfigSchema }),
  z.object({ kind: z.literal('ftps'), name: slugSchema, enabled: z.boolean().default(true), config: ftpsLocationConfigSchema }),
  z.object({ kind: z.literal('folder'), name: slugSchema, enabled: z.boolean().default(true), config: folderLocationConfigSchema }),
])
export type ConnectionConfig = z.infer<typeof connectionConfigSchema>

// ---- engine-wide settings ---------------------------------------------------------------------

const absolutePathSchema = z.string().regex(/^(\/|[A-Za-z]:[\\/])/, 'an absolute path')
const hhmmSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM')

/**
 * Settings of the installation rather than of one practice (docs/CONFIG.md, "system"): where the
 * audit checkpoint is also exported, backups, and the pruner's off-peak window.
 */
export const systemSettingsSchema = z.object({
  auditExport: z
    .object({
      /** RFC 5424 syslog receiver that gets every new audit checkpoint and every failed verification. */
      syslog: z
        .object({
          host: z.string().min(1),
          port: z.number().int().min(1).max(65535).default(514),
          protocol: z.enum(['udp', 'tcp']).default('udp'),
          /** 13 = log audit (RFC 5424 table 1). */
          facility: z.number().int().min(0).max(23).default(13),
          appName: z.string().regex(/^[!-~]{1,48}$/, 'printable ASCII, no spaces, at most 48').default('practice-studio'),
        })
        .nullable()
        .default(null),
      /** A file (absolute path) that gets one JSON line per checkpoint and per failed verification. */
      file: absolutePathSchema.nullable().default(null),
    })
    .default({ syslog: null, file: null }),
  backups: z
    .object({
      /** Absolute folder; null = "backups" in the data folder (copy them elsewhere). */
      dir: absolutePathSchema.nullable().default(null),
      /** Cron expression (5 or 6 fields, local time), e.g. "0 2 * * *"; null = only on demand. */
      schedule: z.string().min(1).max(100).nullable().default(null),
      /** Backup files kept; older ones are deleted after a successful backup. */
      keep: z.number().int().min(1).max(1000).default(7),
    })
    .default({ dir: null, schedule: null, keep: 7 }),
  pruner: z
    .object({
      /** Off-peak window (local time of this machine) in which retention runs; start > end spans midnight. */
      windowStart: hhmmSchema.default('01:00'),
      windowEnd: hhmmSchema.default('05:00'),
      /** Most rows per batch (one short transaction each); batches are sized to take about `maxBatchMs`. */
      batchSize: z.number().int().min(10).max(10_000).default(500),
      /** Rest between batches (at least as long as the batch took), so acknowledgments and the inbox move run in between. */
      pauseMs: z.number().int().min(0).max(10_000).default(20),
      /** Target time of one batch (the next batch's size follows the last one's time), so the thread answering peers is held briefly. */
      maxBatchMs: z.number().int().min(1).max(1000).default(10),
    })
    .default({ windowStart: '01:00', windowEnd: '05:00', batchSize: 500, pauseMs: 20, maxBatchMs: 10 }),
})
export type SystemSettings = z.output<typeof systemSettingsSchema>
