/**
 * Where an athenaNet connection points (reference §1, H): the preview and production platform
 * hosts, or the local sandbox this engine runs in-process. A connection's `baseUrl` wins (tests,
 * proxies, a standalone sandbox).
 */
import { AppError } from '../../../../shared/errors'
import type { AthenaConnectionConfig } from '../../../../shared/config'

export const ATHENA_HOSTS = {
  preview: 'https://api.preview.platform.athenahealth.com',
  production: 'https://api.platform.athenahealth.com',
} as const

/** H: 50 token requests per minute in production, 5 in preview. The sandbox follows preview. */
export const TOKEN_REQUESTS_PER_MINUTE = { sandbox: 5, preview: 5, production: 50 } as const

export function resolveBaseUrl(cfg: Pick<AthenaConnectionConfig, 'environment' | 'baseUrl'>, sandboxUrl: string | null): string {
  if (cfg.baseUrl) return cfg.baseUrl.replace(/\/+$/, '')
  if (cfg.environment === 'sandbox') {
    if (!sandboxUrl) throw new AppError('connection_refused', 'The local athenaNet sandbox is not running.', { retryable: true })
    return sandboxUrl
  }
  return ATHENA_HOSTS[cfg.environment]
}
