/**
 * The last connectivity result of each connection is kept by the engine, so every page (and a
 * restart) shows the same answer, wherever the test was run; deleting the connection forgets it.
 */
import { rmSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import type { ConnectivityResult } from '../../../shared/api/connections'
import { openHl7Engine, type Hl7TestEngine } from '../hl7/support'

let t: Hl7TestEngine | undefined
let dir: string | undefined
afterAll(async () => {
  await t?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('last connectivity results', () => {
  it('are kept per connection across a restart and forgotten with the connection', async () => {
    t = await openHl7Engine({ keepDir: true })
    dir = t.dir
    const { id } = await t.addInbound('adt-in')
    expect(await t.call<ConnectivityResult[]>('connections.lastTests', { practiceId: 'sandbox' })).toEqual([])
    const r = await t.call<ConnectivityResult>('connections.test', { id })
    expect(r.ok).toBe(true)
    await t.close()
    t = await openHl7Engine({ dir, keepDir: true })
    const kept = await t.call<ConnectivityResult[]>('connections.lastTests', { practiceId: 'sandbox' })
    expect(kept).toEqual([r])
    await t.call('connections.delete', { id })
    expect(await t.call<ConnectivityResult[]>('connections.lastTests', { practiceId: 'sandbox' })).toEqual([])
    expect((await t.callRaw('connections.lastTests', { practiceId: 'nope' })).error?.code).toBe('not_found')
  })
})
