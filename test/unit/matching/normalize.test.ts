/**
 * The normaliser's shortcuts give what the full path gives: a North American number already in
 * E.164 form is taken as it is (no libphonenumber parse), and a plain A–Z name is only upper-cased.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js'
import { describe, expect, it } from 'vitest'
import { foldName, normalizePatient, normalizePhone } from '../../../electron/engine/matching/normalize'

/** What normalisation did before the shortcut: libphonenumber's parse, kept when possible. */
function parsed(text: string, country: string): string {
  const p = parsePhoneNumberFromString(text, country as CountryCode)
  return p?.isPossible() ? p.number : ''
}

describe('matcher normalisation shortcuts', () => {
  it('takes a NANP number in E.164 form as libphonenumber would, whatever the default country', () => {
    let checked = 0
    for (let area = 200; area <= 999; area++) {
      for (const rest of ['2000000', '5550123', '9119999', '7341234']) {
        const text = `+1${area}${rest}`
        for (const country of ['US', 'CA', 'GB']) {
          expect(normalizePhone(text, country)).toBe(parsed(text, country))
          checked++
        }
      }
    }
    expect(checked).toBe(800 * 4 * 3)
  })

  it('still parses every other form (national, other countries, junk)', () => {
    for (const text of ['(217) 200-0001', '217-200-0001', '+442079460000', '+1 217 200 0001', '+11234567890', '12345', 'call me', '']) {
      expect(normalizePhone(text, 'US')).toBe(text.trim() ? parsed(text, 'US') : '')
    }
  })

  it('folds a plain name by upper-casing it and anything else through the full path', () => {
    expect(foldName('Mary Ann')).toBe('MARY ANN')
    expect(foldName('  José  María ')).toBe('JOSE MARIA')
    expect(foldName("O'Brien-Smith")).toBe('O BRIEN SMITH')
    expect(foldName('Smith  Jr.')).toBe('SMITH JR')
    expect(foldName(42)).toBe('')
  })

  it('splits a generational suffix off either name (the given name’s when both have one)', () => {
    const p = normalizePatient(1, { first_name: 'John Sr', last_name: 'Smith Jr', date_of_birth: '1960-01-02' })
    expect(p).toMatchObject({ first: 'JOHN', last: 'SMITHJR', suffix: 'SR' })
    expect(normalizePatient(3, { first_name: 'John', last_name: 'Smith Jr' })).toMatchObject({ first: 'JOHN', last: 'SMITH', suffix: 'JR' })
    expect(normalizePatient(2, { first_name: 'Baby Girl', last_name: 'Doe' }).placeholder).toBe(true)
  })
})
