import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, start, token, type Started } from './helpers'

let s: Started
let tok: string
beforeAll(async () => {
  s = await start()
  tok = await token(s.sb)
})
afterAll(() => s.sb.close())

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n')

describe('patient documents', () => {
  it('uploads a multipart attachmentcontents file part and lists it', async () => {
    const form = new FormData()
    form.append('departmentid', '1')
    form.append('documentsubclass', 'ADMIN_CONSENT')
    form.append('internalnote', 'signed at front desk')
    form.append('attachmentcontents', new Blob([PDF], { type: 'application/pdf' }), 'consent.pdf')
    const res = await fetch(`${s.sb.url}/v1/195900/patients/1001/documents`, { method: 'POST', headers: { Authorization: `Bearer ${tok}` }, body: form })
    expect(res.status).toBe(200)
    const { documentid } = (await res.json()) as { documentid: string }
    expect(documentid).toMatch(/^\d+$/)
    const list = await api(s.sb, tok, 'GET', '/patients/1001/documents', { departmentid: 1 })
    const doc = list.json.documents.find((d: any) => d.documentid === documentid)
    expect(doc).toMatchObject({ documentclass: 'ADMIN', documentsubclass: 'ADMIN_CONSENT', status: 'REVIEW', originalfilename: 'consent.pdf', contenttype: 'application/pdf', internalnote: 'signed at front desk' })
  })

  it('accepts base64 attachmentcontents in a form body', async () => {
    const res = await api(s.sb, tok, 'POST', '/patients/1002/documents', {
      departmentid: 1,
      documentsubclass: 'CLINICALDOCUMENT_CONSULTNOTE',
      attachmentcontents: PDF.toString('base64'),
      autoclose: 'true',
    })
    expect(res.status).toBe(200)
    const list = await api(s.sb, tok, 'GET', '/patients/1002/documents', { departmentid: 1, documentclass: 'CLINICALDOCUMENT' })
    expect(list.json.documents.find((d: any) => d.documentid === res.json.documentid)).toMatchObject({ status: 'CLOSED' })
  })

  it('validates required fields and the subclass', async () => {
    const none = await api(s.sb, tok, 'POST', '/patients/1001/documents', {})
    expect(none.json.missingfields.sort()).toEqual(['attachmentcontents', 'departmentid', 'documentsubclass'])
    const bad = await api(s.sb, tok, 'POST', '/patients/1001/documents', { departmentid: 1, documentsubclass: 'NOPE', attachmentcontents: 'aGVsbG8=' })
    expect(bad.json.error).toBe('The data provided is invalid.')
    expect((await api(s.sb, tok, 'GET', '/patients/1001/documents')).json.missingfields).toEqual(['departmentid'])
  })
})
