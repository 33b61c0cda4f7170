import { describe, expect, it } from 'vitest'
import { createLogger } from '../../../electron/engine/core/logger'

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
