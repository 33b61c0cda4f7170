import { describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import { formatHl7Path, hl7Accessor, parseHl7, parseHl7Path } from '../../../electron/engine/connectors/hl7'

const ORU = [
  'MSH|^~\\&|LAB|HOSP|EHR|CLINIC|20240102030405||ORU^R01^ORU_R01|CTRL-1|P|2.5.1|||AL|NE||UNICODE UTF-8',
  'PID|1||12345^^^ATHENA&1.2.3&ISO^MRN~67890^^^OTHER^MR||DOE^JOHN^Q^JR^DR~ROE^JON||19800101|M|||1 MAIN ST^^SPRINGFIELD^IL^62701||""',
  'OBR|1|P1|F1|GLU^Glucose^L',
  'OBX|1|NM|GLU^Glucose^L||95|mg/dL|70-99|N|||F',
  'OBX|2|ST|NOTE^Note^L||first~second~~fourth||||||F',
  'NTE|1||line\\.br\\two',
].join('\r')

describe('HL7 paths', () => {
  it('parses HL7 notation (and the PID.5.1 spelling) and refuses anything else', () => {
    expect(parseHl7Path('PID-5.1')).toEqual({ segment: 'PID', field: 5, component: 1 })
    expect(parseHl7Path('OBX[2]-5')).toEqual({ segment: 'OBX', segmentIndex: 2, field: 5 })
    expect(parseHl7Path('PID-3(2).1')).toEqual({ segment: 'PID', field: 3, repetition: 2, component: 1 })
    expect(parseHl7Path('PID-3.4.2')).toEqual({ segment: 'PID', field: 3, component: 4, subcomponent: 2 })
    expect(parseHl7Path('PID.5.1')).toEqual({ segment: 'PID', field: 5, component: 1 })
    expect(formatHl7Path(parseHl7Path('OBX[2]-5(3).1.2'))).toBe('OBX[2]-5(3).1.2')
    for (const bad of ['', 'PID', 'PID-0', 'pid-5', 'PID-5.0', 'PID-5()', 'PID-5.1.1.1', 'PID[0]-5', 'PIDX-1', 'PID-5 ']) {
      expect(() => parseHl7Path(bad), bad).toThrow(AppError)
    }
  })
})

describe('field access', () => {
  const m = () => parseHl7(ORU)

  it('reads decoded values, 1-based, with component/subcomponent defaulting to 1', () => {
    const msg = m()
    expect(msg.get('MSH-9')).toBe('ORU')
    expect(msg.get('MSH-9.2')).toBe('R01')
    expect(msg.get('MSH-1')).toBe('|')
    expect(msg.get('MSH-2')).toBe('^~\\&')
    expect(msg.get('MSH-2.2')).toBeUndefined()
    expect(msg.get('MSH-10')).toBe('CTRL-1')
    expect(msg.get('PID-5.1')).toBe('DOE')
    expect(msg.get('PID-5')).toBe('DOE')
    expect(msg.get('PID-5(2).2')).toBe('JON')
    expect(msg.get('PID-3(2).1')).toBe('67890')
    expect(msg.get('PID-3.4.2')).toBe('1.2.3')
    expect(msg.get('OBX[2]-5')).toBe('first')
    expect(msg.get('OBX[2]-5(4)')).toBe('fourth')
    expect(msg.get('NTE-3')).toBe('line\\.br\\two')
  })

  it('returns undefined for absent, empty and the HL7 null, which isNull reports', () => {
    const msg = m()
    expect(msg.get('PID-6')).toBeUndefined()
    expect(msg.get('PID-99')).toBeUndefined()
    expect(msg.get('ZZZ-1')).toBeUndefined()
    expect(msg.get('OBX[3]-5')).toBeUndefined()
    expect(msg.get('PID-3(9).1')).toBeUndefined()
    expect(msg.get('OBX[2]-5(3)')).toBeUndefined()
    expect(msg.get('PID-13')).toBeUndefined()
    expect(msg.isNull('PID-13')).toBe(true)
    expect(msg.getRaw('PID-13')).toBe('""')
    expect(msg.isNull('PID-5')).toBe(false)
  })

  it('getRaw returns the undecoded text at the addressed level', () => {
    const msg = m()
    expect(msg.getRaw('PID-3')).toBe('12345^^^ATHENA&1.2.3&ISO^MRN~67890^^^OTHER^MR')
    expect(msg.getRaw('PID-3(2)')).toBe('67890^^^OTHER^MR')
    expect(msg.getRaw('PID-3.4')).toBe('ATHENA&1.2.3&ISO')
    expect(msg.getRaw('PID-3.4.3')).toBe('ISO')
    expect(msg.getRaw('NTE-3')).toBe('line\\.br\\two')
  })

  it('getAll spans repetitions, and every occurrence when the path names none', () => {
    const msg = m()
    expect(msg.getAll('PID-3')).toEqual(['12345', '67890'])
    expect(msg.getAll('PID-3.5')).toEqual(['MRN', 'MR'])
    expect(msg.getAll('OBX-5')).toEqual(['95', 'first', 'second', 'fourth'])
    expect(msg.getAll('OBX[2]-5')).toEqual(['first', 'second', 'fourth'])
    expect(msg.getAll('OBX-5(2)')).toEqual(['second'])
    expect(msg.getAll('IN1-3')).toEqual([])
  })

  it('set escapes values, pads, keeps other repetitions and serializes with CR', () => {
    const msg = m()
    msg.set('PID-5.1', 'O|BRIEN^X')
    expect(msg.getRaw('PID-5.1')).toBe('O\\F\\BRIEN\\S\\X')
    expect(msg.get('PID-5.1')).toBe('O|BRIEN^X')
    expect(msg.get('PID-5(2).1')).toBe('ROE')
    msg.set('PID-3(3).4.2', '9.9')
    expect(msg.getRaw('PID-3(3)')).toBe('^^^&9.9')
    msg.set('PV1-2', 'I')
    expect(msg.segments.at(-1)?.raw).toBe('PV1||I')
    msg.set('OBX[3]-5', 'new')
    expect(msg.segmentsNamed('OBX')).toHaveLength(3)
    msg.set('MSH-10', 'NEW\rID')
    const again = parseHl7(msg.toString())
    expect(again.get('PID-5.1')).toBe('O|BRIEN^X')
    expect(again.controlId).toBe('NEW\rID')
    expect(again.get('PV1-2')).toBe('I')
    expect(msg.toString().split('\r').filter(Boolean)).toHaveLength(8)
  })

  it('refuses writes that would corrupt the structure', () => {
    const msg = m()
    expect(() => msg.set('MSH-1', '#')).toThrow(AppError)
    expect(() => msg.set('MSH-2', '^~')).toThrow(AppError)
    expect(() => msg.set('OBX[5]-5', 'x')).toThrow(AppError)
    expect(() => msg.setRaw('PID-5.1', 'A^B')).toThrow(AppError)
    expect(() => msg.setRaw('PID-5', 'A|B')).toThrow(AppError)
    expect(() => msg.setRaw('PID-5', 'A\rB')).toThrow(AppError)
    msg.setRaw('PID-5', 'RAW^NAME~SECOND')
    expect(msg.getAll('PID-5')).toEqual(['RAW', 'SECOND'])
  })
})

describe('hl7Accessor (SourceAccessor for the mapping engine)', () => {
  it('exposes decoded get/getAll and reports bad paths as mapping errors', () => {
    const a = hl7Accessor(parseHl7(ORU))
    expect(a.get('PID-5.2')).toBe('JOHN')
    expect(a.get('PID-13')).toBeUndefined()
    expect(a.getAll('PID-3.1')).toEqual(['12345', '67890'])
    expect(a.getAll('ZZZ-1')).toEqual([])
    try {
      a.get('PID-')
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(AppError)
      expect((e as AppError).code).toBe('mapping_error')
    }
  })
})
