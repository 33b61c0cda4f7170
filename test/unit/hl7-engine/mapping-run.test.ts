/** Segment-scoped evaluation, repeated groups, patient ids and the error an evaluation becomes. */
import { describe, expect, it } from 'vitest'
import { parseHl7 } from '../../../electron/engine/connectors/hl7'
import { loadHl7MappingSets } from '../../../electron/engine/connectors/hl7-engine/mappings'
import { childOccurrences, collectMisses, evaluateWithRepeats, mappingFailure, scopedAccessor, subsetFor } from '../../../electron/engine/connectors/hl7-engine/mapping-run'
import { hl7Date, patientGroups, patientIds } from '../../../electron/engine/connectors/hl7-engine/patients'
import { evaluateMapping } from '../../../electron/engine/mapping'

const msg = parseHl7(
  [
    'MSH|^~\\&|LAB|FAC|PS|CLINIC|20260309140000||ORU^R01^ORU_R01|C9|P|2.5.1',
    'PID|1|A-77^^^athenaNet^PI|M1^^^HOSP^MR~AX^^^ATHENA^PI||DOE^JANE||19800102|F',
    'OBR|1|P1|F1|CBC',
    'OBX|1|NM|WBC||7.5',
    'OBX|2|NM|HGB||14.2',
    'OBR|2|P2|F2|CULT',
    'OBX|1|ST|NOTE||ok',
    'IN1|1|PLAN-A',
    'IN1|2|PLAN-B',
    'IN1|3|PLAN-C',
  ].join('\r'),
)
const sets = loadHl7MappingSets()
const set = (k: string) => sets.find((s) => s.key === k)!
const ctx = { defaultTimeZone: 'UTC' }

describe('scoped accessor', () => {
  it('reads unindexed paths of scoped segments from one occurrence; explicit indexes win', () => {
    const a = scopedAccessor(msg, { OBX: 3, OBR: 2 })
    expect(a.get('OBX-3')).toBe('NOTE')
    expect(a.get('OBR-3')).toBe('F2')
    expect(a.get('OBX[1]-3')).toBe('WBC')
    expect(a.getAll('OBX-5')).toEqual(['ok'])
    expect(a.get('PID-5.1')).toBe('DOE')
    expect(scopedAccessor(msg, {}).getAll('OBX-5')).toEqual(['7.5', '14.2', 'ok'])
  })

  it('finds each OBX with its parent OBR', () => {
    expect(childOccurrences(msg, 'OBX', 'OBR')).toEqual([
      { index: 1, parent: 1 },
      { index: 2, parent: 1 },
      { index: 3, parent: 2 },
    ])
  })

  it('a malformed path is reported by the accessor as a mapping error', () => {
    expect(() => scopedAccessor(msg, { OBX: 1 }).get('OBX-')).toThrow(/Invalid HL7 path/)
  })
})

describe('repeated groups', () => {
  it('every IN1 becomes one insurance entry', () => {
    const { result, extra } = evaluateWithRepeats(set('hl7.adt.patient.in'), msg, ctx, [{ array: 'insurance', segment: 'IN1' }])
    expect(extra).toHaveLength(2)
    expect((result.output.insurance as { plan_id: string }[]).map((i) => i.plan_id)).toEqual(['PLAN-A', 'PLAN-B', 'PLAN-C'])
    expect(subsetFor(set('hl7.adt.patient.in'), 'insurance').fields.every((f) => f.target.startsWith('insurance.0.'))).toBe(true)
  })
})

describe('patient ids', () => {
  it('the MRN scoped by its assigning authority, plus athenahealth ids from PID-2/PID-3', () => {
    expect(patientIds(msg)).toEqual([
      { system: 'mrn:HOSP', value: 'M1' },
      { system: 'athena', value: 'A-77' },
      { system: 'athena', value: 'AX' },
    ])
    expect(patientIds(parseHl7('MSH|^~\\&|A|B|C|D|2026||ADT^A04|1|P|2.5\rPID|1||M2'))).toEqual([{ system: 'mrn', value: 'M2' }])
    expect(hl7Date('19800102120000')).toBe('1980-01-02')
    expect(hl7Date('1980')).toBeNull()
  })
})

describe('patient groups (ORU reporting on several patients)', () => {
  const two = parseHl7(
    [
      'MSH|^~\\&|LAB|FAC|PS|CLINIC|20260309140000||ORU^R01^ORU_R01|C10|P|2.5.1',
      'PID|1||M1^^^HOSP^MR||DOE^JANE||19800102|F',
      'OBR|1|P1|F1|CBC',
      'OBX|1|NM|WBC||7.5',
      'PID|2||M2^^^HOSP^MR||ROE^RICHARD||19700304|M',
      'NK1|1|ROE^ANN',
      'OBR|1|P9|F9|BMP',
      'OBX|1|NM|NA||140',
      'OBX|2|NM|K||4.1',
    ].join('\r'),
  )

  it('one view per PID, each with the header and its own segments up to the next PID', () => {
    const groups = patientGroups(two)
    expect(groups.map((g) => g.segments.map((s) => s.id))).toEqual([
      ['MSH', 'PID', 'OBR', 'OBX'],
      ['MSH', 'PID', 'NK1', 'OBR', 'OBX', 'OBX'],
    ])
    expect(groups.map((g) => patientIds(g))).toEqual([[{ system: 'mrn:HOSP', value: 'M1' }], [{ system: 'mrn:HOSP', value: 'M2' }]])
    expect(groups[1]!.get('OBX-3')).toBe('NA')
    expect(groups[1]!.get('OBX[2]-5')).toBe('4.1')
    expect(groups[1]!.controlId).toBe('C10')
    expect(childOccurrences(groups[1]!, 'OBX', 'OBR')).toEqual([{ index: 1, parent: 1 }, { index: 2, parent: 1 }])
  })

  it('a message with one PID (or none) is its own only group', () => {
    expect(patientGroups(msg)).toEqual([msg])
  })

  it('a result before the first PID of a multi-patient message is refused, not given to a patient', () => {
    const orphan = parseHl7(['MSH|^~\\&|LAB|FAC|PS|CLINIC|20260309140000||ORU^R01|C11|P|2.5.1', 'OBR|1|P0', 'OBX|1|NM|X||1', 'PID|1||M1', 'PID|2||M2'].join('\r'))
    expect(() => patientGroups(orphan)).toThrow(expect.objectContaining({ code: 'validation_error', message: expect.stringMatching(/2 patients but has an OBR before its first PID/) }))
  })
})

describe('mappingFailure', () => {
  it('code_map_miss wins, names source, target and the code that missed (no other value), and lists the sets in force', () => {
    const bad = parseHl7('MSH|^~\\&|A|B|C|D|2026||ADT^A04|1|P|2.5\rPID|1||M3||ROE^R||19801340|Q')
    const s = set('hl7.adt.patient.in')
    const result = evaluateMapping(s, scopedAccessor(bad, {}), { ...ctx, now: () => 0 })
    const e = mappingFailure([{ result, set: s, key: s.key, version: 3 }])!
    expect(e.code).toBe('code_map_miss')
    expect(e.retryable).toBe(false)
    expect(e.message).toMatch(/^Mapping hl7\.adt\.patient\.in failed: /)
    expect(e.message).toContain('PID-8 → gender')
    expect(e.message).toContain('PID-7 → date_of_birth')
    expect(e.message).toContain("PID-8 → gender: code 'Q' not in code map hl7_sex")
    expect(e.message).not.toMatch(/19801340/)
    expect(e.details).toMatchObject({ mappingSets: ['hl7.adt.patient.in v3'] })
    expect(collectMisses([result, result])).toEqual([{ map: 'hl7_sex', value: 'Q', fieldId: 'gender', resolution: 'error' }])
    expect(mappingFailure([])).toBeNull()
  })

  it('a long or unprintable code that missed is described by its length, never shown', () => {
    const bad = parseHl7('MSH|^~\\&|A|B|C|D|2026||ADT^A04|1|P|2.5\rPID|1||M3||ROE^R||19801010|QUINTERO-ALVAREZ MARISOL ELENA')
    const s = set('hl7.adt.patient.in')
    const e = mappingFailure([{ result: evaluateMapping(s, scopedAccessor(bad, {}), ctx), set: s, key: s.key, version: null }])!
    expect(e.message).toContain('code of 30 characters not in code map hl7_sex')
    expect(e.message).not.toContain('QUINTERO')
  })

  it('only validation problems make a validation_error; more than three are summarised', () => {
    const bad = parseHl7('MSH|^~\\&|A|B|C|D|2026||ADT^A04|1|P|2.5\rPID|1||||ROE||19801340|F')
    const s = set('hl7.adt.patient.in')
    const result = evaluateMapping(s, scopedAccessor(bad, {}), ctx)
    const e = mappingFailure([{ result, set: s, key: s.key, version: null }, { result, set: s, key: s.key, version: null, scopeLabel: 'again' }])!
    expect(e.code).toBe('validation_error')
    expect(e.message).toMatch(/\(\+1 more\)$/)
  })
})
