/**
 * Retry budget (API-05): retries may add at most `ratio` of first attempts, plus `min` in reserve,
 * so a failing peer is not hit with a multiple of the normal load. Every first attempt earns
 * `ratio` of a token (up to `min + ratio * 100`); every retry spends one. When the budget is empty
 * a retryable failure is returned to the caller instead of retried (the sync resumes later, the
 * pipeline's own schedule takes the transaction).
 */
export class RetryBudget {
  private tokens: number
  spent = 0
  refused = 0

  constructor(
    private ratio: number,
    private min: number,
  ) {
    this.tokens = min
  }

  configure(ratio: number, min: number): void {
    this.ratio = ratio
    this.min = min
    this.tokens = Math.min(this.tokens, this.capacity())
  }

  private capacity(): number {
    return this.min + this.ratio * 100
  }

  onFirstAttempt(): void {
    this.tokens = Math.min(this.capacity(), this.tokens + this.ratio)
  }

  tryRetry(): boolean {
    // Tolerate float drift (ten first attempts at 0.1 must earn a whole retry).
    if (this.tokens >= 1 - 1e-9) {
      this.tokens = Math.max(0, this.tokens - 1)
      this.spent++
      return true
    }
    this.refused++
    return false
  }

  available(): number {
    return this.tokens
  }
}
