/**
 * How far a sync run is and how long it has left, for the sync card of a large practice.
 *
 * `SyncProgressTracker` collects what a run learns (items per page, athenaNet's `totalcount` per
 * part: a department of a full sync, a window of a feed read) and the previous finished run's
 * count as a fallback. `estimateSync` is pure: from the samples, the expected total and the clock
 * it says "unknown" (nothing to compare with: no estimate rather than a wrong one), "estimating"
 * (too little data for a rate yet), "estimated" (remaining time) or "overrun" (more items arrived
 * than expected; never a negative time). The rate is measured from a page sample at least a
 * minute old (or the first page) to now, so the set-up before the first page (token, departments)
 * does not count, one slow page does not swing the figure and a stall slows the estimate down.
 */
import type { SyncEstimate, SyncEstimateBasis } from '../../../../../shared/api/athena'

export interface ProgressSample {
  /** Monotonic clock milliseconds. */
  at: number
  /** Items (stored + already had) of this run so far. */
  done: number
}

export interface EstimateInput {
  samples: readonly ProgressSample[]
  done: number
  expected: number | null
  basis: SyncEstimateBasis | null
  /** Monotonic clock milliseconds. */
  now: number
}

export const ESTIMATE_DEFAULTS = {
  /** The rate is the slope over the samples of the last minute. */
  windowMs: 60_000,
  /** At least this many page samples (two intervals) before a rate is trusted. */
  minSamples: 3,
  /** …spanning at least this long. */
  minSpanMs: 1_000,
}

export function estimateSync(i: EstimateInput, o: typeof ESTIMATE_DEFAULTS = ESTIMATE_DEFAULTS): SyncEstimate {
  const base = { done: i.done, expected: i.expected, basis: i.expected === null ? null : i.basis, remainingMs: null, ratePerSecond: null }
  if (i.expected === null) return { ...base, state: 'unknown' }
  if (i.done > i.expected) return { ...base, state: 'overrun' }
  const last = i.samples[i.samples.length - 1]
  if (!last) return { ...base, state: 'estimating' }
  // The slope runs from the newest sample at least a window old (else the first page) to now, so a
  // stall lowers the rate as it goes on instead of leaving a stale figure.
  let k = 0
  for (let j = i.samples.length - 1; j >= 0; j--) if (i.samples[j]!.at <= Math.max(last.at, i.now) - o.windowMs) { k = j; break }
  const from = i.samples[k]!
  const span = Math.max(last.at, i.now) - from.at
  const rate = span > 0 ? (last.done - from.done) / span : 0
  if (i.done === i.expected) return { ...base, state: 'estimated', remainingMs: 0, ratePerSecond: rate > 0 ? rate * 1000 : null }
  if (i.samples.length - k < o.minSamples || span < o.minSpanMs || !(rate > 0)) return { ...base, state: 'estimating' }
  return { ...base, state: 'estimated', remainingMs: Math.round((i.expected - i.done) / rate), ratePerSecond: rate * 1000 }
}

/** Several streams running at once (patients and appointments in parallel): the slowest decides. */
export function combineEstimates(list: readonly SyncEstimate[]): SyncEstimate | null {
  if (list.length === 0) return null
  if (list.length === 1) return list[0]!
  const known = list.every((e) => e.expected !== null)
  const done = list.reduce((a, e) => a + e.done, 0)
  const expected = known ? list.reduce((a, e) => a + e.expected!, 0) : null
  const basis = !known ? null : list.every((e) => e.basis === 'totalcount') ? 'totalcount' : 'previous-run'
  const state = (['unknown', 'estimating', 'overrun'] as const).find((s) => list.some((e) => e.state === s)) ?? 'estimated'
  const remainingMs = state === 'estimated' ? Math.max(...list.map((e) => e.remainingMs!)) : null
  const rates = list.map((e) => e.ratePerSecond)
  const ratePerSecond = state === 'estimated' && rates.every((r) => r !== null) ? rates.reduce((a, r) => a! + r!, 0) : null
  return { state, basis, done, expected, remainingMs, ratePerSecond }
}

/** What one run has learnt so far; read by `estimate()` whenever the status is asked for. */
export class SyncProgressTracker {
  private readonly parts = new Map<string, number | null>()
  private readonly samples: ProgressSample[] = []
  private done = 0

  private plannedParts = 1
  private previousTotal: number | null = null

  constructor(private readonly windowMs = ESTIMATE_DEFAULTS.windowMs) {}

  get items(): number {
    return this.done
  }

  /** How many parts (departments) must report a total before their sum is the expected total. */
  plan(parts: number): void {
    this.plannedParts = parts
  }

  /** Items of the previous finished run of the same kind: the expected total until every part has one. */
  fallback(items: number | null): void {
    this.previousTotal = items
  }

  /** A part's total for this run (athenaNet `totalcount` minus the offset it resumes from; null when absent). */
  part(key: string, total: number | null): void {
    if (!this.parts.has(key)) this.parts.set(key, total === null ? null : Math.max(0, total))
  }

  hasPart(key: string): boolean {
    return this.parts.has(key)
  }

  page(items: number, at: number): void {
    this.done += items
    this.samples.push({ at, done: this.done })
    // Keep one sample older than the window as the slope's anchor, drop the rest.
    while (this.samples.length > 2 && this.samples[1]!.at <= at - this.windowMs) this.samples.shift()
  }

  expected(): { expected: number | null; basis: SyncEstimateBasis | null } {
    const totals = [...this.parts.values()]
    if (totals.length >= this.plannedParts && totals.length > 0 && totals.every((t) => t !== null)) return { expected: totals.reduce<number>((a, t) => a + t!, 0), basis: 'totalcount' }
    if (this.previousTotal !== null) return { expected: this.previousTotal, basis: 'previous-run' }
    return { expected: null, basis: null }
  }

  estimate(now: number): SyncEstimate {
    return estimateSync({ samples: this.samples, done: this.done, now, ...this.expected() })
  }
}
