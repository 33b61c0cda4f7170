/**
 * Engine-wide limits, the same for every practice: how much inbound HL7 may sit in memory, how
 * large a WAL may stay, where TLS files may live, how much log is kept. Defaults here; an
 * installation overrides them with environment variables (docs/CONFIG.md, "Engine limits"), read
 * once at start by `npm run serve` and the desktop app. A bad value stops the start with its name.
 */
import { isAbsolute, resolve } from 'node:path'
import { AppError } from '../../../shared/errors'

export interface EngineSettings {
  /** Bytes of inbound HL7 held across all MLLP connections before reading pauses (connectors/hl7-engine/buffer-budget.ts). */
  hl7MaxBufferedBytes: number
  /** A WAL above this is checkpointed to zero when the database is idle, and cut back to it whenever it restarts (store/checkpointer.ts). */
  walLimitBytes: number
  /** A folder the operator keeps TLS files in, besides `<data folder>/tls` (absolute). */
  tlsDir: string | null
  /** One engine log file's size before it rotates, and how many files are kept (the total cap is their product). */
  logMaxBytes: number
  logFiles: number
  /** Minutes between full walks of the audit chain; the minute check in between reads only new entries (audit/audit-integrity.ts). */
  auditFullCheckMinutes: number
}

export const DEFAULT_ENGINE_SETTINGS: EngineSettings = {
  hl7MaxBufferedBytes: 128 * 1024 * 1024,
  walLimitBytes: 64 * 1024 * 1024,
  tlsDir: null,
  logMaxBytes: 10 * 1024 * 1024,
  logFiles: 5,
  auditFullCheckMinutes: 60,
}

const ENV: Record<keyof EngineSettings, string> = {
  hl7MaxBufferedBytes: 'PS_HL7_MAX_BUFFERED_BYTES',
  walLimitBytes: 'PS_WAL_LIMIT_BYTES',
  tlsDir: 'PS_TLS_DIR',
  logMaxBytes: 'PS_LOG_MAX_BYTES',
  logFiles: 'PS_LOG_FILES',
  auditFullCheckMinutes: 'PS_AUDIT_FULL_CHECK_MINUTES',
}

const MIN: Partial<Record<keyof EngineSettings, number>> = { hl7MaxBufferedBytes: 1024 * 1024, walLimitBytes: 1024 * 1024, logMaxBytes: 64 * 1024, logFiles: 2 }

function int(name: string, raw: string, min: number): number {
  if (!/^\d+$/.test(raw.trim())) throw new AppError('config_invalid', `${name} must be a whole number (got "${raw.slice(0, 40)}").`)
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < min) throw new AppError('config_invalid', `${name} must be at least ${min} (got ${raw.slice(0, 40)}).`)
  return n
}

/** The settings from `PS_*` environment variables over the defaults. */
export function engineSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): EngineSettings {
  const out: EngineSettings = { ...DEFAULT_ENGINE_SETTINGS }
  for (const key of Object.keys(ENV) as (keyof EngineSettings)[]) {
    const name = ENV[key]
    const raw = env[name]
    if (raw === undefined || raw === '') continue
    if (key === 'tlsDir') {
      if (!isAbsolute(raw)) throw new AppError('config_invalid', `${name} must be an absolute path.`)
      out.tlsDir = resolve(raw)
    } else {
      out[key] = int(name, raw, MIN[key] ?? 1)
    }
  }
  return out
}
