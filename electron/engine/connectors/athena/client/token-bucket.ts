/**
 * Client-side rate limiting (API-11): a token bucket at `rate` requests per second with
 * `capacity` tokens of burst, shared by every practice that calls through the same credentials
 * on the same host (athena's limits are per key). Reservations may run the bucket into debt, so
 * concurrent callers are paced in arrival order instead of racing each other on wake-up; a caller
 * that gives up (abort) hands its token back. After a 429 the bucket is paused until the server's
 * Retry-After or our backoff has passed, for everyone. Time is the injected monotonic clock.
 */
import type { Clock } from '../../../core/clock'

export class TokenBucket {
  private tokens: number
  private at: number
  private pausedUntil = 0
  /** Callers currently waiting for a token. */
  waiting = 0

  constructor(
    private readonly clock: Clock,
    private rate: number,
    private capacity: number,
  ) {
    this.tokens = capacity
    this.at = clock.monotonic()
  }

  configure(rate: number, capacity: number): void {
    this.refill()
    this.rate = rate
    this.capacity = Math.max(1, capacity)
    this.tokens = Math.min(this.tokens, this.capacity)
  }

  get settings(): { rate: number; capacity: number } {
    return { rate: this.rate, capacity: this.capacity }
  }

  private refill(): void {
    const now = this.clock.monotonic()
    if (this.rate > 0) this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) / 1000) * this.rate)
    this.at = now
  }

  /** Reserves one token; returns how long to wait (ms) before using it. */
  reserve(): number {
    if (!(this.rate > 0)) return 0
    this.refill()
    this.tokens -= 1
    const now = this.clock.monotonic()
    const debtWait = this.tokens >= 0 ? 0 : (-this.tokens / this.rate) * 1000
    return Math.max(debtWait, this.pausedUntil - now, 0)
  }

  /** Gives back a reserved token that was not used. */
  refund(): void {
    if (this.rate > 0) this.tokens = Math.min(this.capacity, this.tokens + 1)
  }

  /** Waits for a token; resolves with the time waited (ms). */
  async take(signal?: AbortSignal): Promise<number> {
    const wait = this.reserve()
    if (wait <= 0) return 0
    this.waiting++
    try {
      await this.clock.sleep(wait, signal)
    } catch (e) {
      this.refund()
      throw e
    } finally {
      this.waiting--
    }
    // A pause that began while we slept still applies.
    const extra = this.pausedUntil - this.clock.monotonic()
    if (extra > 0) {
      this.waiting++
      try {
        await this.clock.sleep(extra, signal)
      } finally {
        this.waiting--
      }
      return wait + extra
    }
    return wait
  }

  /** Nobody gets a token before `ms` from now (the server said to slow down). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.monotonic() + Math.max(0, ms))
  }

  /** Tokens available now (negative = callers queued). */
  available(): number {
    this.refill()
    return this.tokens
  }
}
