/**
 * Phone numbers via libphonenumber-js. Strict validity (isValid) knows real numbering plans and
 * rejects e.g. the fictional 555 area code that test and demo data use; 'possible' only checks
 * the length, for practices whose data is full of such numbers.
 */
import type { Transform } from '../../../shared/mapping'
import { usPhoneE164 } from './nanp-phone'
import { parsePhone } from './parse-phone'
import { FieldFailure, warn, type TransformEnv } from './mapping-context'
import { isEmpty } from './paths'
import { asText } from './text-transforms'

type PhoneOp = Extract<Transform, { op: 'phone' }>

export function phone(value: unknown, t: PhoneOp, env: TransformEnv): unknown {
  if (isEmpty(value)) return value
  const text = asText(value).trim()
  if (t.defaultCountry === 'US' && t.format === 'E164' && (t.validity ?? 'valid') === 'valid') {
    const e164 = usPhoneE164(text)
    if (e164) return e164
    if (e164 === null) return invalid(text, t, env)
  }
  const parsed = parsePhone(text, t.defaultCountry)
  const acceptable = parsed !== undefined && ((t.validity ?? 'valid') === 'valid' ? parsed.isValid() : parsed.isPossible())
  if (parsed && acceptable) {
    switch (t.format) {
      case 'E164':
        return parsed.number
      case 'NATIONAL_DIGITS':
        return parsed.nationalNumber
      case 'NATIONAL':
        return parsed.formatNational()
      case 'INTERNATIONAL':
        return parsed.formatInternational()
    }
  }
  return invalid(text, t, env)
}

function invalid(text: string, t: PhoneOp, env: TransformEnv): unknown {
  switch (t.invalid) {
    case 'error':
      throw new FieldFailure('invalid_phone', 'not a valid phone number')
    case 'keep':
      warn(env, 'invalid_phone', 'not a valid phone number; kept as written')
      return text
    case 'drop':
      warn(env, 'invalid_phone', 'not a valid phone number; dropped')
      return undefined
  }
}
