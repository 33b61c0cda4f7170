/**
 * athena's error bodies (reference §3.4). Handlers throw ApiError; the server renders it.
 * `error` is the public message and `detailedmessage` the developer detail (H, S6).
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** JSON body, or a string sent as-is with `contentType` (gateway-style errors have no JSON). */
    readonly body: unknown,
    readonly contentType?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body === 'object' && body && 'error' in body ? String((body as { error: unknown }).error) : `HTTP ${status}`)
  }
}

export function missingFields(fields: string[], detailedmessage?: string): ApiError {
  return new ApiError(400, {
    error: 'Additional fields are required.',
    ...(detailedmessage ? { detailedmessage } : {}),
    missingfields: fields,
  })
}

export function invalidData(detailedmessage: string): ApiError {
  return new ApiError(400, { error: 'The data provided is invalid.', detailedmessage })
}

export function badRequest(error: string, detailedmessage?: string): ApiError {
  return new ApiError(400, detailedmessage ? { error, detailedmessage } : { error })
}

export function notFound(error: string, detailedmessage?: string): ApiError {
  return new ApiError(404, detailedmessage ? { error, detailedmessage } : { error })
}

export const unknownPath = (): ApiError => notFound('An unknown API path was called')

export const invalidPractice = (): ApiError => notFound('Invalid practice.', 'The practice ID does not exist.')

export const incorrectPermissions = (detail = 'Bad auth.'): ApiError =>
  new ApiError(401, { error: 'Incorrect permissions.', detailedmessage: detail })

/** The API gateway answers bad or missing bearers itself, without JSON (H, S4/S6). */
export function developerInactive(headers: Record<string, string> = {}): ApiError {
  return new ApiError(401, '<h1>Developer Inactive</h1>', 'text/html', headers)
}
