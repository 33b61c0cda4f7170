/** Error groups: one key per cause, an example with its variable parts marked, identifiers kept literal. */
import { describe, expect, it } from 'vitest'
import { errorGroupKey, errorGroupName, errorParts, errorPattern } from '../../../electron/engine/pipeline/error-group'

const marked = (m: string): string => errorParts(m).map((p) => (p.variable ? `[${p.text}]` : p.text)).join('')

describe('error groups', () => {
  it('marks the variable parts of the real text, and the parts join back to it', () => {
    const m = 'The message is stored (transaction 4812) but processing did not finish within 60 s; it will be processed.'
    expect(marked(m)).toBe('The message is stored (transaction [4812]) but processing did not finish within [60] s; it will be processed.')
    expect(errorParts(m).map((p) => p.text).join('')).toBe(m)
    expect(marked('Patient "PT-1002" was updated on 2026-06-01T10:00:00Z by c0ffee00-1234-4abc-8def-0123456789ab')).toBe(
      'Patient "[PT-1002]" was updated on [2026-06-01T10:00:00Z] by [c0ffee00-1234-4abc-8def-0123456789ab]',
    )
    expect(errorParts('rule "no-tests"')[1]).toEqual({ text: 'no-tests', variable: 'quoted' })
  })

  it('keeps field paths, message types, versions and map names literal', () => {
    const miss = "Mapping hl7.adt.patient.in failed: PID-8 → gender: code '2' not in code map hl7_sex"
    expect(marked(miss)).toBe("Mapping hl7.adt.patient.in failed: PID-8 → gender: code '[2]' not in code map hl7_sex")
    expect(marked('MSH-18 names a character set; MSH-12 (version id) 2.5.1 and PID-3.1 are fine')).toBe('MSH-18 names a character set; MSH-12 (version id) 2.5.1 and PID-3.1 are fine')
    expect(errorParts('Message type ADT^A02 is not supported (supported: ADT^A01/A04/A08, SIU^S12).').every((p) => !p.variable)).toBe(true)
  })

  it('groups unsupported types per type and code-map misses per map, whatever the code', () => {
    const t = (type: string) => errorGroupKey('unsupported_message', `Message type ${type} is not supported (supported: ADT^A01/A04).`)
    expect(t('ADT^A02')).not.toBe(t('ADT^A03'))
    expect(t('ADT^A02')).toBe(t('ADT^A02'))
    const miss = (v: string, map: string) => errorGroupKey('code_map_miss', `PID-8 → gender: code '${v}' not in code map ${map}`)
    expect(miss('2', 'hl7_sex')).toBe(miss('Q', 'hl7_sex'))
    expect(miss('2', 'hl7_sex')).not.toBe(miss('2', 'hl7_race'))
    expect(errorPattern("code '2' not in code map hl7_sex")).toBe("code '…' not in code map hl7_sex")
    expect(errorPattern('attempt 3 of 5 on 2026-06-01')).toBe('attempt # of # on <date>')
  })

  it('names a group readably from its example', () => {
    expect(errorGroupName('unsupported_message', 'Message type ADT^A02 is not supported.')).toBe('unsupported_message: Message type ADT^A02 is not supported.')
    expect(errorGroupName('mapping_error', 'x'.repeat(300))).toHaveLength('mapping_error: '.length + 160)
  })
})
