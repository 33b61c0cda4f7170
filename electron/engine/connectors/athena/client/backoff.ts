/**
 * Capped exponential backoff with full jitter (API-05; AWS "Exponential Backoff And Jitter"):
 * sleep = random(0, min(cap, base * 2^(attempt-1))). Full jitter spreads a crowd of clients that
 * failed together, which is what a 429 storm needs. The server's Retry-After, when given, is a
 * floor: we never come back earlier than it asked (API-06).
 */
export interface BackoffPolicy {
  baseMs: number
  capMs: number
}

/** Upper bound of the jitter window before the `attempt`-th retry (attempt ≥ 1). */
export function backoffCeiling(p: BackoffPolicy, attempt: number): number {
  const exp = p.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30))
  return Math.min(p.capMs, exp)
}

export function fullJitter(p: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeiling(p, attempt))
}

/** The wait before a retry: max(Retry-After, jittered backoff). */
export function retryDelay(p: BackoffPolicy, attempt: number, retryAfterMs: number | null, random: () => number = Math.random): number {
  const jitter = fullJitter(p, attempt, random)
  return retryAfterMs === null ? jitter : Math.max(retryAfterMs, jitter)
}
