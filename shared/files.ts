/**
 * File exchange configuration: file locations (SFTP, FTPS, a local or mounted folder; stored as
 * connections), file jobs (inbound pickup and outbound drop), the demographics import's
 * reconciliation policy and the patient matcher's weights. Secrets (passwords, private keys and
 * their passphrases) are never here: they live in the keychain under the connection's id.
 * Pinned identities (an SSH host key's or a TLS certificate's SHA-256 fingerprint) are public
 * facts and are configuration.
 */
import { z } from 'zod'

/** A folder on a location: relative to where the login lands, '/'-separated, never climbing out. */
export const remoteFolderSchema = z
  .string()
  .max(400)
  .refine((p) => !p.split(/[\\/]/).some((part) => part === '..') && !/[\0\r\n]/.test(p), 'a folder may not contain ".." or control characters')

/** OpenSSH's fingerprint format: `SHA256:` + unpadded base64 of the host key's SHA-256. */
export const sshFingerprintSchema = z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'an OpenSSH SHA256 fingerprint, e.g. "SHA256:abc…" (ssh-keygen -lf)')
/** Node's `fingerprint256`: 32 colon-separated upper-case hex bytes. */
export const certFingerprintSchema = z.string().regex(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/, 'a SHA-256 certificate fingerprint, AA:BB:… (openssl x509 -fingerprint -sha256)')

const locationCommon = {
  /** Where the connectivity test writes, renames and deletes its probe file. */
  scratchFolder: remoteFolderSchema.default('.psc-probe'),
  connectTimeoutMs: z.number().int().positive().max(120_000).default(20_000),
}

export const sftpLocationConfigSchema = z.object({
  host: z.string().trim().min(1).max(253),
  port: z.number().int().min(1).max(65535).default(22),
  username: z.string().min(1).max(128),
  /** key: the private key (and its passphrase, if any) from the keychain; password: the password from the keychain. */
  auth: z.enum(['key', 'password']).default('key'),
  /**
   * The server's host key, pinned. null until the operator accepts the fingerprint the first
   * connection showed (files.trustIdentity); a server presenting any other key is refused.
   */
  hostKeySha256: sshFingerprintSchema.nullable().default(null),
  ...locationCommon,
})
export type SftpLocationConfig = z.infer<typeof sftpLocationConfigSchema>

export const ftpsLocationConfigSchema = z.object({
  host: z.string().trim().min(1).max(253),
  port: z.number().int().min(1).max(65535).default(21),
  username: z.string().min(1).max(128).default('anonymous'),
  /** explicit: AUTH TLS on the control port (usually 21); implicit: TLS from the first byte (usually 990). */
  tlsMode: z.enum(['explicit', 'implicit']).default('explicit'),
  /** The server certificate, pinned (accepted like an SSH host key). */
  certSha256: certFingerprintSchema.nullable().default(null),
  /**
   * A client certificate (PEM) for servers that require one (mutual TLS); its private key is the
   * connection's `tls_key` secret, in the keychain. null = no client certificate.
   */
  clientCertPem: z
    .string()
    .max(16_384)
    .refine((p) => /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/.test(p.trim()), 'a PEM certificate (-----BEGIN CERTIFICATE----- …)')
    .nullable()
    .default(null),
  ...locationCommon,
})
export type FtpsLocationConfig = z.infer<typeof ftpsLocationConfigSchema>

export const folderLocationConfigSchema = z.object({
  /** An absolute path on this machine (a local folder or a mounted share). */
  path: z.string().min(1).max(1000).refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\'), 'an absolute path'),
  ...locationCommon,
})
export type FolderLocationConfig = z.infer<typeof folderLocationConfigSchema>

export const FILE_LOCATION_KINDS = ['sftp', 'ftps', 'folder'] as const
export type FileLocationKind = (typeof FILE_LOCATION_KINDS)[number]

// ---- jobs ------------------------------------------------------------------------------------

export const FILE_FORMATS = ['csv', 'json', 'ndjson'] as const
export const FILE_ENCODINGS = ['auto', 'utf-8', 'windows-1252'] as const

export const fileFormatSchema = z.object({
  type: z.enum(FILE_FORMATS).default('csv'),
  delimiter: z.string().min(1).max(4).default(','),
  quote: z.string().length(1).default('"'),
  /** auto: UTF-8 (a BOM is dropped); bytes that are not UTF-8 are refused unless windows-1252 is chosen. */
  encoding: z.enum(FILE_ENCODINGS).default('auto'),
})
export type FileFormat = z.infer<typeof fileFormatSchema>

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM (24 h)')

export const fileJobConfigSchema = z.object({
  /** The location (an sftp / ftps / folder connection of the same practice). */
  connectionId: z.string().min(1),
  direction: z.enum(['inbound', 'outbound']),
  /** What the file holds; its processor is registered by kind (e.g. `demographics`). */
  kind: z.string().min(1).max(64),
  /** The folder picked up from or dropped into; processing/, processed/ and error/ live inside it. */
  folder: remoteFolderSchema.default(''),
  /** Glob patterns (`*`, `?`) on the file name; dot files and temporary names are always ignored. */
  include: z.array(z.string().min(1).max(200)).default(['*.csv']),
  exclude: z.array(z.string().min(1).max(200)).default([]),
  /** The mapping set (mapping studio key); null = the kind's default. */
  mappingKey: z.string().max(200).nullable().default(null),
  format: fileFormatSchema.default({ type: 'csv', delimiter: ',', quote: '"', encoding: 'auto' }),
  /** Outbound file name: {practice} {job} {kind} {date:FORMAT} {time:FORMAT} {seq} {seq:N} (luxon tokens, practice time zone). */
  naming: z.string().min(1).max(200).default('{practice}-{kind}-{date:yyyyMMdd}-{seq}.csv'),
  /** Cron (5 or 6 fields) in the practice's time zone; null = only "run now". */
  schedule: z.string().max(120).nullable().default(null),
  /** Non-urgent jobs keep to this window (practice time zone): a due run outside it waits for the window. */
  offPeak: z.object({ start: hhmm, end: hhmm }).nullable().default(null),
  urgent: z.boolean().default(false),
  /** Stable-file gate: a done marker (e.g. ".done": X.csv is taken once X.csv.done exists), else size and mtime unchanged across two listings this far apart and at least minAge old. */
  doneMarker: z.string().max(40).nullable().default(null),
  stableCheckMs: z.number().int().min(0).max(600_000).default(5_000),
  minAgeSeconds: z.number().int().min(0).max(86_400).default(30),
  maxFileBytes: z.number().int().positive().max(2 * 1024 * 1024 * 1024).default(200 * 1024 * 1024),
  /** Most files one run takes. */
  maxFilesPerRun: z.number().int().positive().max(10_000).default(50),
  /**
   * The dates an `appointments-export` run covers, in the practice's time zone: `days` days starting
   * `fromDays` from the run's day (0 = today, -1 = yesterday). Other kinds ignore it.
   */
  exportRange: z
    .object({
      fromDays: z.number().int().min(-366, 'at most 366 days back').max(366, 'at most 366 days ahead').default(0),
      days: z.number().int().min(1, 'at least one day').max(366, 'at most 366 days').default(14),
    })
    .default({ fromDays: 0, days: 14 }),
})
export type FileJobConfig = z.infer<typeof fileJobConfigSchema>

// ---- demographics reconciliation & matcher -----------------------------------------------------

/**
 * Who decides a field when the file and Practice Studio disagree:
 * source (the file owns it), studio (Practice Studio owns it: the file never changes it),
 * newest (the file's value wins when the source changed it since it last sent it; a value changed
 * only in Practice Studio is kept), review (the change is held for an operator).
 */
export const FIELD_POLICIES = ['source', 'studio', 'newest', 'review'] as const
export type FieldPolicy = (typeof FIELD_POLICIES)[number]

export const RECONCILED_FIELDS = [
  'first_name',
  'middle_name',
  'last_name',
  'date_of_birth',
  'gender',
  'address',
  'phone_home',
  'phone_mobile',
  'email',
  'insurance',
] as const
export type ReconciledField = (typeof RECONCILED_FIELDS)[number]

export const reconciliationPolicySchema = z.object({
  default: z.enum(FIELD_POLICIES).default('newest'),
  fields: z.partialRecord(z.enum(RECONCILED_FIELDS), z.enum(FIELD_POLICIES)).default({ date_of_birth: 'review', last_name: 'review' }),
})
export type ReconciliationPolicy = z.infer<typeof reconciliationPolicySchema>

export const MATCH_GRADES = ['certain', 'probable', 'possible'] as const
export type MatchGrade = (typeof MATCH_GRADES)[number]

/** Fellegi–Sunter m/u probabilities per comparison level, and the grade thresholds (log2 weight sums). */
export const matcherSettingsSchema = z.object({
  /** Override m (P(level | same person)) and u (P(level | different people)) per `field.level`, e.g. "dob.exact". */
  weights: z.record(z.string().max(60), z.object({ m: z.number().gt(0).lt(1), u: z.number().gt(0).lt(1) })).default({}),
  certainAt: z.number().default(28),
  probableAt: z.number().default(14),
  possibleAt: z.number().default(8),
})
export type MatcherSettings = z.infer<typeof matcherSettingsSchema>
