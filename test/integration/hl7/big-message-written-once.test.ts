/**
 * A 5 MB MDM (the public MDM^T02 sample with a PDF-sized base64 OBX-5) over a real MLLP socket:
 * its raw payload is written once to `transaction_raw` and never rewritten, not by processing's
 * status change, not by a reprocess (queued, then done again), not by a discard. Counted by
 * triggers on the real database (test/support/raw-write-counters.ts), whichever connection writes.
 * The transaction's own row (what every status change rewrites) stays small: the document's body
 * is in the document record, not in the row's mapped view.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bigMdmMsg, MDM_ED_SAMPLE } from '../../support/hl7-messages'
import { installWriteCounters, payloadWrites } from '../../support/raw-write-counters'
import { MllpTestClient, openHl7Engine, until, type Hl7TestEngine } from './support'

const BIG = 5 * 1024 * 1024

let t: Hl7TestEngine
let port: number

beforeAll(async () => {
  t = await openHl7Engine({ start: false })
  installWriteCounters(t.engine.ctx.db)
  await t.engine.start()
  ;({ port } = await t.addInbound('mdm-in'))
})
afterAll(async () => {
  await t?.close()
})

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex')
const statusOf = (id: number): string | undefined => t.engine.ctx.txRepo.statusOf(id)

describe('a 5 MB message is written once', () => {
  it('stored once, processed, reprocessed and discarded without its raw payload or a big row being rewritten', async () => {
    const text = bigMdmMsg(readFileSync(MDM_ED_SAMPLE, 'latin1'), { control: 'BIG-1', mrn: 'BIGMRN1', bytes: BIG })
    expect(Buffer.byteLength(text)).toBeGreaterThanOrEqual(BIG - 8)
    const c = await MllpTestClient.connect(port)
    expect((await c.sendAck(text)).code).toBe('AA')
    c.close()
    await t.idle()
    const [row] = t.rows("control_id = 'BIG-1'")
    const id = row!.id
    expect(row).toMatchObject({ status: 'done', message_type: 'MDM^T02' })
    expect(sha(row!.raw)).toBe(sha(text))
    // The document record holds the body (the PDF's base64, OBX-5.5 as sent).
    const doc = t.engine.ctx.records.findByExternalId('sandbox', 'document', 'hl7-txa:REDDING HOSPITAL', 'DOC-BIG-1')
    expect(Buffer.from(String(doc!.data.content_base64), 'base64').subarray(0, 8).toString()).toBe('%PDF-1.4')
    expect(String(doc!.data.content_base64).length).toBeGreaterThan(BIG * 0.99)

    const where = `t.id = ${id}`
    const afterProcessing = payloadWrites(t.engine.ctx.db, where)
    expect(afterProcessing).toMatchObject({ inserts: 1, updates: 0, deletes: 0 })
    expect(afterProcessing.insertedBytes).toBe(Buffer.byteLength(text))
    expect(afterProcessing.statuses.at(-1)).toBe('done')
    // What a status change rewrites: the row without the payload or the document's body.
    expect(afterProcessing.maxRowBytes).toBeLessThan(64 * 1024)
    expect(JSON.parse(t.engine.ctx.txRepo.get(id)!.mapped!).document.content_base64).toBe('(content)')

    // Reprocess: queued, processed again from the same stored bytes.
    expect(await t.call<{ queued: number[] }>('transactions.reprocess', { ids: [id] })).toMatchObject({ queued: [id] })
    await until(() => statusOf(id) === 'done', 'the reprocessed big message done')
    await t.idle()
    const afterReprocess = payloadWrites(t.engine.ctx.db, where)
    expect(afterReprocess).toMatchObject({ inserts: 1, updates: 0, deletes: 0 })
    expect(afterReprocess.statuses.slice(afterProcessing.statuses.length)).toEqual(expect.arrayContaining(['queued', 'done']))
    expect(afterReprocess.maxRowBytes).toBeLessThan(64 * 1024)
    expect(t.engine.ctx.txRepo.get(id)!.attempts).toBe(2)

    // A discard is one more status change; the payload stays as it was.
    await t.call('transactions.discard', { ids: [id], reason: 'test: a big message discarded' })
    const afterDiscard = payloadWrites(t.engine.ctx.db, where)
    expect(afterDiscard).toMatchObject({ inserts: 1, updates: 0, deletes: 0 })
    expect(afterDiscard.statuses.at(-1)).toBe('discarded')
    expect(sha(t.rows(`t.id = ${id}`)[0]!.raw)).toBe(sha(text))
  })
})
