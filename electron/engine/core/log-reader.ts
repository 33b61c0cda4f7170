/**
 * Reads the engine's log file (logger.ts fileSink) backwards, newest first, for the console's log
 * viewer: only whole lines, then the rotated files newest first (`.1`, `.2`, …), at most
 * `MAX_SCAN_BYTES` per call so a search over a big log answers quickly (the cursor says where to
 * go on).
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { LogEntry } from '../../../shared/api/logs'
import type { LogLevel } from './logger'

const CHUNK = 64 * 1024
// The read runs on the engine's thread (it answers ACKs too): a page stops after 2 MB and its
// cursor goes on from there, so a rare filter over a big log never stalls the event loop long.
const MAX_SCAN_BYTES = 2 * 1024 * 1024
const COMPONENT = /"component":"([^"\\]{1,80})"/
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/** Where serve and the desktop app write the engine's log. */
export function engineLogFile(dataDir: string): string {
  return join(dataDir, 'logs', 'engine.log')
}

export interface TailQuery {
  level: LogLevel
  component?: string
  practiceId?: string
  /** Only lines about these practices (a caller without every practice in scope sees no engine-wide lines). */
  practiceIds?: readonly string[] | null
  q?: string
  limit: number
  /** `<file>:<offset>` from a previous page: file 0 is the log, n the n-th rotated one. */
  before?: string
}

function* linesBackward(fd: number, end: number, budget: { bytes: number }): Generator<{ start: number; text: string }> {
  let pos = end
  let carry = Buffer.alloc(0)
  while (pos > 0 && budget.bytes > 0) {
    const start = Math.max(0, pos - CHUNK)
    const buf = Buffer.alloc(pos - start)
    readSync(fd, buf, 0, buf.length, start)
    budget.bytes -= buf.length
    const data = Buffer.concat([buf, carry])
    let lineEnd = data.length
    for (let i = data.length - 1; i >= 0; i--) {
      if (data[i] !== 0x0a) continue
      if (i + 1 < lineEnd) yield { start: start + i + 1, text: data.toString('utf8', i + 1, lineEnd) }
      lineEnd = i
    }
    carry = data.subarray(0, lineEnd)
    pos = start
  }
  if (pos === 0 && carry.length > 0) yield { start: 0, text: carry.toString('utf8') }
}

function toEntry(text: string): LogEntry | null {
  let r: Record<string, unknown>
  try {
    r = JSON.parse(text) as Record<string, unknown>
  } catch {
    return null // a torn last line after a crash, or not ours
  }
  if (typeof r.ts !== 'string' || typeof r.msg !== 'string' || typeof r.level !== 'string' || !(r.level in RANK)) return null
  const { ts, level, msg, component, pid: _pid, ...fields } = r
  return { ts, level: level as LogLevel, msg, component: typeof component === 'string' ? component : null, fields }
}

function matches(e: LogEntry, q: TailQuery, needle: string | null): boolean {
  if (RANK[e.level] < RANK[q.level]) return false
  if (q.component && e.component !== q.component) return false
  if (q.practiceId && e.fields.practiceId !== q.practiceId) return false
  if (q.practiceIds && !(typeof e.fields.practiceId === 'string' && q.practiceIds.includes(e.fields.practiceId))) return false
  if (needle && !`${e.msg} ${JSON.stringify(e.fields)}`.toLowerCase().includes(needle)) return false
  return true
}

export function tailLog(file: string, q: TailQuery): { entries: LogEntry[]; next: string | null; components: string[] } {
  const files = [file]
  // Rotated files are numbered without gaps (logger.ts fileSink); the cap only bounds a bad folder.
  while (files.length < 100 && existsSync(`${file}.${files.length}`)) files.push(`${file}.${files.length}`)
  const m = q.before ? /^(\d{1,2}):(\d+|end)$/.exec(q.before) : null
  let fileIndex = m ? Number(m[1]) : 0
  let end: number | null = m && m[2] !== 'end' ? Number(m[2]) : null
  const needle = q.q?.trim() ? q.q.trim().toLowerCase() : null
  const entries: LogEntry[] = []
  const components = new Set<string>()
  const budget = { bytes: MAX_SCAN_BYTES }
  const done = (next: string | null) => ({ entries, next, components: [...components].sort() })
  // Where to go on from a line's start: the same file before it, or the next older file's end.
  const from = (index: number, start: number): string | null => (start > 0 ? `${index}:${start}` : index + 1 < files.length ? `${index + 1}:end` : null)
  for (; fileIndex < files.length; fileIndex++, end = null) {
    const f = files[fileIndex] as string
    if (!existsSync(f)) continue
    const size = statSync(f).size
    let lastStart = Math.min(end ?? size, size)
    const fd = openSync(f, 'r')
    try {
      for (const line of linesBackward(fd, lastStart, budget)) {
        lastStart = line.start
        const c = COMPONENT.exec(line.text)
        if (c) components.add(c[1] as string)
        // Cheap checks on the raw line first: most lines of a filtered view never need parsing.
        if (needle && !line.text.toLowerCase().includes(needle)) continue
        if (q.component && !line.text.includes(`"component":${JSON.stringify(q.component)}`)) continue
        const e = toEntry(line.text)
        if (!e || !matches(e, q, needle)) continue
        entries.push(e)
        if (entries.length === q.limit) return done(from(fileIndex, line.start))
      }
    } finally {
      closeSync(fd)
    }
    // Out of budget in the middle of a file: the page ends there and the cursor goes on from it.
    if (budget.bytes <= 0 && lastStart > 0) return done(`${fileIndex}:${lastStart}`)
  }
  return done(null)
}
