/** Interface filter rules (as data) and the supported message types. */
import { describe, expect, it } from 'vitest'
import { hl7FilterRuleSchema, type Hl7FilterRule } from '../../../shared/config'
import { parseHl7 } from '../../../electron/engine/connectors/hl7'
import { evaluateFilters, NO_ACCEPT_RULE, ruleMatches } from '../../../electron/engine/connectors/hl7-engine/filters'
import { interfaceAccepts, isSupportedCode, SUPPORTED_SUMMARY, SUPPORTED_TYPES, supportedType } from '../../../electron/engine/connectors/hl7-engine/message-types'

const msg = (o: { type?: string; facility?: string; processing?: string; pv1?: string } = {}) =>
  parseHl7(`MSH|^~\\&|APP|${o.facility ?? 'FAC^1.2.3^ISO'}|R|RF|20260101||${o.type ?? 'ADT^A04'}|C1|${o.processing ?? 'P'}|2.5.1\rPID|1||M1^^^A^MR||DOE^JANE\rPV1|1|${o.pv1 ?? 'O'}|WARD^1\r`)
const rule = (r: Partial<Hl7FilterRule> & { name: string; action: 'accept' | 'reject' }): Hl7FilterRule => hl7FilterRuleSchema.parse(r)

describe('filter rules', () => {
  it('an empty rule list accepts everything', () => {
    expect(evaluateFilters([], msg())).toEqual({ accept: true })
  })

  it('match by message type (code or code^trigger), sending facility (HD.1 or whole), processing id', () => {
    expect(ruleMatches(rule({ name: 'r', action: 'reject', messageTypes: ['ADT'] }), msg())).toBe(true)
    expect(ruleMatches(rule({ name: 'r', action: 'reject', messageTypes: ['adt^a04'] }), msg())).toBe(true)
    expect(ruleMatches(rule({ name: 'r', action: 'reject', messageTypes: ['ADT^A08', 'SIU'] }), msg())).toBe(false)
    expect(ruleMatches(rule({ name: 'r', action: 'reject', sendingFacilities: ['FAC'] }), msg())).toBe(true)
    expect(ruleMatches(rule({ name: 'r', action: 'reject', sendingFacilities: ['FAC^1.2.3^ISO'] }), msg())).toBe(true)
    expect(ruleMatches(rule({ name: 'r', action: 'reject', sendingFacilities: ['OTHER'] }), msg())).toBe(false)
    expect(ruleMatches(rule({ name: 'r', action: 'reject', processingIds: ['T'] }), msg({ processing: 'T' }))).toBe(true)
    expect(ruleMatches(rule({ name: 'r', action: 'reject', processingIds: ['T'] }), msg())).toBe(false)
  })

  it('field conditions: equals, not_equals, in, empty, not_empty, matches; all must hold', () => {
    const m = msg({ pv1: 'I' })
    const c = (conditions: Hl7FilterRule['conditions']) => ruleMatches(rule({ name: 'r', action: 'reject', conditions }), m)
    expect(c([{ path: 'PV1-2', op: 'equals', value: 'I' }])).toBe(true)
    expect(c([{ path: 'PV1-2', op: 'not_equals', value: 'I' }])).toBe(false)
    expect(c([{ path: 'PV1-2', op: 'in', value: ['E', 'I'] }])).toBe(true)
    expect(c([{ path: 'PV1-3.2', op: 'equals', value: '1' }, { path: 'PID-3.5', op: 'equals', value: 'MR' }])).toBe(true)
    expect(c([{ path: 'PV1-3.2', op: 'equals', value: '1' }, { path: 'PID-3.5', op: 'equals', value: 'XX' }])).toBe(false)
    expect(c([{ path: 'PV1-19', op: 'empty' }])).toBe(true)
    expect(c([{ path: 'PID-5', op: 'not_empty' }])).toBe(true)
    expect(c([{ path: 'PID-3', op: 'matches', value: '^M\\d+$' }])).toBe(true)
    expect(c([{ path: 'PID-3', op: 'matches', value: '(' }])).toBe(false)
    expect(c([{ path: 'not a path', op: 'empty' }])).toBe(false)
  })

  it('the first matching rule decides; accept rules make the list a whitelist', () => {
    const rules = [rule({ name: 'no-test', action: 'reject', processingIds: ['T'] }), rule({ name: 'adt-only', action: 'accept', messageTypes: ['ADT'] })]
    expect(evaluateFilters(rules, msg({ processing: 'T' }))).toMatchObject({ accept: false, rule: 'no-test' })
    expect(evaluateFilters(rules, msg())).toEqual({ accept: true })
    expect(evaluateFilters(rules, msg({ type: 'SIU^S12' }))).toMatchObject({ accept: false, rule: NO_ACCEPT_RULE })
    expect(evaluateFilters([rule({ name: 'drop-siu', action: 'reject', messageTypes: ['SIU'] })], msg())).toEqual({ accept: true })
  })
})

describe('supported message types', () => {
  it('route on MSH-9 code and trigger, case-insensitively', () => {
    expect(supportedType('adt', 'a08')).toMatchObject({ route: 'adt', action: 'update' })
    expect(supportedType('SIU', 'S15')).toMatchObject({ route: 'siu', action: 'cancel' })
    expect(supportedType('ADT', 'A02')).toBeUndefined()
    expect(isSupportedCode('ADT')).toBe(true)
    expect(isSupportedCode('ORM')).toBe(false)
    expect(SUPPORTED_TYPES).toHaveLength(16)
    expect(SUPPORTED_SUMMARY).toBe('ADT^A01/A04/A08/A31/A40/A34/A18, SIU^S12/S13/S14/S15/S17/S26, ORU^R01, DFT^P03, MDM^T02')
  })

  it("an interface's messageTypes narrows them", () => {
    expect(interfaceAccepts([], 'ORU', 'R01')).toBe(true)
    expect(interfaceAccepts(['ADT'], 'ADT', 'A08')).toBe(true)
    expect(interfaceAccepts(['ADT^A04', 'SIU'], 'ADT', 'A08')).toBe(false)
    expect(interfaceAccepts([' siu '], 'SIU', 'S12')).toBe(true)
  })
})
