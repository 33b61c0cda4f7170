import { parsePhoneNumberFromString } from 'libphonenumber-js'
import { describe, expect, it } from 'vitest'
import { usPhoneE164 } from '../../../electron/engine/mapping/nanp-phone'

/** What the phone transform gave before the shortcut: libphonenumber's E.164 when valid, else null. */
function libphonenumber(text: string): string | null {
  const p = parsePhoneNumberFromString(text, 'US')
  return p?.isValid() ? p.number : null
}

describe('usPhoneE164', () => {
  it('answers as libphonenumber does for every area code, the exchange learnt from another number', () => {
    const exchanges = [200, 201, 211, 234, 310, 411, 555, 611, 747, 911, 958, 999]
    const formats = [(a: number, x: number, s: string) => `(${a}) ${x}-${s}`, (a: number, x: number, s: string) => `${a}-${x}-${s}`, (a: number, x: number, s: string) => `${a}.${x}.${s}`, (a: number, x: number, s: string) => `${a}${x}${s}`]
    let valid = 0
    let invalid = 0
    const wrong: string[] = []
    for (let a = 200; a <= 999; a++) {
      for (const x of exchanges) {
        // The first number of an area code + exchange teaches the shortcut; the others are answered from it.
        for (const [i, s] of ['0142', '9999', '0000', '5381'].entries()) {
          const text = formats[i]!(a, x, s)
          const want = libphonenumber(text)
          const got = usPhoneE164(text)
          if (got !== want) wrong.push(`${text}: ${got} instead of ${want}`)
          if (want) valid++
          else invalid++
        }
      }
    }
    expect(wrong).toEqual([])
    // Both answers occur often (the fictional 555 exchange is valid in the US metadata, area code 555 is not).
    expect(valid).toBeGreaterThan(10_000)
    expect(invalid).toBeGreaterThan(5_000)
  })

  it('leaves other writings to libphonenumber', () => {
    for (const text of ['+1 617 253 1000', '1-617-253-1000', '617-253-1000 x123', '+44 20 7183 8750', '617 253 100', '(117) 253-1000', '617/253/1000']) {
      expect(usPhoneE164(text)).toBeUndefined()
    }
  })
})
