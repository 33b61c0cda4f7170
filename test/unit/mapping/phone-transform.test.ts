import { describe, expect, it } from 'vitest'
import type { Transform } from '../../../shared/mapping'
import { runOn } from './helpers'

type Phone = Extract<Transform, { op: 'phone' }>
const phone = (p: Partial<Phone> = {}): Phone => ({ op: 'phone', defaultCountry: 'US', format: 'E164', invalid: 'error', ...p })

describe('phone', () => {
  it.each([
    ['6172531000', '+16172531000'],
    ['(617) 253-1000', '+16172531000'],
    ['617.253.1000', '+16172531000'],
    ['+1 617 253 1000', '+16172531000'],
    ['1-617-253-1000', '+16172531000'],
    ['617-253-1000 x123', '+16172531000'],
    ['+44 20 7183 8750', '+442071838750'],
  ])('formats %s as E.164', (input, out) => {
    expect(runOn(input, [phone()])).toMatchObject({ value: out, error: undefined })
  })

  it('reads a number that arrived as a JSON number', () => {
    expect(runOn(6172531000, [phone()]).value).toBe('+16172531000')
  })

  it('writes national digits (what athenaNet takes), national and international formats', () => {
    expect(runOn('+16172531000', [phone({ format: 'NATIONAL_DIGITS' })]).value).toBe('6172531000')
    expect(runOn('+16172531000', [phone({ format: 'NATIONAL' })]).value).toBe('(617) 253-1000')
    expect(runOn('+16172531000', [phone({ format: 'INTERNATIONAL' })]).value).toBe('+1 617 253 1000')
  })

  it("the 555 area code formats but is not valid: 'valid' rejects it, 'possible' accepts it", () => {
    expect(runOn('(555) 555-0100', [phone()])).toMatchObject({ value: null, error: 'invalid_phone' })
    expect(runOn('(555) 555-0100', [phone({ validity: 'possible' })]).value).toBe('+15555550100')
  })

  it('invalid numbers: error, keep as written, or drop, with a warning for keep/drop', () => {
    expect(runOn(' 555 ', [phone()])).toMatchObject({ value: null, error: 'invalid_phone', warnings: [] })
    expect(runOn(' 555 ', [phone({ invalid: 'keep' })])).toMatchObject({ value: '555', error: undefined, warnings: ['invalid_phone'] })
    expect(runOn('12', [phone({ invalid: 'drop' })])).toMatchObject({ value: null, error: undefined, warnings: ['invalid_phone'] })
    expect(runOn('call me', [phone({ invalid: 'drop', validity: 'possible' })])).toMatchObject({ value: null, warnings: ['invalid_phone'] })
    expect(runOn('99999999999999999999', [phone()]).error).toBe('invalid_phone')
  })

  it('an empty value is not an invalid number', () => {
    expect(runOn('', [phone()])).toMatchObject({ value: null, error: undefined, warnings: [] })
  })

  it('another default country', () => {
    expect(runOn('020 7183 8750', [phone({ defaultCountry: 'GB' })]).value).toBe('+442071838750')
  })
})
