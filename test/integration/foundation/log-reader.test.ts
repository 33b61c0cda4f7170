/**
 * The console's log viewer reads the engine's own log file backwards: newest first, filtered by
 * level, component, practice and text, paged with a cursor that goes on into the rotated file;
 * a torn last line (a crash mid-write) is skipped. Real files written by the real file sink.
 */
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { engineLogFile, tailLog, type TailQuery } from '../../../electron/engine/core/log-reader'
import { createLogger, fileSink } from '../../../electron/engine/core/logger'

/** 300 records, rotated about every 100: n, a component each, a warning every 10th, a practice on odd ones. */
function writeLog(): string {
  const file = engineLogFile(mkdtempSync(join(tmpdir(), 'ps-logs-')))
  const log = createLogger({ level: 'debug', sinks: [fileSink(file, 16 * 1024)], fields: { pid: 1 } })
  for (let n = 0; n < 300; n++) {
    const l = log.child({ component: n % 3 === 0 ? 'hl7-listener' : n % 3 === 1 ? 'hl7-outbound' : 'pipeline', ...(n % 2 ? { practiceId: 'p1' } : {}) })
    if (n % 10 === 0) l.warn('peer refused', { n, peer: `10.0.0.${n % 7}:5000` })
    else l.info('frame accepted', { n, peer: `10.0.0.${n % 7}:5000` })
  }
  return file
}

const q = (o: Partial<TailQuery> = {}): TailQuery => ({ level: 'debug', limit: 50, ...o })
const ns = (r: { entries: { fields: Record<string, unknown> }[] }) => r.entries.map((e) => e.fields.n as number)

describe('logs.tail', () => {
  it('pages newest first through the log and on into the rotated file, every record once', () => {
    const file = writeLog()
    const seen: number[] = []
    let before: string | undefined
    for (let page = 0; page < 20; page++) {
      const r = tailLog(file, q({ ...(before ? { before } : {}) }))
      seen.push(...ns(r))
      if (!r.next) break
      before = r.next
    }
    // The rotated file holds the previous ~16 KB only: what is there comes newest first, without gaps or repeats.
    expect(seen[0]).toBe(299)
    expect(seen.length).toBeGreaterThan(100)
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => 299 - i))
  })

  it('filters by level, component, practice and text, and lists the components it saw', () => {
    const file = writeLog()
    const warns = tailLog(file, q({ level: 'warn' }))
    expect(warns.entries.every((e) => e.level === 'warn' && e.msg === 'peer refused')).toBe(true)
    expect(ns(warns).slice(0, 3)).toEqual([290, 280, 270])
    const outbound = tailLog(file, q({ component: 'hl7-outbound', practiceId: 'p1', limit: 3 }))
    expect(outbound.entries.map((e) => [e.component, e.fields.practiceId])).toEqual(Array(3).fill(['hl7-outbound', 'p1']))
    expect(ns(outbound).every((n) => n % 3 === 1 && n % 2 === 1)).toBe(true)
    const byPeer = tailLog(file, q({ q: '10.0.0.6:5000', limit: 2 }))
    expect(ns(byPeer)).toEqual([293, 286])
    expect(tailLog(file, q({ limit: 5 })).components).toEqual(expect.arrayContaining(['hl7-listener', 'hl7-outbound', 'pipeline']))
    // Filtered to one component, the others are still offered.
    expect(tailLog(file, q({ component: 'pipeline', limit: 5 })).components).toEqual(expect.arrayContaining(['hl7-listener', 'hl7-outbound', 'pipeline']))
    // The process id is not a field worth showing; the level, message and component have their own places.
    expect(tailLog(file, q({ limit: 1 })).entries[0]).toMatchObject({ level: 'info', msg: 'frame accepted', component: 'pipeline', fields: { n: 299, peer: '10.0.0.5:5000', practiceId: 'p1' } })
    expect(Object.keys(tailLog(file, q({ limit: 1 })).entries[0]!.fields).sort()).toEqual(['n', 'peer', 'practiceId'])
  })

  it('skips a torn last line, and an empty or missing log is an empty page', () => {
    const file = writeLog()
    appendFileSync(file, '{"ts":"2026-11-26T10:00:00.000Z","level":"info","msg":"half a li')
    expect(ns(tailLog(file, q({ limit: 2 })))).toEqual([299, 298])
    expect(tailLog(join(tmpdir(), 'no-such-dir', 'engine.log'), q())).toEqual({ entries: [], next: null, components: [] })
  })
})

describe('logs.tail over a big log', () => {
  it('stops a page after its read budget with a cursor, and paging on finds what is further back', () => {
    const file = engineLogFile(mkdtempSync(join(tmpdir(), 'ps-logs-big-')))
    const log = createLogger({ level: 'info', sinks: [fileSink(file)] })
    log.error('the one error', { code: 'storage_full' })
    const filler = 'x'.repeat(200)
    for (let n = 0; n < 14_000; n++) log.info('busy', { n, filler })
    let r = tailLog(file, q({ level: 'error' }))
    // More than 2 MB of info lines stand in front of it: the first page is empty but says where to go on.
    expect(r.entries).toEqual([])
    expect(r.next).toMatch(/^0:\d+$/)
    let pages = 1
    while (r.entries.length === 0 && r.next && pages < 10) {
      r = tailLog(file, q({ level: 'error', before: r.next }))
      pages++
    }
    expect(r.entries.map((e) => [e.msg, e.fields.code])).toEqual([['the one error', 'storage_full']])
    expect(pages).toBeGreaterThan(1)
  })
})

describe('logs.tail over several rotated files (issue #17)', () => {
  it('pages through every rotated file, newest first, every record on disk exactly once', () => {
    const file = engineLogFile(mkdtempSync(join(tmpdir(), 'ps-logs-')))
    const log = createLogger({ level: 'debug', sinks: [fileSink(file, { maxBytes: 4096, files: 6 })], fields: { pid: 1 } })
    for (let n = 0; n < 400; n++) log.info('frame accepted', { n })
    const onDisk = [file, ...[1, 2, 3, 4, 5].map((i) => `${file}.${i}`)].flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean)).length
    const seen: number[] = []
    let before: string | undefined
    for (let page = 0; page < 50; page++) {
      const r = tailLog(file, q({ limit: 30, ...(before ? { before } : {}) }))
      seen.push(...ns(r))
      if (!r.next) break
      before = r.next
    }
    expect(before).toMatch(/^5:/)
    expect(seen).toHaveLength(onDisk)
    expect(seen).toEqual(Array.from({ length: onDisk }, (_, i) => 399 - i))
  })
})
