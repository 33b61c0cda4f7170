/** The ingest gate: waits only under concurrent traffic, and only until the expected frames are in. */
import { describe, expect, it } from 'vitest'
import { IngestGate } from '../../../electron/engine/connectors/hl7-engine/ingest-gate'

const turn = (): Promise<void> => new Promise((r) => setImmediate(r))

async function group(g: IngestGate, n: number): Promise<void> {
  const leaves = await Promise.all(Array.from({ length: n }, () => g.enter()))
  for (const leave of leaves) leave()
  await turn()
}

describe('IngestGate', () => {
  it('passes at once while traffic is not concurrent', async () => {
    const g = new IngestGate(() => 8, 10_000)
    let passed = false
    const leave = await g.enter().then((l) => {
      passed = true
      return l
    })
    expect(passed).toBe(true)
    leave()
  })

  it('under concurrent traffic, holds frames until every expected connection has sent one', async () => {
    let open = 8
    const g = new IngestGate(() => open, 10_000)
    for (let i = 0; i < 6; i++) await group(g, 8)
    const order: number[] = []
    const first = Array.from({ length: 7 }, (_, i) => g.enter().then((l) => (order.push(i), l)))
    await turn()
    expect(order).toEqual([])
    const last = g.enter().then((l) => (order.push(7), l))
    const leaves = await Promise.all([...first, last])
    expect(order).toHaveLength(8)
    for (const l of leaves) l()
    await turn()
    // A connection that closed is no longer waited for.
    const five = Array.from({ length: 5 }, () => g.enter())
    await turn()
    open = 5
    const sixth = g.enter()
    expect((await Promise.all([...five, sixth])).length).toBe(6)
  })

  it('frames already being stored are not waited for; the timeout releases a partial group', async () => {
    const g = new IngestGate(() => 8, 20)
    for (let i = 0; i < 6; i++) await group(g, 8)
    const storing = await Promise.all(Array.from({ length: 8 }, () => g.enter()))
    // 6 still in their commit: the 2 that come next make the group complete.
    storing.slice(0, 2).forEach((l) => l())
    const two = await Promise.all([g.enter(), g.enter()])
    expect(two).toHaveLength(2)
    storing.slice(2).forEach((l) => l())
    two.forEach((l) => l())
    await turn()
    let released = false
    const lone = g.enter().then((l) => ((released = true), l))
    await turn()
    expect(released).toBe(false)
    ;(await lone)()
    expect(released).toBe(true)
  })
})
