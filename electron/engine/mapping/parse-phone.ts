/**
 * libphonenumber parsing, remembered. Parsing is the costly part of a phone transform and of the
 * matcher's normalising, and an import meets each number several times: the mapping parses the
 * file's "(217) 200-0001", the matcher then parses the "+12172000001" the mapping wrote, and again
 * when it observes the stored patient. A parse is remembered under the text and, for the matcher's
 * next look, under the E.164 form it produced (which parses to the same number). Bounded: cleared
 * when full. The PhoneNumber objects are shared: read them, never change them.
 */
import { parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js'

const MEMO = new Map<string, PhoneNumber | null>()
const MEMO_MAX = 16_384

export function parsePhone(text: string, defaultCountry: string): PhoneNumber | undefined {
  // A number in international form ignores the default country.
  const key = text.startsWith('+') ? text : `${defaultCountry}\u0000${text}`
  let p = MEMO.get(key)
  if (p === undefined) {
    try {
      p = parsePhoneNumberFromString(text, defaultCountry as CountryCode) ?? null
    } catch {
      p = null
    }
    if (MEMO.size >= MEMO_MAX) MEMO.clear()
    MEMO.set(key, p)
    // An extension is not part of the E.164 form: such a parse is not what that form parses to.
    if (p && !p.ext && p.number !== text) MEMO.set(p.number, p)
  }
  return p ?? undefined
}
