/**
 * Documents written to athena, which refuses FHIR writes: a Practice Studio document with its
 * content goes through athenaNet's document upload (`POST /v1/{practiceid}/patients/{patientid}/documents`)
 * as an athena outbound transaction — in the transaction log with the path and why, retrievable
 * from the sandbox afterwards (FHIR Binary, /v1 list); a refused upload lands in the error queue
 * with a non-retryable error and goes through once the record is fixed and the transaction
 * reprocessed; an unmapped document type is a code-map miss; with `--fhir-writes` the same
 * document is a FHIR DocumentReference create.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { athenaState } from '../../../electron/engine/connectors/athena'
import { DEFAULT_FHIR_SCOPES } from '../../../shared/config'
import { fhir, patientRecord, PRACTICE, startFhirTest, type FhirTest } from './support'

let f: FhirTest | undefined
afterEach(async () => {
  await f?.stop()
  f = undefined
})

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\n% consult note body\ntrailer<<>>\n%%EOF\n')

async function setup(scopes?: string[]): Promise<{ f: FhirTest; patientId: number }> {
  const t = await startFhirTest(scopes ? { fhir: { scopes } } : {})
  await t.call('fhir.pull.patient', { practiceId: PRACTICE, id: 'a-195900.E-1005' })
  await t.settled()
  return { f: t, patientId: patientRecord(t, '1005').id }
}

function addDocument(t: FhirTest, patientRef: number, key: string, data: Record<string, unknown>) {
  return t.engine.ctx.records.upsert({
    practiceId: PRACTICE,
    kind: 'document',
    ids: [{ system: 'studio', value: key }],
    patientRef,
    data: { document_type: '11488-4', title: 'Cardiology consult', filename: `${key}.pdf`, content_type: 'application/pdf', content_base64: PDF.toString('base64'), department_id: '1', ...data },
  })
}

async function sandboxGet(t: FhirTest, path: string): Promise<any> {
  const res = await fetch(`${t.sb.url}${path}`, { headers: { Authorization: `Bearer ${await fhir(t).runtime.entry(PRACTICE).tokens.getToken()}` } })
  expect(res.status).toBe(200)
  return res.json()
}

function txRow(t: FhirTest, id: number): any {
  return t.engine.ctx.db.prepare('SELECT connector, direction, channel, message_type, status, error_code, error_retryable, parsed, mapped, attempts FROM transactions WHERE id = ?').get(id)
}

describe('FHIR document writes to athena', () => {
  it('uploads a Practice Studio document through athenaNet as a transaction that names the path and why; the document is retrievable', async () => {
    const s = await setup()
    f = s.f
    const doc = addDocument(f, s.patientId, 'consult-1', {})
    const w = await f.call<any>('fhir.write', { practiceId: PRACTICE, recordId: doc.id })
    expect(w.error ?? null).toBeNull()
    expect(w).toMatchObject({ path: 'athena-v1', status: 'sent', txId: expect.any(Number), resourceId: expect.stringMatching(/^\d+$/) })
    expect(w.why).toMatch(/does not allow DocumentReference create \(read, search-type\).*POST \/patients\/\{patientid\}\/documents/)

    const row = txRow(f, w.txId)
    expect(row).toMatchObject({ connector: 'athena', direction: 'out', channel: 'documents', message_type: 'document.upload', status: 'done' })
    expect(JSON.parse(row.parsed).route).toEqual({ path: 'athena-v1', why: w.why })
    // The inspector's mapped stage names the fields, never the content.
    const mapped = JSON.parse(row.mapped)
    expect(mapped).toMatchObject({ documentsubclass: 'CLINICALDOCUMENT_CONSULTNOTE', patientid: '1005', departmentid: '1', originalfilename: 'consult-1.pdf', attachmentcontents: `(${PDF.length} bytes)` })

    // In athenaNet: listed with the mapped subclass, and its content is the bytes sent.
    const list = await sandboxGet(f, '/v1/195900/patients/1005/documents?departmentid=1')
    expect(list.documents.find((d: any) => d.documentid === w.resourceId)).toMatchObject({ documentsubclass: 'CLINICALDOCUMENT_CONSULTNOTE', originalfilename: 'consult-1.pdf', contenttype: 'application/pdf', status: 'REVIEW' })
    const bin = await sandboxGet(f, `/fhir/r4/Binary/a-195900.document-${w.resourceId}`)
    expect(Buffer.from(bin.data, 'base64').equals(PDF)).toBe(true)

    // The Practice Studio record now carries athena's id (one record, not a second one from the read-back).
    const after = f.engine.ctx.records.get(doc.id)!
    expect(after.externalIds).toEqual(expect.arrayContaining([{ system: 'athena', value: w.resourceId }]))
    expect(f.engine.ctx.db.prepare("SELECT count(*) FROM records WHERE practice_id = ? AND kind = 'document'").pluck().get(PRACTICE)).toBe(1)
    const audit = f.engine.ctx.db.prepare("SELECT details FROM audit_log WHERE action = 'fhir.write' AND target_id = ?").pluck().get(String(w.txId)) as string
    expect(JSON.parse(audit)).toMatchObject({ path: 'athena-v1', recordId: doc.id })

    // Writing it again is refused before any call: it is already in athenaNet.
    await expect(f.call('fhir.write', { practiceId: PRACTICE, recordId: doc.id })).rejects.toThrow(/conflict/)
    expect((await sandboxGet(f, '/v1/195900/patients/1005/documents?departmentid=1')).documents.length).toBe(list.documents.length)
  })

  it('a refused upload lands in the error queue (not retryable) and goes through once the record is fixed and the transaction reprocessed', async () => {
    const s = await setup()
    f = s.f
    const before = (await sandboxGet(f, '/v1/195900/patients/1005/documents?departmentid=1')).documents.length
    const doc = addDocument(f, s.patientId, 'discharge-1', { document_type: 'CLINICALDOCUMENT_ADMISSIONDISCHARGE', department_id: '77' })
    const w = await f.call<any>('fhir.write', { practiceId: PRACTICE, recordId: doc.id })
    expect(w).toMatchObject({ path: 'athena-v1', status: 'error', error: { retryable: false } })
    expect(w.error.message).toMatch(/department/i)
    expect(txRow(f, w.txId)).toMatchObject({ status: 'error', error_retryable: 0, attempts: 1 })
    // athenaNet refused it (400), once: a clear refusal is not retried.
    await athenaState(f.engine.ctx).runtime.apiLog.flush()
    expect(f.engine.ctx.db.prepare("SELECT status, outcome FROM athena_api_calls WHERE method = 'POST' AND endpoint LIKE '%/documents'").all()).toEqual([{ status: 400, outcome: 'rejected' }])
    const queue = await f.call<any>('transactions.list', { practiceId: PRACTICE, statuses: ['error'] })
    expect(queue.items.map((x: any) => x.id)).toContain(w.txId)
    expect((await sandboxGet(f, '/v1/195900/patients/1005/documents?departmentid=1')).documents.length).toBe(before)

    // Fixed in Practice Studio, then reprocessed from the error queue: the record as it is now is sent.
    f.engine.ctx.records.upsert({ practiceId: PRACTICE, kind: 'document', ids: [{ system: 'studio', value: 'discharge-1' }], data: { department_id: '1' } })
    expect(await f.call<any>('transactions.reprocess', { ids: [w.txId] })).toMatchObject({ queued: [w.txId] })
    await f.settled()
    const row = txRow(f, w.txId)
    expect(row).toMatchObject({ status: 'done', attempts: 2 })
    const docs = (await sandboxGet(f, '/v1/195900/patients/1005/documents?departmentid=1')).documents
    expect(docs.length).toBe(before + 1)
    const athenaId = f.engine.ctx.records.get(doc.id)!.externalIds.find((x) => x.system === 'athena')!.value
    expect(docs.find((d: any) => d.documentid === athenaId)).toMatchObject({ documentsubclass: 'CLINICALDOCUMENT_ADMISSIONDISCHARGE', departmentid: '1' })
  })

  it('an unmapped document type is a code-map miss in the worklist, not a guess; nothing is sent', async () => {
    const s = await setup()
    f = s.f
    const doc = addDocument(f, s.patientId, 'odd-1', { document_type: '99999-9' })
    const w = await f.call<any>('fhir.write', { practiceId: PRACTICE, recordId: doc.id })
    expect(w).toMatchObject({ status: 'error', error: { code: 'mapping_error', retryable: false } })
    const misses = await f.call<any[]>('mappings.misses', { practiceId: PRACTICE })
    expect(misses).toEqual(expect.arrayContaining([expect.objectContaining({ setKey: 'athena.document.out', mapName: 'document_subclass', value: '99999-9', examples: [w.txId] })]))
    expect(txRow(f, w.txId)).toMatchObject({ status: 'error', attempts: 1 })
    // Nothing reached athenaNet: no upload call in the API log.
    await athenaState(f.engine.ctx).runtime.apiLog.flush()
    expect(f.engine.ctx.db.prepare("SELECT count(*) FROM athena_api_calls WHERE method = 'POST' AND endpoint LIKE '%documents%'").pluck().get()).toBe(0)
  })

  it('with a server that allows DocumentReference create, the document is a FHIR create', async () => {
    const s = await setup([...DEFAULT_FHIR_SCOPES, 'system/DocumentReference.write'])
    f = s.f
    f.sb.fhir.setWrites(true)
    await f.call('fhir.capabilities', { practiceId: PRACTICE, refresh: true })
    const doc = addDocument(f, s.patientId, 'consult-2', {})
    const w = await f.call<any>('fhir.write', { practiceId: PRACTICE, recordId: doc.id })
    expect(w).toMatchObject({ path: 'fhir', status: 'sent', txId: null, resourceId: expect.any(String) })
    expect(w.why).toMatch(/allows DocumentReference create/)
    const created = await sandboxGet(f, `/fhir/r4/DocumentReference/${w.resourceId}`)
    expect(Buffer.from(created.content[0].attachment.data, 'base64').equals(PDF)).toBe(true)
  })
})
