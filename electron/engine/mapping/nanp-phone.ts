/**
 * The common case of a US practice's files, answered without libphonenumber: a ten-digit North
 * American number written "(217) 555-0142", "217-555-0142", "217.555.0142" or "2175550142", wanted
 * as E.164 if valid. libphonenumber's parse and `isValid` cost ~25 µs a number (a fresh RegExp of
 * the US patterns per check), and a file's numbers are all different, so its memo (parse-phone.ts)
 * rarely hits. Whether such a number is valid depends only on its first six digits in the US
 * metadata (area code, then at most three more digits before a run of \d{4} or \d{6}), so the
 * answer libphonenumber gave for the first number of an area code + exchange is kept for the
 * others; test/unit/mapping/nanp-phone.test.ts checks it against libphonenumber for every area
 * code. Any other text, country or outcome goes through libphonenumber as before.
 */
import { parsePhone } from './parse-phone'

const NANP_TEXT = /^\(?([2-9]\d{2})\)?[-. ]?([2-9]\d{2})[-. ]?(\d{4})$/

/** Area code + exchange → whether libphonenumber found that number valid (US). Bounded: cleared when full. */
const VALID = new Map<string, boolean>()
const VALID_MAX = 65_536

/**
 * `text` (trimmed) as libphonenumber would give it for default country US with strict validity:
 * its E.164 form, or null (not valid); undefined when this shortcut does not apply.
 */
export function usPhoneE164(text: string): string | null | undefined {
  const m = NANP_TEXT.exec(text)
  if (!m) return undefined
  const prefix = m[1]! + m[2]!
  const e164 = `+1${prefix}${m[3]!}`
  let valid = VALID.get(prefix)
  if (valid === undefined) {
    const p = parsePhone(text, 'US')
    // Only a parse that gives this very number teaches the prefix anything.
    if (p === undefined || p.number !== e164 || p.ext) return undefined
    valid = p.isValid()
    if (VALID.size >= VALID_MAX) VALID.clear()
    VALID.set(prefix, valid)
  }
  return valid ? e164 : null
}
