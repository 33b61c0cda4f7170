/**
 * The receive decision for one frame, against a fake pipeline: which ACK, when (only after the
 * store resolved), what is stored, duplicates, storage failures, enhanced and application modes.
 */
import { describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import { hl7InboundConfigSchema } from '../../../shared/config'
import { parseAck } from '../../../electron/engine/connectors/hl7'
import { InboundReceiver } from '../../../electron/engine/connectors/hl7-engine/inbound-receiver'
import type { AcceptResult, Pipeline, TxOutcome } from '../../../electron/engine/pipeline/pipeline'
import type { IncomingTx, ReceiveResult } from '../../../electron/engine/pipeline/types'
import { silentLogger } from '../../../electron/engine/core/logger'
import { systemClock, type Clock } from '../../../electron/engine/core/clock'

class FakePipeline {
  stored: IncomingTx[] = []
  byKey = new Map<string, ReceiveResult>()
  fail: AppError | null = null
  outcomes = new Map<number, TxOutcome>()
  pending: (() => void)[] = []
  hold = false
  resent: string[] = []
  noteResent(_practiceId: string, _channel: string, key: string): void {
    this.resent.push(key)
  }
  private store(tx: IncomingTx): Promise<ReceiveResult> {
    return new Promise((res, rej) => {
      const go = (): void => {
        if (this.fail) return rej(this.fail)
        const hit = tx.dedupKey ? this.byKey.get(tx.dedupKey) : undefined
        if (hit) return res({ ...hit, duplicate: true })
        this.stored.push(tx)
        const r: ReceiveResult = { id: this.stored.length, duplicate: false, response: tx.response ?? null, status: tx.error ? 'error' : 'received' }
        if (tx.dedupKey) this.byKey.set(tx.dedupKey, r)
        res(r)
      }
      if (this.hold) this.pending.push(go)
      else go()
    })
  }
  /** Which entry the receiver used: accept() for commit-mode ACKs, receive() when it must wait for processing or refuses. */
  calls: ('accept' | 'receive')[] = []
  acceptsOffThread = true
  accept(tx: IncomingTx): Promise<AcceptResult> {
    this.calls.push('accept')
    return this.store(tx).then((r) => ({ duplicate: r.duplicate, table: 'inbox' as const, id: r.id, response: r.response }))
  }
  receive(tx: IncomingTx): Promise<ReceiveResult> {
    this.calls.push('receive')
    return this.store(tx)
  }
  outcome(id: number): Promise<TxOutcome> {
    return Promise.resolve(this.outcomes.get(id) ?? { id, status: 'done', error: null, filteredBy: null, response: null })
  }
}

/** Every ACK gets a later timestamp, so an ACK built again would differ from the stored one. */
function tickingClock(): Clock {
  let t = Date.parse('2026-06-01T12:00:00Z')
  return { ...systemClock, now: () => (t += 1000) }
}

function receiver(config: Record<string, unknown> = {}, pipeline = new FakePipeline()) {
  const iface = { id: 'c1', practiceId: 'p', name: 'in', enabled: true, updatedAt: 0, config: hl7InboundConfigSchema.parse({ port: 0, ...config }) }
  const frames = new InboundReceiver({ pipeline: pipeline as unknown as Pipeline, clock: tickingClock(), logger: silentLogger, practiceId: 'p', iface })
  // One frame in, one reply out, except a batch answered per message (`frames` keeps the full type for those tests).
  const r = frames as Omit<InboundReceiver, 'handle'> & { handle(payload: Buffer, peer: string, address?: string): Promise<Buffer | null> }
  return { pipeline, r, frames }
}

const adt = (control: string, extra = '') => Buffer.from(`MSH|^~\\&|APP|FAC|PS|CLINIC|20260101||ADT^A04^ADT_A01|${control}|P|2.5.1${extra}\rPID|1||M1^^^A^MR||DOE^JANE\r`)

describe('InboundReceiver', () => {
  it('answers only after the store resolved, and stores the ACK it then sends', async () => {
    const { pipeline, r } = receiver()
    pipeline.hold = true
    let answered = false
    const p = r.handle(adt('A1'), '127.0.0.1:5000').then((b) => {
      answered = true
      return b
    })
    await new Promise((res) => setTimeout(res, 20))
    expect(answered).toBe(false)
    pipeline.pending.shift()!()
    const ack = (await p)!
    expect(parseAck(ack)).toMatchObject({ code: 'AA', controlId: 'A1' })
    expect(pipeline.stored[0]).toMatchObject({ practiceId: 'p', connector: 'hl7', channel: 'in', direction: 'in', messageType: 'ADT^A04', controlId: 'A1', mrn: 'M1', dedupKey: 'APP|FAC|A1', response: ack.toString(), peer: '127.0.0.1:5000', contentType: 'hl7v2' })
    expect(r.counters).toMatchObject({ received: 1, accepted: 1 })
    // Commit mode goes through the ingest writer's path, with no search text for UTF-8 (the index reads the bytes).
    expect(pipeline.calls).toEqual(['accept'])
    expect(pipeline.stored[0]!.searchText).toBeNull()
  })

  it('a duplicate gets the stored ACK back unchanged', async () => {
    const { pipeline, r } = receiver()
    const first = (await r.handle(adt('A2'), 'x'))!
    const again = (await r.handle(adt('A2'), 'x'))!
    expect(again.equals(first)).toBe(true)
    expect(pipeline.stored).toHaveLength(1)
    expect(r.counters.duplicates).toBe(1)
  })

  it('an empty MSH-10 is accepted without a dedup key', async () => {
    const { pipeline, r } = receiver()
    expect(parseAck((await r.handle(adt(''), 'x'))!)).toMatchObject({ code: 'AA', controlId: '' })
    expect(pipeline.stored[0]!.dedupKey).toBeNull()
  })

  it('storage failure → AE (CE in enhanced mode), never AA', async () => {
    const { pipeline, r } = receiver()
    pipeline.fail = new AppError('storage_full', 'disk full')
    expect(parseAck((await r.handle(adt('F1'), 'x'))!).code).toBe('AE')
    expect(parseAck((await r.handle(adt('F2', '|||AL|NE'), 'x'))!).code).toBe('CE')
    expect(parseAck((await r.handle(Buffer.from('garbage'), 'x'))!).code).toBe('AE')
    expect(r.counters.storeFailures).toBe(3)
  })

  it('enhanced mode per MSH-15: AL → CA, NE → nothing, ER → nothing on success; `always` answers', async () => {
    const { r } = receiver()
    expect(parseAck((await r.handle(adt('E1', '|||AL|AL'), 'x'))!).code).toBe('CA')
    expect(await r.handle(adt('E2', '|||NE|AL'), 'x')).toBeNull()
    expect(await r.handle(adt('E3', '|||ER|AL'), 'x')).toBeNull()
    // A type it does not process is taken (and filtered later) by default: ER asks for nothing on success.
    expect(await r.handle(Buffer.from('MSH|^~\\&|A|B|C|D|2026||ORM^O01|E4|P|2.5.1|||ER|NE\r'), 'x')).toBeNull()
    const { r: strict } = receiver({ unsupportedTypes: 'reject' })
    expect(parseAck((await strict.handle(Buffer.from('MSH|^~\\&|A|B|C|D|2026||ORM^O01|E6|P|2.5.1|||AL|NE\r'), 'x'))!).code).toBe('CR')
    const { r: always } = receiver({ acceptAcks: 'always' })
    expect(parseAck((await always.handle(adt('E5', '|||NE|NE'), 'x'))!).code).toBe('CA')
  })

  it('application mode waits for the outcome: the stored response, else AA / AE from the status', async () => {
    const { pipeline, r } = receiver({ ackMode: 'application' })
    pipeline.outcomes.set(1, { id: 1, status: 'error', error: { code: 'validation_error', message: 'PID-7 is not a date', retryable: false }, filteredBy: null, response: null })
    const ae = parseAck((await r.handle(adt('P1'), 'x'))!)
    expect(ae).toMatchObject({ code: 'AE', controlId: 'P1', text: 'PID-7 is not a date' })
    expect(pipeline.stored[0]!.response).toBeNull()
    pipeline.outcomes.set(2, { id: 2, status: 'done', error: null, filteredBy: null, response: 'MSH|^~\\&|PS|CLINIC|APP|FAC|20260101||ACK|X|P|2.5.1\rMSA|AA|P2|from the handler\r' })
    expect(parseAck((await r.handle(adt('P2'), 'x'))!)).toMatchObject({ code: 'AA', text: 'from the handler' })
    expect(parseAck((await r.handle(adt('P3', '|||AL|AL'), 'x'))!).code).toBe('CA')
    // Original-mode messages wait for processing, so they need the transaction id at once: receive().
    expect(pipeline.calls.slice(0, 2)).toEqual(['receive', 'receive'])
  })

  it('a non-UTF-8 message keeps its decoded text for the search index', async () => {
    const { pipeline, r } = receiver()
    const latin1 = Buffer.from('MSH|^~\\&|APP|FAC|PS|CLINIC|20260101||ADT^A04^ADT_A01|L1|P|2.5.1||||||8859/1\rPID|1||M1^^^A^MR||MÜLLER^JÖRG\r', 'latin1')
    expect(parseAck((await r.handle(latin1, 'x'))!).code).toBe('AA')
    expect(pipeline.stored[0]!.searchText).toContain('MÜLLER^JÖRG')
  })

  it('refusals (unsupportedTypes reject) are stored with their error and raw bytes, without a dedup key', async () => {
    const { pipeline, r } = receiver({ messageTypes: ['SIU'], unsupportedTypes: 'reject' })
    const bytes = adt('R1')
    const ack = parseAck((await r.handle(bytes, 'x'))!)
    expect(ack).toMatchObject({ code: 'AR', controlId: 'R1' })
    expect(ack.errors[0]).toMatchObject({ code: '200', location: 'MSH-9' })
    expect(pipeline.stored[0]).toMatchObject({ dedupKey: null, controlId: 'R1', messageType: 'ADT^A04', error: { code: 'unsupported_message', retryable: false } })
    expect(pipeline.stored[0]!.raw.equals(bytes)).toBe(true)
    const junk = Buffer.from([0x00, 0xff, 0x41])
    expect(parseAck((await r.handle(junk, 'x'))!).code).toBe('AR')
    expect(pipeline.stored[1]).toMatchObject({ controlId: null, error: { code: 'parse_error' } })
    expect(pipeline.stored[1]!.raw.equals(junk)).toBe(true)
    expect(r.counters.rejected).toBe(2)
  })

  it('by default takes a well-formed type it does not process like any other (AA, deduplicated), but never an empty MSH-9', async () => {
    const { pipeline, r } = receiver({ messageTypes: ['SIU'] })
    expect(parseAck((await r.handle(adt('I1'), 'x'))!).code).toBe('AA')
    expect(pipeline.stored[0]).toMatchObject({ controlId: 'I1', messageType: 'ADT^A04', dedupKey: 'APP|FAC|I1' })
    expect(pipeline.stored[0]!.error).toBeUndefined()
    const empty = parseAck((await r.handle(Buffer.from('MSH|^~\\&|A|B|C|D|2026|||I2|P|2.5.1\r'), 'x'))!)
    expect(empty.code).toBe('AR')
    expect(r.counters).toMatchObject({ accepted: 1, rejected: 1 })
  })
})
