import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createLogger, fileSink, MAX_FIELD_CHARS, stderrSinkOf } from '../../../electron/engine/core/logger'

function capture() {
  const lines: string[] = []
  const logger = createLogger({ level: 'debug', sinks: [(line) => lines.push(line)], fields: { pid: 7 } })
  return { logger, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) }
}

describe('logger', () => {
  it('never lets a field override the record’s own ts, level or msg (kept as _ts, _level, _msg)', () => {
    const { logger, records } = capture()
    logger.info('notification raised', { level: 'error', msg: 'forged', ts: 'yesterday', rule: 'r1' })
    const [r] = records()
    expect(r).toMatchObject({ level: 'info', msg: 'notification raised', _level: 'error', _msg: 'forged', _ts: 'yesterday', rule: 'r1', pid: 7 })
    expect(r!.ts).toMatch(/^\d{4}-\d\d-\d\dT/)
  })

  it('redacts secret-named fields and keeps one line per record whatever a field holds', () => {
    const { logger, records } = capture()
    logger.child({ component: 'x' }).warn('token refresh', { accessToken: 'abc', note: 'line1\r\nline2' })
    const [r] = records()
    expect(r).toMatchObject({ level: 'warn', component: 'x', accessToken: '[redacted]', note: 'line1\r\nline2' })
  })
})

describe('logger limits (issue #17)', () => {
  it('truncates every long string field with a marker saying how much was left out (an 11 MB control id stays one short line)', () => {
    const { logger, records } = capture()
    const controlId = 'C'.repeat(11 * 1024 * 1024)
    logger.info('duplicate message', { controlId, nested: { peerText: 'é'.repeat(600) }, list: Array.from({ length: 80 }, (_, i) => i) })
    const [r] = records()
    expect(r!.controlId).toBe(`${'C'.repeat(MAX_FIELD_CHARS)}…[+${11 * 1024 * 1024 - MAX_FIELD_CHARS} bytes]`)
    // Bytes, not characters: 88 two-byte characters were left out.
    expect((r!.nested as { peerText: string }).peerText).toBe(`${'é'.repeat(MAX_FIELD_CHARS)}…[+${88 * 2} bytes]`)
    expect(r!.list as unknown[]).toHaveLength(51)
    expect((r!.list as unknown[])[50]).toBe('…[+30 items]')
  })

  it('stderr gets warnings and errors only, at most perSecond lines a second, then says how many it left out', () => {
    const out: string[] = []
    const logger = createLogger({ level: 'debug', sinks: [stderrSinkOf({ perSecond: 3, write: (s) => out.push(s) })] })
    logger.info('not for stderr')
    logger.debug('nor this')
    for (let i = 0; i < 10; i++) logger.warn('refused', { i })
    expect(out.map((l) => JSON.parse(l).msg)).toEqual(['refused', 'refused', 'refused'])
  })

  it('rotates by size over several files and never keeps more than files × maxBytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ps-rotate-'))
    const file = join(dir, 'engine.log')
    const logger = createLogger({ sinks: [fileSink(file, { maxBytes: 2048, files: 4 })] })
    for (let n = 0; n < 500; n++) logger.info('line', { n, pad: 'x'.repeat(100) })
    const names = readdirSync(dir).sort()
    expect(names).toEqual(['engine.log', 'engine.log.1', 'engine.log.2', 'engine.log.3'])
    for (const f of names) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(2048)
    // The newest line is in engine.log, older ones in .1, .2, .3 in that order.
    const firstN = (f: string): number => JSON.parse(readFileSync(join(dir, f), 'utf8').split('\n')[0]!).n as number
    expect(firstN('engine.log')).toBeGreaterThan(firstN('engine.log.1'))
    expect(firstN('engine.log.1')).toBeGreaterThan(firstN('engine.log.2'))
    expect(firstN('engine.log.2')).toBeGreaterThan(firstN('engine.log.3'))
  })
})
