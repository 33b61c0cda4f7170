/**
 * One structured logger for the whole engine: one JSON object per line, scoped with `child()`.
 * Rule: log ids, types, counts, peers and error codes; never payloads, names, dates of birth or
 * secrets. Keys that usually carry PHI or secrets are redacted here as a safety net, not as the
 * primary defence.
 */
import { appendFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs'
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

/**
 * Longest string a field keeps. Fields often come from input (control ids, message types, peers'
 * texts): the probe sent an 11 MB control id, and two such frames pushed 16,000 lines out of the
 * log. Longer strings keep their start and say how much was left out.
 */
export const MAX_FIELD_CHARS = 512
const MAX_ARRAY_ITEMS = 50

export function truncateField(s: string, max = MAX_FIELD_CHARS): string {
  if (s.length <= max) return s
  const kept = s.slice(0, max)
  return `${kept}…[+${Buffer.byteLength(s) - Buffer.byteLength(kept)} bytes]`
}

function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return truncateField(value)
  if (value === null || typeof value !== 'object') return value
  if (depth > 4) return '[nested too deep]'
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ARRAY_ITEMS).map((v) => redact(v, depth + 1))
    return value.length > MAX_ARRAY_ITEMS ? [...items, `…[+${value.length - MAX_ARRAY_ITEMS} items]`] : items
  }
  if (value instanceof Error) return { error: truncateField(value.name), message: truncateField(value.message) }
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
      const record = { ts: new Date().toISOString(), level, msg: truncateField(msg, 2048), ...extra }
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

export interface FileSinkOptions {
  /** Size at which the file rotates; default 10 MiB. */
  maxBytes?: number
  /** Files kept, the current one included (`<file>`, `<file>.1` … `<file>.<files-1>`); default 5. At most files × maxBytes on disk. */
  files?: number
}

/** Appends to a file, rotating by size over several files (`<file>.1` is the newest rotated one). */
export function fileSink(file: string, opts: FileSinkOptions | number = {}): LogSink {
  const o = typeof opts === 'number' ? { maxBytes: opts } : opts
  const maxBytes = o.maxBytes ?? 10 * 1024 * 1024
  const files = Math.max(2, o.files ?? 5)
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  let size = 0
  try {
    size = statSync(file).size
  } catch {
    size = 0
  }
  const rotate = (): void => {
    rmSync(`${file}.${files - 1}`, { force: true })
    for (let i = files - 2; i >= 1; i--) {
      try {
        renameSync(`${file}.${i}`, `${file}.${i + 1}`)
      } catch {
        /* not that many yet */
      }
    }
    try {
      renameSync(file, `${file}.1`)
    } catch {
      /* first rotation */
    }
  }
  return (line) => {
    const data = line + '\n'
    const bytes = Buffer.byteLength(data)
    if (size > 0 && size + bytes > maxBytes) {
      rotate()
      size = 0
    }
    appendFileSync(file, data, { mode: 0o600 })
    size += bytes
  }
}

/**
 * stderr gets warnings and errors only (the full log is the file; the console's log page reads
 * it), at most `perSecond` lines a second, then one line saying how many were left out: a peer
 * that makes the engine warn cannot flood a terminal or a journald unit.
 */
export function stderrSinkOf(opts: { level?: LogLevel; perSecond?: number; write?: (s: string) => void } = {}): LogSink {
  const min = LEVELS[opts.level ?? 'warn']
  const perSecond = opts.perSecond ?? 20
  const write = opts.write ?? ((s: string) => void process.stderr.write(s))
  let second = 0
  let n = 0
  let dropped = 0
  return (line, record) => {
    if (LEVELS[record.level] < min) return
    const now = Math.floor(Date.now() / 1000)
    if (now !== second) {
      if (dropped > 0) write(`${JSON.stringify({ ts: new Date().toISOString(), level: 'warn', msg: 'stderr: lines left out (the log file has them)', suppressed: dropped })}\n`)
      second = now
      n = 0
      dropped = 0
    }
    if (n >= perSecond) {
      dropped++
      return
    }
    n++
    write(line + '\n')
  }
}

export const stderrSink: LogSink = stderrSinkOf()

/** Keeps records in memory; used by tests (and the canary scans) to inspect what was logged. */
export function memorySink(): LogSink & { lines: string[] } {
  const lines: string[] = []
  const sink: LogSink = (line) => {
    lines.push(line)
  }
  return Object.assign(sink, { lines })
}

export const silentLogger: Logger = createLogger({ sinks: [] })

/** `(level, key, msg, fields)`: a log call that may be left out (see rateLimitedLog). */
export type RateLimitedLog = (level: 'info' | 'warn', key: string, msg: string, fields: LogFields) => void

/**
 * For lines an outsider can cause at will (a connection, a refused frame, a duplicate): at most
 * `perWindow[key]` (default 1) lines per key in each `windowMs`; the first line of the next
 * window says how many were left out (`suppressed`).
 */
export function rateLimitedLog(logger: Logger, now: () => number, perWindow: Record<string, number> = {}, windowMs = 10_000): RateLimitedLog {
  const gates = new Map<string, { at: number; n: number; suppressed: number }>()
  return (level, key, msg, fields) => {
    const t = now()
    let g = gates.get(key)
    if (!g || t - g.at >= windowMs) {
      const suppressed = g?.suppressed ?? 0
      g = { at: t, n: 0, suppressed: 0 }
      gates.set(key, g)
      if (suppressed > 0) fields = { ...fields, suppressed }
    }
    if (g.n >= (perWindow[key] ?? 1)) {
      g.suppressed++
      return
    }
    g.n++
    logger[level](msg, fields)
  }
}
