/**
 * Patient documents (reference §4.4): list (departmentid required) and upload, either as a
 * multipart `attachmentcontents` file part (H doc text) or base64 in a form field (used by other
 * document endpoints, M). The sandbox keeps only size, type and SHA-256 of uploads.
 */
import { createHash } from 'node:crypto'
import type { RequestContext, RouteDef } from '../context'
import { badRequest, invalidData, missingFields } from '../errors'
import { envelope, STANDARD_LIMITS } from '../pagination'
import { DOCUMENT_SUBCLASSES, documentClassOf } from '../seed/documents'
import { EASTERN, formatDay, formatIsoOffset, formatStamp, todayIn } from '../time'
import { requirePatient } from './patients'

function listDocuments(ctx: RequestContext) {
  ctx.params.require('departmentid')
  const p = requirePatient(ctx, ctx.pathParams.patientid)
  const q = ctx.params
  const cls = q.get('documentclass')?.toUpperCase()
  const sub = q.get('documentsubclass')?.toUpperCase()
  const status = q.get('status')?.toUpperCase()
  const start = q.day('startdate')
  const end = q.day('enddate')
  const showDeleted = q.bool('showdeleted')
  const rows = ctx.world.store
    .documentsOf(p.patientid)
    .filter((d) => {
      const day = todayIn(d.createdAt, EASTERN)
      return (
        (showDeleted || d.status !== 'DELETED') &&
        (!cls || d.documentclass === cls) &&
        (!sub || d.documentsubclass === sub) &&
        (!status || d.status === status) &&
        (start === undefined || day >= start) &&
        (end === undefined || day <= end)
      )
    })
    .sort((a, b) => b.createdAt - a.createdAt || b.documentid - a.documentid)
  return {
    body: envelope(ctx, 'documents', rows, STANDARD_LIMITS, (d) => {
      const out: Record<string, unknown> = {
        documentid: String(d.documentid),
        documentclass: d.documentclass,
        documentsubclass: d.documentsubclass,
        departmentid: String(d.departmentid),
        status: d.status,
        createddate: formatDay(todayIn(d.createdAt, EASTERN)),
        createddatetime: formatStamp(d.createdAt),
        lastmodifieddatetime: formatIsoOffset(d.createdAt),
        createduser: d.createdby,
      }
      if (d.description) out.description = d.description
      if (d.internalnote) out.internalnote = d.internalnote
      if (d.providerid !== undefined) out.providerid = String(d.providerid)
      if (d.appointmentid !== undefined) out.appointmentid = String(d.appointmentid)
      if (d.originalfilename) out.originalfilename = d.originalfilename
      if (d.contentType) out.contenttype = d.contentType
      return out
    }),
  }
}

function uploadDocument(ctx: RequestContext) {
  const q = ctx.params
  const p = requirePatient(ctx, ctx.pathParams.patientid)
  const { store } = ctx.world
  const missing: string[] = []
  if (!q.has('departmentid') && !q.has('appointmentid')) missing.push('departmentid')
  if (!q.has('documentsubclass')) missing.push('documentsubclass')
  const file = ctx.files.find((f) => f.field.toLowerCase() === 'attachmentcontents')
  const base64 = q.get('attachmentcontents')
  if (!file && base64 === undefined) missing.push('attachmentcontents')
  if (missing.length) throw missingFields(missing)

  const subclass = q.get('documentsubclass')!.toUpperCase()
  if (!(DOCUMENT_SUBCLASSES as readonly string[]).includes(subclass)) throw invalidData(`Invalid documentsubclass ${subclass}.`)
  let departmentid = q.int('departmentid')
  const appointmentid = q.int('appointmentid')
  if (appointmentid !== undefined) {
    const a = store.appointment(appointmentid)
    if (!a || a.patientid !== p.patientid) throw badRequest('Invalid appointment ID.', `Appointment ${appointmentid} is not this patient's appointment.`)
    departmentid ??= a.departmentid
  }
  if (departmentid === undefined || !store.departments.has(departmentid)) throw badRequest('Invalid department ID.', `Department ${departmentid} does not exist.`)
  const providerid = q.int('providerid')
  if (providerid !== undefined && !store.providers.has(providerid)) throw badRequest('Invalid provider ID.', `Provider ${providerid} does not exist.`)

  let data: Buffer
  let contentType: string
  let filename = q.get('originalfilename')
  if (file) {
    data = file.data
    contentType = file.contentType
    filename ??= file.filename
  } else {
    const cleaned = base64!.replace(/\s+/g, '')
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(cleaned)) throw invalidData('attachmentcontents is not valid base64.')
    data = Buffer.from(cleaned, 'base64')
    contentType = q.get('contenttype') ?? 'application/octet-stream'
  }
  if (data.length === 0) throw invalidData('attachmentcontents is empty.')

  const doc = store.addDocument({
    documentid: store.nextDocumentId,
    patientid: p.patientid,
    departmentid,
    documentclass: documentClassOf(subclass),
    documentsubclass: subclass,
    status: q.bool('autoclose') ? 'CLOSED' : 'REVIEW',
    internalnote: q.get('internalnote'),
    providerid,
    appointmentid,
    originalfilename: filename,
    contentType,
    size: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    createdAt: ctx.now,
    createdby: ctx.apiUser,
  })
  ctx.world.documentBodies.set(doc.documentid, data)
  return { body: { documentid: String(doc.documentid) } }
}

export const documentRoutes: RouteDef[] = [
  { method: 'GET', path: '/patients/:patientid/documents', handler: listDocuments },
  { method: 'POST', path: '/patients/:patientid/documents', handler: uploadDocument },
]
