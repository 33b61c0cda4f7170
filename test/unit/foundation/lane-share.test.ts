/** While messages are being accepted a lane rests as long as its row took (half the thread); otherwise it runs flat out. */
import { describe, expect, it } from 'vitest'
import { laneRestMs } from '../../../electron/engine/pipeline/pipeline'

describe('laneRestMs', () => {
  it('rests as long as the row took while accept() was called within the last 20 ms', () => {
    expect(laneRestMs(3, 0)).toBe(3)
    expect(laneRestMs(1.5, 19.9)).toBe(1.5)
  })

  it('does not rest when nothing is being accepted, or when the row took no time', () => {
    expect(laneRestMs(3, 20)).toBe(0)
    expect(laneRestMs(3, Number.POSITIVE_INFINITY)).toBe(0)
    expect(laneRestMs(0, 0)).toBe(0)
  })
})
