/**
 * One structured logger for the whole engine: one JSON object per line, scoped with `child()`.
 * Rule: log ids, types, counts, peers and error codes; never payloads, names, dates of birth or
 * secrets. Keys that usually carry PHI or secrets are redacted here as a safety net, not as the
 * primary defence.
 */
import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs'
import { dirname } from 'node:path'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type LogFields = Record<string, unknown>

export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  child(fields: LogFields): Logger
}

export interface LogRecord {
  ts: string
  level: LogLevel
  msg: string
  [k: string]: unknown
}

export type LogSink = (line: string, record: LogRecord) => void

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

const REDACT_KEYS =
  /^(password|passwd|secret|client_?secret|token|access_?token|authorization|cookie|api_?key|key|master_?key|private_?key|ssn|dob|birth_?date|date_?of_?birth|first_?name|last_?name|given|family|name|address\d?|street|phone|home_?phone|mobile_?phone|email|raw|body|payload)$/i

function redact(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1))
  if (value instanceof Error) return { error: value.name, message: value.message }
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = REDACT_KEYS.test(k) ? '[redacted]' : redact(v, depth + 1)
  }
  return out
}

const RESERVED = ['ts', 'level', 'msg'] as const

export function createLogger(opts: { level?: LogLevel; sinks: LogSink[]; fields?: LogFields }): Logger {
  const min = LEVELS[opts.level ?? 'info']
  const make = (base: LogFields): Logger => {
    const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
      if (LEVELS[level] < min) return
      const extra = redact({ ...base, ...fields }) as LogFields
      // A field named like the record's own keys is kept under `_<key>`, never overriding them.
      for (const k of RESERVED) {
        if (k in extra) {
          extra[`_${k}`] = extra[k]
          delete extra[k]
        }
      }
      const record = { ts: new Date().toISOString(), level, msg, ...extra }
      // JSON.stringify escapes CR/LF and control characters, so a field cannot forge a log line.
      const line = JSON.stringify(record)
      for (const sink of opts.sinks) {
        try {
          sink(line, record as LogRecord)
        } catch {
          /* a broken sink must never break the engine */
        }
      }
    }
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (f) => make({ ...base, ...f }),
    }
  }
  return make(opts.fields ?? {})
}

/** Appends to a file, rotating to `<file>.1` when it passes `maxBytes`. */
export function fileSink(file: string, maxBytes = 10 * 1024 * 1024): LogSink {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  let size = 0
  try {
    size = statSync(file).size
  } catch {
    size = 0
  }
  return (line) => {
    const data = line + '\n'
    if (size + data.length > maxBytes) {
      try {
        renameSync(file, file + '.1')
      } catch {
        /* first rotation */
      }
      size = 0
    }
    appendFileSync(file, data, { mode: 0o600 })
    size += data.length
  }
}

export const stderrSink: LogSink = (line) => {
  process.stderr.write(line + '\n')
}

/** Keeps records in memory; used by tests (and the canary scans) to inspect what was logged. */
export function memorySink(): LogSink & { lines: string[] } {
  const lines: string[] = []
  const sink: LogSink = (line) => {
    lines.push(line)
  }
  return Object.assign(sink, { lines })
}

export const silentLogger: Logger = createLogger({ sinks: [] })
