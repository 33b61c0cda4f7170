/**
 * The sync time-left estimate on a virtual clock: no total → unknown (never a guess); the first
 * page alone → estimating; a steady rate → remaining = (expected − done) / rate; a slow page or a
 * stall moves the figure gradually, not wildly; more items than expected → overrun, never a
 * negative time; totals from athenaNet's totalcount win over the previous run's count once every
 * department has reported one; several streams together are as slow as the slowest.
 */
import { describe, expect, it } from 'vitest'
import { combineEstimates, estimateSync, SyncProgressTracker } from '../../../electron/engine/connectors/athena/workflows/sync-estimate'
import { VirtualClock } from './support'

/** A tracker fed `pages` pages of `size` items, one every `everyMs`. */
function feed(t: SyncProgressTracker, clock: VirtualClock, pages: number, size: number, everyMs: number): void {
  for (let i = 0; i < pages; i++) {
    clock.advance(everyMs)
    t.page(size, clock.monotonic())
  }
}

describe('estimateSync', () => {
  it('gives no estimate without an expected total, however much has been read', () => {
    const clock = new VirtualClock()
    const t = new SyncProgressTracker()
    t.part('1', null)
    feed(t, clock, 20, 50, 500)
    const e = t.estimate(clock.monotonic())
    expect(e).toEqual({ state: 'unknown', basis: null, done: 1000, expected: null, remainingMs: null, ratePerSecond: null })
  })

  it('says "estimating" on the first page and before a rate can be measured', () => {
    const clock = new VirtualClock()
    const t = new SyncProgressTracker()
    expect(t.estimate(clock.monotonic())).toMatchObject({ state: 'unknown', done: 0 })
    clock.advance(3_000) // token, departments: set-up before the first page
    t.part('1', 1000)
    t.page(50, clock.monotonic())
    expect(t.estimate(clock.monotonic())).toMatchObject({ state: 'estimating', basis: 'totalcount', done: 50, expected: 1000, remainingMs: null })
    feed(t, clock, 1, 50, 400)
    expect(t.estimate(clock.monotonic()).state).toBe('estimating') // two pages: one interval
    feed(t, clock, 1, 50, 400)
    expect(t.estimate(clock.monotonic()).state).toBe('estimating') // three pages, but within 0.8 s
    feed(t, clock, 1, 50, 400)
    expect(t.estimate(clock.monotonic())).toMatchObject({ state: 'estimated', done: 200, remainingMs: 6400 })
  })

  it('estimates from the rate between pages, not counting the set-up before the first', () => {
    const clock = new VirtualClock()
    const t = new SyncProgressTracker()
    t.part('1', 1000)
    clock.advance(10_000)
    t.page(100, clock.monotonic())
    feed(t, clock, 4, 100, 1000) // 100 items/s
    const e = t.estimate(clock.monotonic())
    expect(e).toMatchObject({ state: 'estimated', basis: 'totalcount', done: 500, expected: 1000, ratePerSecond: 100 })
    expect(e.remainingMs).toBe(5000)
  })

  it('moves gradually when one page is slow, and slows down while nothing arrives', () => {
    const clock = new VirtualClock()
    const t = new SyncProgressTracker()
    t.part('1', 10_000)
    t.page(100, clock.monotonic())
    feed(t, clock, 30, 100, 1000)
    const steady = t.estimate(clock.monotonic()).remainingMs!
    expect(steady).toBe(69_000)
    feed(t, clock, 1, 100, 4000) // one page four times slower
    const after = t.estimate(clock.monotonic()).remainingMs!
    expect(after).toBeGreaterThan(steady - 1000)
    expect(after).toBeLessThan(steady * 1.2)
    // A stall: the same progress over more time is a slower rate, so more time left (still finite).
    clock.advance(20_000)
    const stalled = t.estimate(clock.monotonic()).remainingMs!
    expect(stalled).toBeGreaterThan(after)
    expect(Number.isFinite(stalled)).toBe(true)
  })

  it('uses the last minute once the run is longer, so a changed rate shows', () => {
    const clock = new VirtualClock()
    const t = new SyncProgressTracker()
    t.part('1', 100_000)
    t.page(100, clock.monotonic())
    feed(t, clock, 120, 100, 1000) // 100/s for two minutes
    feed(t, clock, 60, 100, 2000) // then 50/s for two minutes
    const e = t.estimate(clock.monotonic())
    expect(e.ratePerSecond).toBeCloseTo(50, 5)
    expect(e.remainingMs).toBe(Math.round((100_000 - e.done) / 0.05))
  })

  it('says overrun (no negative time) when more arrives than expected', () => {
    const clock = new VirtualClock()
    const t = new SyncProgressTracker()
    t.fallback(300)
    t.page(100, clock.monotonic())
    feed(t, clock, 3, 100, 1000)
    expect(t.estimate(clock.monotonic())).toEqual({ state: 'overrun', basis: 'previous-run', done: 400, expected: 300, remainingMs: null, ratePerSecond: null })
  })

  it('says 0 left when done equals expected', () => {
    expect(estimateSync({ samples: [{ at: 0, done: 10 }], done: 10, expected: 10, basis: 'totalcount', now: 5 })).toMatchObject({ state: 'estimated', remainingMs: 0 })
  })
})

describe('SyncProgressTracker totals', () => {
  it('takes the previous run until every department has a totalcount, then their sum', () => {
    const t = new SyncProgressTracker()
    t.plan(3)
    t.fallback(900)
    t.part('1', 400)
    expect(t.expected()).toEqual({ expected: 900, basis: 'previous-run' })
    t.part('2', 250)
    t.part('2', 999) // a part is sized once
    t.part('3', 300)
    expect(t.expected()).toEqual({ expected: 950, basis: 'totalcount' })
  })

  it('is unknown with neither, and falls back when a department gives no totalcount', () => {
    const t = new SyncProgressTracker()
    t.plan(2)
    t.part('1', 400)
    expect(t.expected()).toEqual({ expected: null, basis: null })
    t.part('2', null)
    expect(t.expected()).toEqual({ expected: null, basis: null })
    t.fallback(800)
    expect(t.expected()).toEqual({ expected: 800, basis: 'previous-run' })
  })
})

describe('combineEstimates', () => {
  const est = (over: Partial<ReturnType<typeof estimateSync>>) => ({ state: 'estimated' as const, basis: 'totalcount' as const, done: 100, expected: 1000, remainingMs: 9000, ratePerSecond: 100, ...over })

  it('adds items and takes the slowest stream for the time left', () => {
    expect(combineEstimates([est({}), est({ done: 50, expected: 150, remainingMs: 20_000, ratePerSecond: 5, basis: 'previous-run' })])).toEqual({
      state: 'estimated',
      basis: 'previous-run',
      done: 150,
      expected: 1150,
      remainingMs: 20_000,
      ratePerSecond: 105,
    })
  })

  it('is unknown if any stream is, estimating before overrun, and null with nothing running', () => {
    expect(combineEstimates([est({}), est({ state: 'unknown', expected: null, basis: null, remainingMs: null, ratePerSecond: null })])).toMatchObject({ state: 'unknown', expected: null, remainingMs: null })
    expect(combineEstimates([est({ state: 'overrun', remainingMs: null }), est({ state: 'estimating', remainingMs: null })])).toMatchObject({ state: 'estimating', remainingMs: null })
    expect(combineEstimates([])).toBeNull()
  })
})
