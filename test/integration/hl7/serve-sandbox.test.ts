/**
 * Headless: `node out/main/serve.js --config docs/examples/sandbox-hl7.json` (the built server, as
 * `npm run serve -- --config …` runs it) prints `listening: hl7-mllp sandbox/adt-in 127.0.0.1:<port>`
 * for the OS-assigned port, and python3-hl7's `mllp_send` talks to it: an ADT is acknowledged,
 * stored and processed; an unparseable message is refused and lands in the error queue. Build first
 * with `npx electron-vite build`.
 */
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAck } from '../../../electron/engine/connectors/hl7'
import { startServe, type ServeProcess } from '../../support/serve-process'
import { requireBuiltServer } from '../foundation/support/serve'
import { adtMsg, mllpSend, until } from './support'

const CONFIG = resolve('docs/examples/sandbox-hl7.json')
let s: ServeProcess

beforeAll(async () => {
  requireBuiltServer()
  s = await startServe({ args: ['--config', CONFIG] })
})
afterAll(async () => {
  await s?.stop()
})

/** mllp_send prints each reply framed; the first one. */
function firstReply(stdout: string): Buffer {
  const b = Buffer.from(stdout, 'latin1')
  return b.subarray(b.indexOf(0x0b) + 1, b.indexOf(0x1c))
}

describe('serve --config docs/examples/sandbox-hl7.json', () => {
  it('prints the listening line of the sandbox interface with its OS-assigned port', () => {
    const l = s.listeners.find((x) => x.kind === 'hl7-mllp')
    expect(l).toMatchObject({ kind: 'hl7-mllp', practice: 'sandbox', name: 'adt-in', host: '127.0.0.1' })
    expect(l!.port).toBeGreaterThan(0)
    expect(s.stdout).toContain(`listening: hl7-mllp sandbox/adt-in 127.0.0.1:${l!.port}`)
  })

  it('mllp_send --loose: an ADT^A04 is acknowledged AA, stored and processed into a patient', async () => {
    const port = s.listeners.find((x) => x.kind === 'hl7-mllp')!.port
    const file = join(s.dataDir, 'adt.hl7')
    writeFileSync(file, adtMsg({ control: 'SERVE1', mrn: 'SERVE-MRN' }))
    const r = await mllpSend(port, file, { loose: true })
    expect(r.code, r.stderr).toBe(0)
    expect(parseAck(firstReply(r.stdout))).toMatchObject({ code: 'AA', controlId: 'SERVE1' })
    const tx = await until(async () => {
      const list = await s.call<{ items: { controlId: string; status: string; channel: string }[] }>('transactions.list', { practiceId: 'sandbox', limit: 20 })
      const hit = list.ok ? list.value.items.find((i) => i.controlId === 'SERVE1') : undefined
      return hit && hit.status === 'done' ? hit : undefined
    }, 'the processed transaction')
    expect(tx).toMatchObject({ channel: 'adt-in', status: 'done' })
  })

  it('an unparseable message gets AR and is in the error queue', async () => {
    const port = s.listeners.find((x) => x.kind === 'hl7-mllp')!.port
    const file = join(s.dataDir, 'bad.mllp')
    writeFileSync(file, Buffer.from('\x0bMSH|^~\\&|APP|FAC|R|RF|20260101||ADT^A04|SERVEBAD|P|9.9\rPID|1\x1c\r', 'latin1'))
    const r = await mllpSend(port, file)
    expect(r.code, r.stderr).toBe(0)
    expect(parseAck(firstReply(r.stdout))).toMatchObject({ code: 'AR', controlId: 'SERVEBAD' })
    const list = await s.call<{ items: { controlId: string; status: string; errorCode: string }[] }>('transactions.list', { practiceId: 'sandbox', statuses: ['error'], limit: 20 })
    expect(list.ok && list.value.items.find((i) => i.controlId === 'SERVEBAD')).toMatchObject({ status: 'error', errorCode: 'unsupported_message' })
  })

  it('the interface passes its connectivity test and lists its counters', async () => {
    const conns = await s.call<{ id: string; name: string }[]>('connections.list', { practiceId: 'sandbox' })
    expect(conns.ok).toBe(true)
    const id = conns.ok ? conns.value.find((c) => c.name === 'adt-in')!.id : ''
    const test = await s.call<{ ok: boolean; steps: { step: string; ok: boolean; detail?: string }[] }>('connections.test', { id })
    expect(test.ok && test.value).toMatchObject({ ok: true, steps: [{ step: 'configuration', ok: true }, { step: 'listener', ok: true }, { step: 'peers', ok: true }] })
    const details = await s.call<{ name: string; counters: Record<string, number> }[]>('hl7.listeners', { practiceId: 'sandbox' })
    expect(details.ok && details.value.find((d) => d.name === 'adt-in')!.counters).toMatchObject({ received: 2, accepted: 1, rejected: 1 })
  })
})

