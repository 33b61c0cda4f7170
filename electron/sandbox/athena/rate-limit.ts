/**
 * API throttling per client id: a token bucket at `qps` (burst = one second's worth) and a daily
 * call quota that resets at midnight GMT (H, S4). Time comes from the injected Clock so tests can
 * step it instead of sleeping.
 */
import type { SandboxConfig } from './config'

interface Bucket {
  tokens: number
  /** Monotonic ms of the last refill. */
  at: number
}

export interface QuotaState {
  limit: number
  remaining: number
  /** Unix seconds of the next midnight GMT. */
  reset: number
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()
  private readonly days = new Map<string, [day: number, used: number]>()
  throttled = 0
  quotaExceeded = 0

  constructor(private readonly cfg: SandboxConfig) {}

  /** Takes one request from the client's bucket; returns seconds to wait when empty. */
  takeQps(clientId: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const qps = this.cfg.qps
    if (!(qps > 0)) return { ok: true }
    const now = this.cfg.clock.monotonic()
    const capacity = Math.max(1, qps)
    const b = this.buckets.get(clientId) ?? { tokens: capacity, at: now }
    b.tokens = Math.min(capacity, b.tokens + ((now - b.at) / 1000) * qps)
    b.at = now
    this.buckets.set(clientId, b)
    if (b.tokens >= 1) {
      b.tokens -= 1
      return { ok: true }
    }
    this.throttled++
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / qps)) }
  }

  /** Counts one call against the daily quota; `ok:false` once it is used up. */
  takeDaily(clientId: string): { ok: boolean; state: QuotaState } {
    const limit = this.cfg.dailyQuota
    const nowMs = this.cfg.clock.now()
    const day = Math.floor(nowMs / 86_400_000)
    const reset = (day + 1) * 86_400
    if (!(limit > 0)) return { ok: true, state: { limit: 0, remaining: 0, reset } }
    const entry = this.days.get(clientId)
    let used = entry && entry[0] === day ? entry[1] : 0
    if (used >= limit) {
      this.quotaExceeded++
      return { ok: false, state: { limit, remaining: 0, reset } }
    }
    used++
    this.days.set(clientId, [day, used])
    return { ok: true, state: { limit, remaining: limit - used, reset } }
  }

  /** Quota state without counting a call (for responses the gateway refused). */
  peekDaily(clientId: string): QuotaState {
    const limit = this.cfg.dailyQuota
    const day = Math.floor(this.cfg.clock.now() / 86_400_000)
    const entry = this.days.get(clientId)
    const used = entry && entry[0] === day ? entry[1] : 0
    return { limit: Math.max(0, limit), remaining: Math.max(0, limit - used), reset: (day + 1) * 86_400 }
  }

  reset(): void {
    this.buckets.clear()
    this.days.clear()
  }
}
