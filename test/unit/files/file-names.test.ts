import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { expandName, globToRegExp, isIgnoredName, isSafeName, matchesPatterns } from '../../../electron/engine/connectors/files/jobs/file-names'
import { offPeakDelay, quietDelay } from '../../../electron/engine/connectors/files/jobs/scheduler'
import { csvCell, csvLine, unneutralise } from '../../../shared/csv'

describe('file names', () => {
  it('refuses anything that is not one plain path component (path traversal, separators, control characters)', () => {
    for (const bad of ['../../x.csv', '..', '.', 'a/b.csv', 'a\\b.csv', 'x\u0000.csv', 'x\n.csv', ' lead.csv', '', 'a'.repeat(256)]) expect(isSafeName(bad), bad).toBe(false)
    for (const ok of ['patients.csv', 'Patients 2026-06-01.CSV', 'é.csv', '..x.csv']) expect(isSafeName(ok), ok).toBe(true)
  })

  it('ignores dot files, temporary names and done markers', () => {
    for (const n of ['.x.csv', 'x.csv.tmp', 'x.csv.part', 'x.filepart', 'x.csv~', 'x.csv.crdownload']) expect(isIgnoredName(n, null), n).toBe(true)
    expect(isIgnoredName('x.csv.done', '.done')).toBe(true)
    expect(isIgnoredName('x.csv', '.done')).toBe(false)
  })

  it('matches include/exclude globs case-insensitively, literally otherwise', () => {
    expect(matchesPatterns('PATIENTS_0601.CSV', ['patients_*.csv'], [])).toBe(true)
    expect(matchesPatterns('patients_0601.csv', ['patients_*.csv'], ['*_0601.*'])).toBe(false)
    expect(globToRegExp('a.b?c').test('a.bxc')).toBe(true)
    expect(globToRegExp('a.b?c').test('aXbxc')).toBe(false)
  })

  it('expands outbound name tokens in the practice zone, and refuses a template that leaves the folder', () => {
    const now = DateTime.fromISO('2026-06-01T23:30:00', { zone: 'America/Chicago' })
    expect(expandName('{practice}-{kind}-{date:YYYYMMDD}-{seq:4}.csv', { practice: 'downtown', job: 'j', kind: 'demographics', now, seq: 7 })).toBe('downtown-demographics-20260601-0007.csv')
    expect(expandName('{job}_{date:yyyy-MM-dd}T{time}.csv', { practice: 'p', job: 'nightly', kind: 'k', now, seq: 1 })).toBe('nightly_2026-06-01T233000.csv')
    expect(() => expandName('../../{practice}.csv', { practice: 'p', job: 'j', kind: 'k', now, seq: 1 })).toThrow(/not a plain file name/)
    expect(() => expandName('{practice}/{seq}.csv', { practice: 'p', job: 'j', kind: 'k', now, seq: 1 })).toThrow(/not a plain file name/)
    expect(() => expandName('{nope}.csv', { practice: 'p', job: 'j', kind: 'k', now, seq: 1 })).toThrow(/unknown token/)
  })
})

describe('off-peak window', () => {
  const at = (hhmm: string) => DateTime.fromISO(`2026-06-01T${hhmm}:00`, { zone: 'America/New_York' })
  it('is 0 inside the window and the time until it opens outside, across midnight too', () => {
    expect(offPeakDelay(at('12:00'), null)).toBe(0)
    expect(offPeakDelay(at('01:30'), { start: '01:00', end: '05:00' })).toBe(0)
    expect(offPeakDelay(at('00:30'), { start: '01:00', end: '05:00' })).toBe(30 * 60_000)
    expect(offPeakDelay(at('06:00'), { start: '01:00', end: '05:00' })).toBe(19 * 3600_000)
    expect(offPeakDelay(at('23:00'), { start: '22:00', end: '04:00' })).toBe(0)
    expect(offPeakDelay(at('03:59'), { start: '22:00', end: '04:00' })).toBe(0)
    expect(offPeakDelay(at('12:00'), { start: '22:00', end: '04:00' })).toBe(10 * 3600_000)
  })
})

describe('formula-safe CSV cells (every CSV the product writes)', () => {
  it('neutralises cells a spreadsheet would run, quotes what needs it, leaves numbers alone', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`)
    expect(csvCell('+1')).toBe("'+1")
    expect(csvCell('-2+3')).toBe("'-2+3")
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)")
    expect(csvCell('\t=1')).toBe("'\t=1")
    expect(csvCell(-5)).toBe('-5')
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell(null)).toBe('')
    expect(csvLine(['x', 1, '=1'])).toBe("x,1,'=1")
    expect(unneutralise("'=1+2")).toBe('=1+2')
    expect(unneutralise("'quoted")).toBe("'quoted")
  })

  it('keeps a quiet window (the 01:00–03:00 DST changeover): a tick inside waits for its end, also on a spring-forward night', () => {
    const w = { start: '01:00', end: '03:00' }
    const at = (iso: string) => DateTime.fromISO(iso, { zone: 'America/Chicago' })
    expect(quietDelay(at('2026-07-01T00:59'), w)).toBe(0)
    expect(quietDelay(at('2026-07-01T03:00'), w)).toBe(0)
    expect(quietDelay(at('2026-07-01T01:00'), w)).toBe(2 * 3600_000)
    expect(quietDelay(at('2026-07-01T02:30'), w)).toBe(30 * 60_000)
    // 2026-03-08 02:00 does not exist in Chicago: 01:30 → 03:00 is 30 real minutes.
    expect(quietDelay(at('2026-03-08T01:30'), w)).toBe(30 * 60_000)
    expect(quietDelay(at('2026-07-01T12:00'), undefined)).toBe(0)
  })
})
