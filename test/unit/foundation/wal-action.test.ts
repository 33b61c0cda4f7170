/**
 * The checkpointer's decision each round (issue #17, disk soak: the WAL peaked at 2.1× its limit
 * because a growing WAL was only forced back once it passed twice the limit). Bytes only.
 */
import { describe, expect, it } from 'vitest'
import { WAL_FORCE_FACTOR, walAction } from '../../../electron/engine/store/checkpointer'

const MB = 1024 * 1024
const limit = 64 * MB
const round = (size: number, o: { steady?: boolean; copied?: boolean } = {}) => walAction({ size, steady: o.steady ?? false, copied: o.copied ?? false, limit, forceFactor: WAL_FORCE_FACTOR })

describe('walAction', () => {
  // RESTART, not TRUNCATE: cutting a WAL that writers keep appending to made them wait 41–93 ms
  // against 0–61 ms, and append to a growing file after it (hl7-engine/speed-log.md, 2026-12-07).
  it('a WAL still growing past its limit is forced back at once (restarted in place, not cut to zero), not only past twice the limit', () => {
    expect(round(limit + 1)).toBe('RESTART')
    expect(round(1.2 * limit)).toBe('RESTART')
    expect(round(1.9 * limit)).toBe('RESTART')
  })

  it('at or under the limit nothing happens; idle and fully copied above it is cut without waiting for anyone', () => {
    expect(round(limit)).toBe('none')
    expect(round(limit, { steady: true, copied: true })).toBe('none')
    expect(round(limit + MB, { steady: true, copied: true })).toBe('TRUNCATE')
    // Idle but not yet copied (a reader held frames back): forced like a growing one.
    expect(round(limit + MB, { steady: true, copied: false })).toBe('RESTART')
  })

  it('the factor still applies when a caller sets one', () => {
    expect(walAction({ size: 1.5 * limit, steady: false, copied: false, limit, forceFactor: 2 })).toBe('none')
    expect(walAction({ size: 2.5 * limit, steady: false, copied: false, limit, forceFactor: 2 })).toBe('RESTART')
  })
})
