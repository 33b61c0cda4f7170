/**
 * A document's body (an MDM's base64 PDF) is stored once, in `bodies` by its hash (referred to from
 * `record_bodies`; for a message over 1 MB, stored by the big-payload thread before the group), not in the record's
 * row nor in its change history: the history holds its size and hash. Through process, reprocess
 * (same body: nothing rewritten, no change) and an edit (a new body: one new version), every
 * reader of the record API gets the body back byte-identical to what the message carried.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bigMdmMsg, MDM_ED_SAMPLE } from '../../support/hl7-messages'
import { MllpTestClient, openHl7Engine, until, type Hl7TestEngine } from './support'

const BYTES = 1024 * 1024

let t: Hl7TestEngine
let port: number

beforeAll(async () => {
  t = await openHl7Engine()
  ;({ port } = await t.addInbound('mdm-in'))
})
afterAll(async () => {
  await t?.close()
})

const sha = (s: string): string => createHash('sha256').update(s).digest('hex')
/** The base64 of OBX-5.5 as the message carries it. */
const bodyOf = (msg: string): string => /^OBX\|(?:[^|\r]*\|){4}[^^\r]*\^[^^\r]*\^[^^\r]*\^[^^\r]*\^([^|\r^]*)/m.exec(msg)![1]!

describe('a document body is stored once', () => {
  it('keeps the change history small and the body readable byte-identical after process, reprocess and an edit', async () => {
    const template = readFileSync(MDM_ED_SAMPLE, 'latin1')
    const first = bigMdmMsg(template, { control: 'BODY-1', mrn: 'BODYMRN1', bytes: BYTES })
    const c = await MllpTestClient.connect(port)
    expect((await c.sendAck(first)).code).toBe('AA')
    c.close()
    await t.idle()
    const [row] = t.rows("control_id = 'BODY-1'")
    expect(row).toMatchObject({ status: 'done', message_type: 'MDM^T02' })
    const id = row!.id
    const db = t.engine.ctx.db
    const records = t.engine.ctx.records
    const read = (): { id: number; body: unknown } => {
      const doc = records.findByExternalId('sandbox', 'document', 'hl7-txa:REDDING HOSPITAL', 'DOC-BODY-1')!
      expect(records.get(doc.id)!.data.content_base64).toBe(doc.data.content_base64)
      return { id: doc.id, body: doc.data.content_base64 }
    }
    const body1 = bodyOf(first)
    expect(body1.length).toBeGreaterThan(BYTES * 0.9)
    const doc = read()
    expect(doc.body).toBe(body1)
    expect(Buffer.from(body1, 'base64').subarray(0, 8).toString()).toBe('%PDF-1.4')

    const sizes = db.prepare(`SELECT op, length(coalesce(before, '')) + length(after) AS n, json_extract(after, '$.content_base64') AS content FROM record_changes WHERE record_id = ? ORDER BY id`)
    const stored = db.prepare('SELECT (SELECT length(data) FROM records WHERE id = ?) AS rec, (SELECT count(*) FROM record_bodies WHERE record_id = ?) AS bodies, (SELECT sha256 FROM record_bodies WHERE record_id = ?) AS sha')
    const created = sizes.all(doc.id) as { op: string; n: number; content: string }[]
    expect(created).toHaveLength(1)
    expect(created[0]).toMatchObject({ op: 'create', content: `(content: ${body1.length} bytes, sha256 ${sha(body1)})` })
    expect(created[0]!.n).toBeLessThan(4096)
    expect(stored.get(doc.id, doc.id, doc.id)).toMatchObject({ bodies: 1, sha: sha(body1) })
    expect((stored.get(doc.id, doc.id, doc.id) as { rec: number }).rec).toBeLessThan(4096)
    // The inspector's diff shows the body's summary, never the body.
    const view = await t.call<{ diffs: { kind: string; fields: { path: string }[] }[] }>('inspector.view', { id })
    expect(JSON.stringify(view.diffs).length).toBeLessThan(16 * 1024)
    const at = view.diffs.findIndex((d) => d.kind === 'document')
    expect(await t.call('inspector.reveal', { id, stage: 'diff', path: `${at}:content_base64`, reason: 'test' })).toMatchObject({ diff: { after: created[0]!.content } })

    // Reprocess: the same body, so no new version and no rewrite.
    const bodyWrites = db.prepare('SELECT count(*) FROM record_bodies WHERE record_id = ?').pluck()
    await t.call('transactions.reprocess', { ids: [id] })
    await until(() => t.engine.ctx.txRepo.get(id)!.attempts === 2 && t.engine.ctx.txRepo.statusOf(id) === 'done', 'reprocessed')
    await t.idle()
    expect(sizes.all(doc.id)).toHaveLength(1)
    expect(bodyWrites.get(doc.id)).toBe(1)
    const bodies = db.prepare('SELECT sha256 FROM bodies ORDER BY sha256').pluck()
    expect(bodies.all()).toEqual([sha(body1)])
    expect(read().body).toBe(body1)

    // An edit carrying another document: one new version, its history row small, the new body read back whole.
    const edited = bigMdmMsg(template, { control: 'BODY-1', mrn: 'BODYMRN1', bytes: BYTES, body: Buffer.from('1 0 obj << /Type /Page /Contents (Edited) >> endobj\n') })
    const body2 = bodyOf(edited)
    expect(body2).not.toBe(body1)
    await t.call('transactions.editAndReprocess', { id, raw: edited, reason: 'test: the corrected scan' })
    await until(() => t.engine.ctx.txRepo.get(id)!.attempts === 3 && t.engine.ctx.txRepo.statusOf(id) === 'done', 'edited and reprocessed')
    await t.idle()
    const after = sizes.all(doc.id) as { op: string; n: number; content: string }[]
    expect(after).toHaveLength(2)
    expect(after[1]).toMatchObject({ op: 'update', content: `(content: ${body2.length} bytes, sha256 ${sha(body2)})` })
    expect(after[1]!.n).toBeLessThan(4096)
    expect(stored.get(doc.id, doc.id, doc.id)).toMatchObject({ bodies: 1, sha: sha(body2) })
    expect(read().body).toBe(body2)
    // The first body stays until retention finds that no record refers to it any more.
    expect(bodies.all()).toEqual([sha(body1), sha(body2)].sort())
  })
})
