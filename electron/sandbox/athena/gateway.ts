/**
 * What the API gateway (Apigee today, Mashery before 2021) says when it refuses a call, and the
 * quota headers it adds. The bodies are not athenaNet JSON: 429s carry an Apigee fault object
 * (the current platform's shape, U for athena specifically) and the legacy mode answers 403 with
 * the Mashery HTML page athena's old samples warn about ("Over QPS").
 */
import type { SandboxConfig } from './config'
import { ApiError } from './errors'
import type { QuotaState } from './rate-limit'

export function quotaHeaders(cfg: SandboxConfig, q: QuotaState): Record<string, string> {
  if (!(cfg.dailyQuota > 0)) return {}
  const h = cfg.quotaHeaders
  return { [h.limit]: String(q.limit), [h.remaining]: String(q.remaining), [h.reset]: String(q.reset) }
}

export function throttleError(cfg: SandboxConfig, kind: 'qps' | 'quota', clientId: string, retryAfterSeconds: number, quota: QuotaState): ApiError {
  const headers = quotaHeaders(cfg, quota)
  if (cfg.retryAfter) headers['Retry-After'] = String(Math.max(1, Math.ceil(retryAfterSeconds)))
  if (cfg.throttleStatus === 403) {
    return new ApiError(403, kind === 'qps' ? '<h1>Developer Over Qps</h1>' : '<h1>Developer Over Rate</h1>', 'text/html', headers)
  }
  const fault =
    kind === 'qps'
      ? { faultstring: `Spike arrest violation. Allowed rate : ${cfg.qps}ps`, detail: { errorcode: 'policies.ratelimit.SpikeArrestViolation' } }
      : { faultstring: `Rate limit quota violation. Quota limit exceeded. Identifier : ${clientId}`, detail: { errorcode: 'policies.ratelimit.QuotaViolation' } }
  return new ApiError(429, JSON.stringify({ fault }), 'application/json', headers)
}

/** Injected 5xx: the backend's JSON error for 500, gateway pages (no JSON) for 502/503/504. */
export function injectedError(status: number): ApiError {
  if (status === 502) return new ApiError(502, '<h1>Bad Gateway</h1>', 'text/html')
  if (status === 503) return new ApiError(503, '<h1>Service Unavailable</h1>', 'text/html')
  if (status === 504) return new ApiError(504, '<h1>Gateway Timeout</h1>', 'text/html')
  return new ApiError(status, { error: 'There was an error processing your request.' })
}
