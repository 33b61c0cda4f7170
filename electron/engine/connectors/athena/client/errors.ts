/**
 * athena's errors as data (reference §3.4): `{error, detailedmessage, missingfields}` becomes an
 * AppError with a stable code, athena's public message and missing fields in `details`, and a hint
 * from the troubleshooting table for the failures operators meet most. `detailedmessage` never goes
 * into the error (it can quote submitted values); the API log keeps it for the developer view.
 */
import { AppError, type ErrorCode } from '../../../../../shared/errors'
import type { AthenaErrorBody } from './response'

const HINTS: Array<[RegExp, string, ErrorCode?]> = [
  [/already booked/i, 'The slot was taken in the meantime; search open slots again and pick another.', 'conflict'],
  [/has already been cancelled|has been cancelled/i, 'The appointment is cancelled in athenaNet and cannot be changed.', 'conflict'],
  [/frozen/i, 'The slot is frozen in athenaNet; unfreeze it there or pick another slot.', 'conflict'],
  [/not booked/i, 'Only booked appointments can be cancelled or rescheduled.', 'conflict'],
  [/checked in/i, 'The appointment has been checked in; change it in athenaNet.', 'conflict'],
  [/patient id does not match/i, 'The appointment belongs to another patient.', 'conflict'],
  [/reason is not valid for this appointment slot/i, "The reason does not fit the slot's appointment type; choose a slot offered for that reason.", 'validation_error'],
  [/Additional fields are required/i, 'athenaNet needs more fields; see the missing fields.', 'validation_error'],
  [/data provided is invalid/i, 'A value has the wrong format: dates are MM/DD/YYYY, times HH:MM, ids numeric.', 'validation_error'],
  [/Invalid practice/i, 'The athenaNet practice id configured for this practice does not exist.', 'not_found'],
  [/Incorrect permissions/i, 'The credentials are not granted access to this practice.', 'auth_failed'],
  [/Changed messages require setup/i, 'The changed-data subscription is missing; an incremental sync subscribes first.', 'remote_rejected'],
  [/unknown API path/i, 'athenaNet does not know this endpoint (check the environment and base URL).', 'remote_rejected'],
  [/Invalid (patient|appointment|department|provider|reason|appointment type|appointment cancel reason) ID/i, 'An id does not exist in this athenaNet practice.', 'not_found'],
]

export function hintFor(message: string | null): { hint: string; code?: ErrorCode } | null {
  if (!message) return null
  for (const [re, hint, code] of HINTS) if (re.test(message)) return { hint, code }
  return null
}

export function errorFromResponse(status: number, body: AthenaErrorBody, ctx: { endpoint: string; requestId: string }): AppError {
  const publicMessage = body.error ?? `HTTP ${status}`
  const h = hintFor(body.error)
  let code: ErrorCode
  if (status === 404) code = 'not_found'
  else if (status === 401 || status === 403) code = 'auth_failed'
  else if (status === 409) code = 'conflict'
  else if (body.missingfields.length || /invalid/i.test(publicMessage)) code = 'validation_error'
  else code = 'remote_rejected'
  if (h?.code && status < 500) code = h.code
  const missing = body.missingfields.length ? ` Missing: ${body.missingfields.join(', ')}.` : ''
  return new AppError(code, `athenaNet: ${publicMessage}${missing}${h ? ` ${h.hint}` : ''}`, {
    retryable: false,
    details: { status, athenaError: body.error, missingfields: body.missingfields, hint: h?.hint ?? null, endpoint: ctx.endpoint, requestId: ctx.requestId },
  })
}
