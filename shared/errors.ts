/**
 * Errors cross every boundary (engine → transport → renderer) as data, never as thrown
 * objects: a stable machine `code`, a human `message` safe to show (no PHI, no secrets),
 * and whether retrying the same thing unchanged can succeed.
 */
import { z } from 'zod'

export const ERROR_CODES = [
  // contract / input
  'invalid_input',
  'not_found',
  'conflict',
  'unauthorized',
  'forbidden',
  'unknown_method',
  // access (electron/engine/access)
  'account_locked',
  'reauth_required',
  // storage
  'db_locked',
  'db_open_failed',
  'db_key_unavailable',
  'storage_full',
  // secrets / config
  'secret_store_unavailable',
  'config_invalid',
  // processing
  'parse_error',
  'unsupported_message',
  'filtered',
  'mapping_error',
  'validation_error',
  'code_map_miss',
  'unknown_patient',
  'duplicate',
  // transport / remote
  'timeout',
  'connection_refused',
  'connection_reset',
  'network_error',
  'tls_error',
  'rate_limited',
  'quota_exhausted',
  'circuit_open',
  'remote_error',
  'remote_rejected',
  'auth_failed',
  'ack_mismatch',
  'ack_error',
  'ack_reject',
  'frame_too_large',
  // file locations: a server identity (SSH host key, TLS certificate) not yet accepted, or not the pinned one
  'identity_unknown',
  'identity_changed',
  'file_too_large',
  // a transaction whose raw payload retention removed: nothing left to reprocess or edit
  'payload_pruned',
  // audit.acceptBreak while the audit trail verifies: there is nothing to accept
  'no_break',
  // everything else
  'internal',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export const appErrorSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  retryable: z.boolean(),
  details: z.unknown().optional(),
})

export interface AppErrorData {
  code: ErrorCode
  message: string
  retryable: boolean
  /** Structured extra information, e.g. `{ issues: [{ path, message }] }` for invalid_input. Never PHI. */
  details?: unknown
}

/** Codes that are transient by nature: the same request may succeed later without any edit. */
const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'db_locked',
  'timeout',
  'connection_refused',
  'connection_reset',
  'network_error',
  'rate_limited',
  'quota_exhausted',
  'circuit_open',
  'remote_error',
  'ack_error',
  'storage_full',
])

export function isRetryableCode(code: ErrorCode): boolean {
  return RETRYABLE_BY_DEFAULT.has(code)
}

/** The one error class thrown inside the engine; converted to AppErrorData at every boundary. */
export class AppError extends Error implements AppErrorData {
  readonly code: ErrorCode
  readonly retryable: boolean
  readonly details?: unknown

  constructor(code: ErrorCode, message: string, opts: { retryable?: boolean; details?: unknown; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'AppError'
    this.code = code
    this.retryable = opts.retryable ?? isRetryableCode(code)
    this.details = opts.details
  }

  toData(): AppErrorData {
    const d: AppErrorData = { code: this.code, message: this.message, retryable: this.retryable }
    if (this.details !== undefined) d.details = this.details
    return d
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError
}

/** Normalise anything thrown into error data. Unknown errors become `internal` with a generic message. */
export function toErrorData(e: unknown): AppErrorData {
  if (isAppError(e)) return e.toData()
  if (e && typeof e === 'object' && 'code' in e && 'message' in e && 'retryable' in e) {
    const parsed = appErrorSchema.safeParse(e)
    if (parsed.success) return parsed.data as AppErrorData
  }
  return { code: 'internal', message: 'Internal error', retryable: false }
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppErrorData }

export const ok = <T>(value: T): Result<T> => ({ ok: true, value })
export const fail = (error: AppErrorData): Result<never> => ({ ok: false, error })
