/** Trying an interface's type list and filter rules on a pasted message: the listener's and the handler's decisions, nothing stored. */
import { describe, expect, it } from 'vitest'
import { hl7FilterRuleSchema, type Hl7FilterRule } from '../../../shared/config'
import { isAppError } from '../../../shared/errors'
import { tryInterface } from '../../../electron/engine/connectors/hl7-engine/try-interface'

const adt = (processing = 'P', type = 'ADT^A04') => `MSH|^~\\&|APP|FAC|R|RF|20260101||${type}|C77|${processing}|2.5.1\nPID|1||M1^^^A^MR||DOE^JANE\nPV1|1|O\n`
const rule = (r: Partial<Hl7FilterRule> & { name: string; action: 'accept' | 'reject' }): Hl7FilterRule => hl7FilterRuleSchema.parse(r)

describe('hl7.tryInterface', () => {
  it('accepts with no rules, and reads a message pasted with LF line ends and leading blank lines', () => {
    const r = tryInterface({ messageTypes: [], filters: [] }, `\n\n${adt()}`)
    expect(r).toMatchObject({ messageType: 'ADT^A04', controlId: 'C77', processingId: 'P', outcome: 'accepted', rule: null, rules: [] })
  })

  it('names the rule that filters, and traces every rule in order', () => {
    const filters = [rule({ name: 'no-tests', action: 'reject', processingIds: ['T'] }), rule({ name: 'adt-only', action: 'accept', messageTypes: ['ADT'] })]
    const t = tryInterface({ messageTypes: [], filters }, adt('T'))
    expect(t).toMatchObject({ outcome: 'filtered', rule: 'no-tests' })
    expect(t.rules).toEqual([
      { name: 'no-tests', action: 'reject', matches: true },
      { name: 'adt-only', action: 'accept', matches: true },
    ])
    const p = tryInterface({ messageTypes: [], filters }, adt('P'))
    expect(p).toMatchObject({ outcome: 'accepted', rule: null })
    expect(p.reason).toContain('adt-only')
    // An accept rule makes the list a whitelist: a SIU matches none and is filtered.
    expect(tryInterface({ messageTypes: [], filters }, adt('P', 'SIU^S12'))).toMatchObject({ outcome: 'filtered', rule: 'no-accept-rule-matched' })
  })

  it('with unsupportedTypes reject, refuses at the door what the engine does not process or the interface does not list, before any rule', () => {
    expect(tryInterface({ messageTypes: ['SIU'], filters: [], unsupportedTypes: 'reject' }, adt())).toMatchObject({ outcome: 'refused', rule: null })
    expect(tryInterface({ messageTypes: ['ADT^A04'], filters: [], unsupportedTypes: 'reject' }, adt())).toMatchObject({ outcome: 'accepted' })
    const r = tryInterface({ messageTypes: [], filters: [rule({ name: 'all', action: 'accept' })], unsupportedTypes: 'reject' }, adt('P', 'ADT^A02'))
    expect(r.outcome).toBe('refused')
    expect(r.reason).toContain('ADT^A02')
  })

  it('by default acknowledges a type it does not process and files it as filtered; a rule naming that type decides first', () => {
    const r = tryInterface({ messageTypes: [], filters: [] }, adt('P', 'ADT^A02'))
    expect(r).toMatchObject({ outcome: 'filtered', rule: 'type not processed by this interface' })
    expect(r.reason).toContain('AA')
    expect(tryInterface({ messageTypes: ['SIU'], filters: [] }, adt())).toMatchObject({ outcome: 'filtered', rule: 'type not processed by this interface' })
    const named = tryInterface({ messageTypes: [], filters: [rule({ name: 'drop-transfers', action: 'reject', messageTypes: ['ADT^A02'] })] }, adt('P', 'ADT^A02'))
    expect(named).toMatchObject({ outcome: 'filtered', rule: 'drop-transfers' })
    // A31 is processed now (update person, as A08).
    expect(tryInterface({ messageTypes: [], filters: [] }, adt('P', 'ADT^A31'))).toMatchObject({ outcome: 'accepted' })
  })

  it('an unparseable message is a typed parse_error, not a verdict', () => {
    let err: unknown
    try {
      tryInterface({ messageTypes: [], filters: [] }, 'PID|1||M1\r')
    } catch (e) {
      err = e
    }
    expect(isAppError(err) && err.code).toBe('parse_error')
  })
})
