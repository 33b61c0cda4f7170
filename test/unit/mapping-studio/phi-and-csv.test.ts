import { describe, expect, it } from 'vitest'
import { codeMapFromCsv, codeMapToCsv } from '../../../electron/engine/mapping-store/code-map-csv'
import { isPhiSourcePath, isPhiTargetPath, MASK, maskLeaves } from '../../../electron/engine/mapping-store/phi'
import type { CodeMap } from '../../../shared/mapping'

describe('PHI classification for masking real samples', () => {
  it.each([
    ['PID-5.1', true],
    ['PID-7', true],
    ['PID[1]-3(2).1', true],
    ['NK1-2.1', true],
    ['OBX[3]-5', true],
    ['PID-8', false],
    ['PID-10.1', false],
    ['MSH-9.1', false],
    ['PV1-3.1', false],
    ['firstname', true],
    ['homephone', true],
    ['guarantorfirstname', true],
    ['contacts.0.phone', true],
    ['sex', false],
    ['race', false],
    ['departmentid', false],
    ["name.where(use='official').family", true],
    ["telecom.where(system='phone' and use='home').value", true],
    ["extension.where(url='http://x/us-core-race').extension.where(url='ombCategory').value.code", false],
    ['gender', false],
    ['FIRST', true],
    ['BIRTHDATE', true],
    ['ZIP', true],
    ['GENDER', false],
  ])('%s → %s', (path, phi) => {
    expect(isPhiSourcePath(path)).toBe(phi)
  })

  it('classifies targets by the record schema and the set’s custom fields', () => {
    expect(isPhiTargetPath('address.line1')).toBe(true)
    expect(isPhiTargetPath('gender')).toBe(false)
    expect(isPhiTargetPath('custom.nickname', [{ key: 'nickname', label: 'n', type: 'string', phi: true }])).toBe(true)
    expect(isPhiTargetPath('custom.flag', [{ key: 'flag', label: 'f', type: 'boolean' }])).toBe(false)
    expect(isPhiTargetPath('PID-5.1')).toBe(true)
    expect(isPhiTargetPath('homephone')).toBe(true)
  })

  it('masks the leaves of a record that are PHI and nothing else', () => {
    const masked = maskLeaves({ first_name: 'Ana', gender: 'F', address: { line1: '1 Main', state: 'MA' }, insurance: [{ member_id: 'X1', plan_name: 'P' }], custom: { n: 1 } }, (p) => isPhiTargetPath(p))
    expect(masked).toEqual({ first_name: MASK, gender: 'F', address: MASK, insurance: [MASK], custom: { n: 1 } })
  })
})

describe('code maps as CSV', () => {
  const map: CodeMap = { name: 'dept', entries: [{ from: '1', to: 'LOC-A' }, { from: 'Two, Inc', to: 'LOC "B"', note: ' spaced ' }], onMiss: 'error', caseInsensitive: true }

  it('round-trips quoting, commas and spaces exactly', () => {
    const csv = codeMapToCsv(map)
    expect(csv).toBe('from,to,note\r\n1,LOC-A,\r\n"Two, Inc","LOC ""B"""," spaced "\r\n')
    const back = codeMapFromCsv({ ...map, entries: [] }, csv, 'replace')
    expect(back.map?.entries).toEqual([{ from: '1', to: 'LOC-A' }, { from: 'Two, Inc', to: 'LOC "B"', note: 'spaced' }])
  })

  it('reads files without a header (first two columns) and with other header names', () => {
    expect(codeMapFromCsv(map, '3,LOC-C\n', 'merge')).toMatchObject({ ok: true, added: 1, map: { entries: expect.arrayContaining([{ from: '3', to: 'LOC-C' }]) } })
    expect(codeMapFromCsv(map, 'Local code;x\n', 'merge').issues[0]).toMatchObject({ line: 1 })
    expect(codeMapFromCsv(map, '\uFEFFCode,Maps To\n1,LOC-Z\n', 'merge')).toMatchObject({ ok: true, added: 0, changed: 1 })
  })

  it('merges into or replaces the table and counts what changed', () => {
    const merged = codeMapFromCsv(map, 'from,to\n1,LOC-A\n9,LOC-9\n', 'merge')
    expect(merged).toMatchObject({ ok: true, added: 1, changed: 0, removed: 0 })
    expect(merged.map!.entries.map((e) => e.from)).toEqual(['1', 'Two, Inc', '9'])
    const replaced = codeMapFromCsv(map, 'from,to\n9,LOC-9\n', 'replace')
    expect(replaced).toMatchObject({ ok: true, added: 1, removed: 2 })
    expect(replaced.map!.entries).toEqual([{ from: '9', to: 'LOC-9' }])
  })

  it('reports every problem with its line and applies nothing', () => {
    const r = codeMapFromCsv(map, 'from,to\nA,1\n,2\nB\na,3\n"unterminated\n', 'merge')
    expect(r.ok).toBe(false)
    expect(r.map).toBeNull()
    expect(r.issues.length).toBeGreaterThan(0)
    const dup = codeMapFromCsv(map, 'from,to\nA,1\n,2\nB\na,3\n', 'merge')
    expect(dup.issues).toEqual([
      { line: 3, message: 'the code (from) is empty' },
      { line: 4, message: "no target (to) for code 'B'" },
      { line: 5, message: "code 'a' is already on line 2 (the map ignores case)" },
    ])
    expect(codeMapFromCsv(map, 'from,to\n', 'merge').issues).toEqual([{ line: 1, message: 'the file holds no codes' }])
  })
})
