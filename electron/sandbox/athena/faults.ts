/**
 * Fault injection for API calls under /v1: latency, random 5xx, a 429 storm, token expiry and
 * "commit then fail" (the write is applied, the response is a 500), which is how a client proves
 * its retries are idempotent. Random choices use a seeded PRNG so a failing run replays.
 */
import type { Clock } from '../../engine/core/clock'
import { createRng, type Rng } from './prng'

export interface Faults {
  /** Added before the handler runs: fixed + uniform jitter in [0, jitterMs]. */
  latency?: { fixedMs: number; jitterMs?: number } | null
  /** Fraction (0..1) of API calls answered with a random status from `errorStatuses`. */
  errorRate?: number
  /** Default [500, 502, 503]. */
  errorStatuses?: number[]
  /** Throttle the next `calls` API calls and/or every call for `durationMs` (clock time). */
  storm?: { calls?: number; durationMs?: number } | null
  /** One-shot: expire every token issued so far. */
  expireTokens?: boolean
  /** Lifetime of tokens issued from now on (null restores the configured lifetime). */
  tokenLifetimeSeconds?: number | null
  /** The next `count` writes (POST/PUT/DELETE on /v1) are applied, then answered with 500. */
  commitThenFail?: { count: number } | null
  /** Reseeds the fault PRNG. */
  seed?: number
}

export interface FaultState {
  latency: { fixedMs: number; jitterMs: number } | null
  errorRate: number
  errorStatuses: number[]
  storm: { callsRemaining: number; until: string | null }
  tokenLifetimeSeconds: number | null
  commitThenFailRemaining: number
  injected: { errors: number; stormThrottled: number; commitThenFail: number; tokensExpired: number }
}

export class FaultInjector {
  private latency: { fixedMs: number; jitterMs: number } | null = null
  private errorRate = 0
  private errorStatuses = [500, 502, 503]
  private stormCalls = 0
  private stormUntil = 0
  private commitThenFail = 0
  private rng: Rng
  tokenLifetimeSeconds: number | null = null
  readonly injected = { errors: 0, stormThrottled: 0, commitThenFail: 0, tokensExpired: 0 }

  constructor(
    private readonly clock: Clock,
    private readonly seed: number | string,
    private readonly onExpireTokens: () => number,
  ) {
    this.rng = createRng(seed, 'faults')
  }

  /** Merges into the current faults; fields left out stay as they are. */
  set(f: Faults): FaultState {
    if (f.seed !== undefined) this.rng = createRng(f.seed, 'faults')
    if (f.latency !== undefined) this.latency = f.latency ? { fixedMs: Math.max(0, f.latency.fixedMs), jitterMs: Math.max(0, f.latency.jitterMs ?? 0) } : null
    if (f.errorRate !== undefined) this.errorRate = Math.min(1, Math.max(0, f.errorRate))
    if (f.errorStatuses?.length) this.errorStatuses = [...f.errorStatuses]
    if (f.storm !== undefined) {
      this.stormCalls = f.storm?.calls ?? 0
      this.stormUntil = f.storm?.durationMs ? this.clock.now() + f.storm.durationMs : 0
    }
    if (f.tokenLifetimeSeconds !== undefined) this.tokenLifetimeSeconds = f.tokenLifetimeSeconds
    if (f.commitThenFail !== undefined) this.commitThenFail = f.commitThenFail?.count ?? 0
    if (f.expireTokens) this.injected.tokensExpired += this.onExpireTokens()
    return this.state()
  }

  reset(): FaultState {
    this.latency = null
    this.errorRate = 0
    this.errorStatuses = [500, 502, 503]
    this.stormCalls = 0
    this.stormUntil = 0
    this.commitThenFail = 0
    this.tokenLifetimeSeconds = null
    this.rng = createRng(this.seed, 'faults')
    return this.state()
  }

  state(): FaultState {
    return {
      latency: this.latency,
      errorRate: this.errorRate,
      errorStatuses: [...this.errorStatuses],
      storm: { callsRemaining: this.stormCalls, until: this.stormUntil > this.clock.now() ? new Date(this.stormUntil).toISOString() : null },
      tokenLifetimeSeconds: this.tokenLifetimeSeconds,
      commitThenFailRemaining: this.commitThenFail,
      injected: { ...this.injected },
    }
  }

  /** Delay to apply to this call, in ms (0 when no latency fault). */
  delayMs(): number {
    if (!this.latency) return 0
    return this.latency.fixedMs + (this.latency.jitterMs ? this.rng.next() * this.latency.jitterMs : 0)
  }

  /** True when this call falls inside the storm (counts it). */
  stormHit(): boolean {
    if (this.stormCalls > 0) {
      this.stormCalls--
      this.injected.stormThrottled++
      return true
    }
    if (this.stormUntil > this.clock.now()) {
      this.injected.stormThrottled++
      return true
    }
    return false
  }

  /** Status to fail this call with, or null. */
  randomError(): number | null {
    if (this.errorRate <= 0 || this.rng.next() >= this.errorRate) return null
    this.injected.errors++
    return this.rng.pick(this.errorStatuses)
  }

  /** True when this successful write must be reported as a 500 (counts it). */
  takeCommitThenFail(): boolean {
    if (this.commitThenFail <= 0) return false
    this.commitThenFail--
    this.injected.commitThenFail++
    return true
  }
}
