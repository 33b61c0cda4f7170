/**
 * The daily API quota (H: it exists and resets at midnight GMT; the figure is U and configurable).
 * Counted per rate-limit scope (API host + client id), seeded at start from the usage table so a
 * restart does not forget today's calls. When the server reports its own remaining count in the
 * (configurable, U) quota header, the smaller of the two wins.
 */
import { AppError } from '../../../../../shared/errors'
import type { Clock } from '../../../core/clock'

const DAY_MS = 86_400_000

export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10)
}

export class DailyQuota {
  private day: string
  private used: number
  private serverRemaining: number | null = null

  constructor(
    private readonly clock: Clock,
    private limit: number,
    initialUsed = 0,
  ) {
    this.day = utcDay(clock.now())
    this.used = initialUsed
  }

  configure(limit: number): void {
    this.limit = limit
  }

  private roll(): void {
    const d = utcDay(this.clock.now())
    if (d !== this.day) {
      this.day = d
      this.used = 0
      this.serverRemaining = null
    }
  }

  /** Counts one call, or throws quota_exhausted (retryable after the reset). */
  consume(): void {
    this.roll()
    if (this.remaining() <= 0) {
      const resetAt = this.resetAt()
      throw new AppError('quota_exhausted', `The daily athenaNet API quota (${this.limit} calls) is used up; it resets at midnight GMT.`, {
        retryable: true,
        details: { limit: this.limit, resetAt },
      })
    }
    this.used++
    if (this.serverRemaining !== null) this.serverRemaining = Math.max(0, this.serverRemaining - 1)
  }

  /** The server's count, when it sends one (it includes the call just made). */
  observeServerRemaining(n: number): void {
    this.roll()
    if (Number.isFinite(n) && n >= 0) this.serverRemaining = n
  }

  remaining(): number {
    this.roll()
    const local = Math.max(0, this.limit - this.used)
    return this.serverRemaining === null ? local : Math.min(local, this.serverRemaining)
  }

  snapshot(): { day: string; limit: number; used: number; remaining: number; serverRemaining: number | null; resetAt: number } {
    this.roll()
    return { day: this.day, limit: this.limit, used: this.used, remaining: this.remaining(), serverRemaining: this.serverRemaining, resetAt: this.resetAt() }
  }

  private resetAt(): number {
    return (Math.floor(this.clock.now() / DAY_MS) + 1) * DAY_MS
  }
}
