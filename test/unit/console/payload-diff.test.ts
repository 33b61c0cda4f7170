import { describe, expect, it } from 'vitest'
import { diffPayload } from '../../../renderer/src/pages/inspector/payload-diff'

const ORIGINAL = ['MSH|^~\\&|EPIC|DOWNTOWN|PS|PS|20261125080000||ADT^A04|C1|P|2.5.1', 'PID|1||M1^^^MRN||DOE^JANE||19841304|F', 'OBX|1|NM|HR||72', 'OBX|2|NM|RR||16'].join('\r')

describe('payload diff', () => {
  it('names each changed HL7 field by its path, with MSH numbered as HL7 numbers it', () => {
    const edited = ORIGINAL.replace('19841304', '19840413').replace('|C1|', '|C1B|').replace('RR||16', 'RR||18')
    expect(diffPayload(ORIGINAL, edited)).toEqual([
      { path: 'MSH-10', change: 'changed', before: 'C1', after: 'C1B' },
      { path: 'PID-7', change: 'changed', before: '19841304', after: '19840413' },
      { path: 'OBX[2]-5', change: 'changed', before: '16', after: '18' },
    ])
  })

  it('reports fields emptied or filled, and segments added or removed', () => {
    const edited = ORIGINAL.replace('|F', '|').replace('\rOBX|2|NM|RR||16', '') + '\rNTE|1||checked'
    expect(diffPayload(ORIGINAL, edited)).toEqual([
      { path: 'PID-8', change: 'removed', before: 'F', after: null },
      { path: 'OBX[2]', change: 'removed', before: 'OBX|2|NM|RR||16', after: null },
      { path: 'NTE', change: 'added', before: null, after: 'NTE|1||checked' },
    ])
  })

  it('accepts the line endings an editor gives back, and finds no change where there is none', () => {
    expect(diffPayload(ORIGINAL, ORIGINAL.replace(/\r/g, '\n'))).toEqual([])
  })

  it('compares other payloads line by line', () => {
    expect(diffPayload('{\n "a": 1\n}', '{\n "a": 2\n}')).toEqual([{ path: 'line 2', change: 'changed', before: ' "a": 1', after: ' "a": 2' }])
  })
})
