/**
 * Turns what fetch throws into stable error codes: our timeout, a refused or reset connection, a
 * TLS failure (never bypassed, API-10), a DNS failure, or a generic network error. Messages name
 * the failure, never the request.
 */
import { AppError } from '../../../../../shared/errors'

function causeCode(e: unknown): string | undefined {
  let cur: unknown = e
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code
    if (typeof code === 'string') return code
    cur = (cur as { cause?: unknown }).cause
  }
  return undefined
}

export function classifyFetchError(e: unknown, timeoutMs: number): AppError {
  if (e instanceof AppError) return e
  const name = (e as { name?: string })?.name
  if (name === 'TimeoutError') return new AppError('timeout', `athenaNet did not answer within ${timeoutMs} ms.`)
  const code = causeCode(e)
  switch (code) {
    case 'ECONNREFUSED':
      return new AppError('connection_refused', 'The athenaNet host refused the connection.')
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return new AppError('connection_reset', 'The connection to athenaNet was reset.')
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new AppError('network_error', 'The athenaNet host name could not be resolved (DNS).')
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return new AppError('timeout', 'Connecting to athenaNet timed out.')
    default:
      if (code && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code)) return new AppError('tls_error', 'The athenaNet TLS certificate could not be verified.', { retryable: false })
      return new AppError('network_error', 'A network error interrupted the athenaNet call.')
  }
}
