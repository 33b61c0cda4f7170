/**
 * Outbound athenaNet transactions: writes to athenaNet, each idempotent (API-08). athena has no
 * idempotency key, so every write keeps a "sent" marker per operation key; when a previous attempt
 * may have reached the server (a 5xx or timeout after the request went out, a crash, a
 * reprocess), the handler first asks athenaNet what happened — the slot is already booked for
 * this patient, the appointment is already cancelled, the slots already exist, the patient
 * already exists — and only sends again when it did not. After a successful write the affected
 * records are read back and upserted, so Practice Studio shows athena's ids and state.
 */
import { AppError } from '../../../../../shared/errors'
import type { EngineContext } from '../../../core/engine-context'
import { evaluateMapping, jsonAccessor } from '../../../mapping'
import type { ConnectorHandler, ProcessContext } from '../../../pipeline/connector-handler'
import type { StoredRecord } from '../../../records/record-store'
import type { AthenaClient } from '../client/athena-client'
import type { Params } from '../client/encode'
import { asId, isRecord, readList, readOne } from '../client/response'
import { DOCUMENT_OUT_KEY } from '../mapping-sets'
import type { AthenaRuntime } from '../runtime'
import { applyMapped, ATHENA_SYSTEM, describeIssues, mapInbound } from './inbound-handler'
import { contentHash, outboundEnvelopeSchema, type InboundEnvelope, type OutboundEnvelope } from './messages'

type P = Record<string, unknown>
const s = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v))
const req = (params: P, name: string): string => {
  const v = s(params[name])
  if (v === undefined) throw new AppError('validation_error', `The outbound request has no ${name}.`, { retryable: false })
  return v
}

export interface OutboundResult {
  op: string
  /** athena ids the write produced or touched. */
  appointmentId?: string | null
  newAppointmentId?: string | null
  appointmentIds?: string[]
  patientId?: string | null
  documentId?: string | null
  status?: string | null
  /** True when the write had already happened (found by reconciliation) and was not sent again. */
  reconciled: boolean
  records: number[]
}

interface OpContext {
  ctx: EngineContext
  runtime: AthenaRuntime
  practiceId: string
  client: AthenaClient
  env: OutboundEnvelope
  p: ProcessContext
}

export function outboundHandler(ctx: EngineContext, runtime: AthenaRuntime): ConnectorHandler<OutboundEnvelope, OutboundEnvelope> {
  return {
    connector: 'athena',
    direction: 'out',
    lanes: 'channel',
    maxAttempts: 5,
    backoff: { baseMs: 1000, capMs: 60_000 },
    parse(p) {
      let raw: unknown
      try {
        raw = JSON.parse(p.payload.toString('utf8'))
      } catch {
        throw new AppError('parse_error', 'The stored outbound request is not JSON.', { retryable: false })
      }
      const r = outboundEnvelopeSchema.safeParse(raw)
      if (!r.success) throw new AppError('parse_error', 'The stored outbound request is not an athena outbound envelope.', { retryable: false })
      const env = r.data
      p.setKeys({ messageType: env.op, patientId: s(env.params.patientid) ?? null, appointmentId: s(env.params.appointmentid) ?? null })
      p.setParsed({ op: env.op, recordId: env.recordId ?? null, params: Object.keys(env.params), ...(env.route ? { route: env.route } : {}) })
      return env
    },
    map(env, p) {
      // A Practice Studio document goes through athena.document.out, read from the record as it is now (so a fix to it or to the set is what a reprocess sends).
      if (env.op === 'document.upload' && env.recordId !== undefined) return mapDocument(ctx, runtime, env, p)
      // A push from a Practice Studio record goes through athena.appointment.out first.
      if (env.op !== 'appointment.push') return env
      const rec = recordOf(ctx, p.tx.practice_id, env.recordId, 'appointment')
      const eff = ctx.mappings.effective(p.tx.practice_id, 'athena.appointment.out')
      const result = evaluateMapping(eff.set, jsonAccessor(rec.data), runtime.mappingContext(p.tx.practice_id))
      ctx.mappings.recordMisses(p.tx.practice_id, 'athena.appointment.out', result.codeMisses, p)
      if (!result.ok) throw new AppError('mapping_error', `Mapping athena.appointment.out failed: ${describeIssues(result)}`, { retryable: false })
      const mapped = { ...env, params: { ...result.output, ...env.params, athenaPatientId: athenaIdOf(ctx, rec.patientRef, 'patient'), athenaAppointmentId: athenaIdOfRecord(rec) } }
      p.setMapped(mapped.params)
      return mapped
    },
    async apply(env, p) {
      const practiceId = p.tx.practice_id
      const client = runtime.client(practiceId)
      const o: OpContext = { ctx, runtime, practiceId, client, env, p }
      const result = await OPS[env.op](o)
      p.setOutbound({ op: env.op, sent: !result.reconciled })
      p.setResponse(JSON.stringify(result))
    },
  }
}

function mapDocument(ctx: EngineContext, runtime: AthenaRuntime, env: OutboundEnvelope, p: ProcessContext): OutboundEnvelope {
  const practiceId = p.tx.practice_id
  const rec = recordOf(ctx, practiceId, env.recordId, 'document')
  const eff = ctx.mappings.effective(practiceId, DOCUMENT_OUT_KEY)
  const result = evaluateMapping(eff.set, jsonAccessor(rec.data), runtime.mappingContext(practiceId))
  ctx.mappings.recordMisses(practiceId, DOCUMENT_OUT_KEY, result.codeMisses, p)
  if (!result.ok) throw new AppError('mapping_error', `Mapping ${DOCUMENT_OUT_KEY} failed: ${describeIssues(result)}`, { retryable: false })
  const patientid = athenaIdOf(ctx, rec.patientRef, 'patient')
  if (!patientid) throw new AppError('unknown_patient', 'The document’s patient has no athenaNet id yet; sync or create the patient first.', { retryable: false })
  const out = result.output as P
  const departmentid = s(out.departmentid) ?? s(ctx.records.get(rec.patientRef!)?.data.department_id)
  if (!departmentid) throw new AppError('validation_error', 'The document has no department, and neither has its patient: athenaNet files a document in a department.', { retryable: false })
  const params: P = { ...out, patientid, departmentid, originalfilename: s(out.originalfilename) ?? `document-${rec.id}`, ...env.params }
  p.setKeys({ patientId: patientid })
  p.setMapped({ ...params, attachmentcontents: `(${Buffer.from(String(params.attachmentcontents), 'base64').length} bytes)` })
  return { ...env, params }
}

function recordOf(ctx: EngineContext, practiceId: string, id: number | undefined, kind: StoredRecord['kind']): StoredRecord {
  const rec = id === undefined ? null : ctx.records.get(id)
  if (!rec || rec.practiceId !== practiceId || rec.kind !== kind) throw new AppError('not_found', `There is no ${kind} record ${id ?? '(none)'} in this practice.`, { retryable: false })
  return rec
}

/** The record's current athena id: after a reschedule a record holds two, and its data names the live one. */
function athenaIdOfRecord(rec: StoredRecord): string | null {
  const ids = rec.externalIds.filter((x) => x.system === ATHENA_SYSTEM).map((x) => x.value)
  const current = rec.data.external_id === undefined || rec.data.external_id === null ? null : String(rec.data.external_id)
  return current !== null && ids.includes(current) ? current : (ids[0] ?? null)
}

function athenaIdOf(ctx: EngineContext, recordId: number | null, _kind: 'patient'): string | null {
  if (recordId === null) return null
  const r = ctx.records.get(recordId)
  return r ? athenaIdOfRecord(r) : null
}

/** Runs `send` unless the marker or the attempt number says a previous try may have landed and `check` finds it did. */
async function idempotent<T>(o: OpContext, opKey: string, check: () => Promise<T | null>, send: () => Promise<T>, remoteIdOf: (t: T) => string | null): Promise<{ value: T; reconciled: boolean }> {
  const repo = o.runtime.syncState
  const marker = repo.outbound(o.practiceId, opKey)
  if (marker || o.p.attempt > 1 || o.p.tx.payload_version > 0) {
    const found = await o.p.step('reconcile', check)
    if (found !== null) {
      repo.markOutbound(o.practiceId, opKey, 'sent', o.p.tx.id, remoteIdOf(found), o.ctx.clock.now())
      return { value: found, reconciled: true }
    }
  }
  repo.markOutbound(o.practiceId, opKey, 'sending', o.p.tx.id, null, o.ctx.clock.now())
  try {
    const value = await o.p.step('send', send)
    repo.markOutbound(o.practiceId, opKey, 'sent', o.p.tx.id, remoteIdOf(value), o.ctx.clock.now())
    return { value, reconciled: false }
  } catch (e) {
    const maybe = e instanceof AppError && typeof e.details === 'object' && e.details !== null && (e.details as { maybeProcessed?: boolean }).maybeProcessed
    // Unknown outcome: keep "sending" so the next attempt reconciles first. A clear refusal: not sent.
    if (!maybe) repo.markOutbound(o.practiceId, opKey, 'failed', o.p.tx.id, null, o.ctx.clock.now())
    throw e
  }
}

async function getAppointment(client: AthenaClient, id: string): Promise<P | null> {
  try {
    return readOne<P>((await client.get(`/appointments/${id}`)).body)
  } catch (e) {
    if (e instanceof AppError && e.code === 'not_found') return null
    throw e
  }
}

/** Reads athena's current state of appointments and upserts them into Practice Studio. */
async function storeAppointments(o: OpContext, appts: P[]): Promise<number[]> {
  const ids: number[] = []
  for (const a of appts) {
    const env: InboundEnvelope = { v: 1, kind: 'appointment', athenaPracticeId: o.client.athenaPracticeId, source: '/v1/{practiceid}/appointments/{appointmentid}', fetchedAt: o.ctx.clock.now(), record: a }
    const mapped = mapInbound(o.ctx, o.runtime, o.practiceId, env, o.p)
    const done = await o.ctx.batcher.run(() => applyMapped(o.ctx, o.practiceId, mapped, o.p.tx.id))
    ids.push(...done.map((d) => d.id))
  }
  return ids
}

async function storePatient(o: OpContext, patientId: string): Promise<number[]> {
  const p = readOne<P>((await o.client.get(`/patients/${patientId}`)).body)
  if (!p) return []
  const env: InboundEnvelope = { v: 1, kind: 'patient', athenaPracticeId: o.client.athenaPracticeId, source: '/v1/{practiceid}/patients/{patientid}', fetchedAt: o.ctx.clock.now(), record: p }
  const mapped = mapInbound(o.ctx, o.runtime, o.practiceId, env, o.p)
  const done = await o.ctx.batcher.run(() => applyMapped(o.ctx, o.practiceId, mapped, o.p.tx.id))
  return done.map((d) => d.id)
}

/** Adds the athena id to a Practice Studio record found through its existing ids. */
async function linkRecord(o: OpContext, rec: StoredRecord, athenaId: string): Promise<void> {
  if (rec.externalIds.length === 0 || rec.externalIds.some((x) => x.system === ATHENA_SYSTEM && x.value === athenaId)) return
  await o.ctx.batcher.run(() => o.ctx.records.upsert({ practiceId: o.practiceId, kind: rec.kind, ids: [...rec.externalIds, { system: ATHENA_SYSTEM, value: athenaId }], data: {}, txId: o.p.tx.id }))
}

const BOOKED = new Set(['f', '2', '3', '4'])

async function book(o: OpContext, params: P, linkTo?: StoredRecord): Promise<OutboundResult> {
  const id = req(params, 'appointmentid')
  const patientid = req(params, 'patientid')
  const { value, reconciled } = await idempotent(
    o,
    `book:${id}:${patientid}`,
    async () => {
      const a = await getAppointment(o.client, id)
      if (!a) return null
      const status = String(a.appointmentstatus ?? '')
      if (BOOKED.has(status) && asId(a.patientid) === patientid) return a
      if (status === 'o') return null
      throw new AppError('conflict', `athenaNet appointment ${id} is no longer open (status ${status}); it was not booked for this patient.`, { retryable: false })
    },
    async () => {
      const res = await o.client.put(`/appointments/${id}`, {
        patientid,
        reasonid: s(params.reasonid),
        appointmenttypeid: s(params.reasonid) ? undefined : s(params.appointmenttypeid),
        departmentid: s(params.departmentid),
        bookingnote: s(params.bookingnote),
        ignoreschedulablepermission: params.ignoreschedulablepermission === true ? true : undefined,
      })
      const booked = readOne<P>(res.body)
      if (!booked) throw new AppError('remote_rejected', 'athenaNet answered the booking without the appointment.', { retryable: false })
      return booked
    },
    (a) => asId(a.appointmentid),
  )
  // A pushed Practice Studio appointment takes athena's id first, so the read-back updates it instead of adding a second record.
  if (linkTo) await linkRecord(o, linkTo, id)
  const records = await storeAppointments(o, [value])
  return { op: 'appointment.book', appointmentId: asId(value.appointmentid), patientId: patientid, status: s(value.appointmentstatus) ?? null, reconciled, records }
}

async function cancel(o: OpContext, params: P): Promise<OutboundResult> {
  const id = req(params, 'appointmentid')
  const patientid = req(params, 'patientid')
  const { reconciled } = await idempotent(
    o,
    `cancel:${id}`,
    async () => {
      const a = await getAppointment(o.client, id)
      return a && String(a.appointmentstatus) === 'x' ? a : null
    },
    async () => {
      // U: the body of a cancel is not documented; any 2xx without success:false is success.
      const res = await o.client.put(`/appointments/${id}/cancel`, {
        patientid,
        cancellationreason: s(params.cancellationreason),
        appointmentcancelreasonid: s(params.appointmentcancelreasonid),
        ignoreschedulablepermission: params.ignoreschedulablepermission === true ? true : undefined,
      })
      return res.body as P
    },
    () => id,
  )
  const now = await getAppointment(o.client, id)
  const records = now ? await storeAppointments(o, [now]) : []
  return { op: 'appointment.cancel', appointmentId: id, patientId: patientid, status: now ? (s(now.appointmentstatus) ?? null) : 'x', reconciled, records }
}

async function reschedule(o: OpContext, params: P, linkTo?: StoredRecord): Promise<OutboundResult> {
  const id = req(params, 'appointmentid')
  const newId = req(params, 'newappointmentid')
  const patientid = req(params, 'patientid')
  const { value, reconciled } = await idempotent(
    o,
    `reschedule:${id}:${newId}`,
    async () => {
      const old = await getAppointment(o.client, id)
      if (old && String(old.appointmentstatus) === 'x' && asId(old.rescheduledappointmentid) === newId) return (await getAppointment(o.client, newId)) ?? { appointmentid: newId }
      return null
    },
    async () => {
      const res = await o.client.put(`/appointments/${id}/reschedule`, {
        newappointmentid: newId,
        patientid,
        reschedulereason: s(params.reschedulereason),
        appointmentcancelreasonid: s(params.appointmentcancelreasonid),
        reasonid: s(params.reasonid),
        ignoreschedulablepermission: params.ignoreschedulablepermission === true ? true : undefined,
      })
      return readOne<P>(res.body) ?? { appointmentid: newId }
    },
    (a) => asId(a.appointmentid),
  )
  if (linkTo) await linkRecord(o, linkTo, newId)
  const old = await getAppointment(o.client, id)
  const fresh = isRecord(value) && value.appointmentstatus !== undefined ? value : await getAppointment(o.client, newId)
  const records = await storeAppointments(o, [old, fresh].filter((x): x is P => x !== null))
  return { op: 'appointment.reschedule', appointmentId: id, newAppointmentId: newId, patientId: patientid, status: fresh ? (s(fresh.appointmentstatus) ?? null) : null, reconciled, records }
}

async function createSlots(o: OpContext, params: P): Promise<OutboundResult> {
  const dept = req(params, 'departmentid')
  const prov = req(params, 'providerid')
  const date = req(params, 'appointmentdate')
  const times = (Array.isArray(params.appointmenttime) ? params.appointmenttime : String(params.appointmenttime ?? '').split(',')).map((t) => String(t).trim()).filter(Boolean)
  if (times.length === 0) throw new AppError('validation_error', 'No slot times given.', { retryable: false })
  const type = s(params.appointmenttypeid)
  const reason = s(params.reasonid)
  const { value, reconciled } = await idempotent(
    o,
    `slots:${dept}:${prov}:${date}:${times.join(',')}:${type ?? `r${reason ?? ''}`}`,
    async () => {
      const res = await o.client.get('/appointments/open', {
        departmentid: dept,
        providerid: prov,
        appointmenttypeid: type,
        reasonid: type ? undefined : reason,
        startdate: date,
        enddate: date,
        bypassscheduletimechecks: true,
        showfrozenslots: true,
      })
      const slots = readList<P>(res.body, 'appointments').items.filter((a) => times.includes(String(a.starttime)) && asId(a.providerid) === prov)
      const found = times.map((t) => slots.find((a) => String(a.starttime) === t))
      return found.every((x) => x !== undefined) ? Object.fromEntries(found.map((a) => [asId(a!.appointmentid)!, String(a!.starttime)])) : null
    },
    async () => {
      const res = await o.client.post('/appointments/open', { departmentid: dept, providerid: prov, appointmentdate: date, appointmenttime: times, appointmenttypeid: type, reasonid: type ? undefined : reason })
      const body = res.body
      const ids = isRecord(body) && isRecord(body.appointmentids) ? (body.appointmentids as Record<string, string>) : {}
      return ids
    },
    (ids) => Object.keys(ids).join(','),
  )
  return { op: 'slots.create', appointmentIds: Object.keys(value), reconciled, records: [] }
}

async function createPatient(o: OpContext, params: P, rec: StoredRecord | null): Promise<OutboundResult> {
  const first = req(params, 'firstname')
  const last = req(params, 'lastname')
  const dob = req(params, 'dob')
  req(params, 'departmentid')
  const fields: P = {}
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '' && !k.startsWith('athena') && k !== 'patientid') fields[k] = v
  const { value, reconciled } = await idempotent(
    o,
    `patient:${contentHash([first.toLowerCase(), last.toLowerCase(), dob])}`,
    async () => {
      const res = await o.client.get('/patients', { firstname: first, lastname: last, dob })
      const hits = readList<P>(res.body, 'patients').items
      return hits.length === 1 ? asId(hits[0]!.patientid) : null
    },
    async () => {
      // athena's own duplicate matching may answer with an existing patient's id (M): that is fine.
      const res = await o.client.post('/patients', fields as Params)
      const id = asId(readOne<P>(res.body)?.patientid)
      if (!id) throw new AppError('remote_rejected', 'athenaNet did not return a patient id.', { retryable: false })
      return id
    },
    (id) => id,
  )
  if (rec) await linkRecord(o, rec, value!)
  const records = await storePatient(o, value!)
  return { op: 'patient.create', patientId: value, reconciled, records }
}

async function updatePatient(o: OpContext, params: P): Promise<OutboundResult> {
  const id = req(params, 'patientid')
  const fields: P = {}
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '' && !k.startsWith('athena') && k !== 'patientid') fields[k] = v
  // A partial update of the same fields is idempotent: safe to retry as is.
  await o.p.step('send', () => o.client.put(`/patients/${id}`, fields as Params, { idempotent: true }))
  const records = await storePatient(o, id)
  return { op: 'patient.update', patientId: id, reconciled: false, records }
}

async function uploadDocument(o: OpContext, params: P): Promise<OutboundResult> {
  const patientid = req(params, 'patientid')
  const departmentid = req(params, 'departmentid')
  const subclass = req(params, 'documentsubclass')
  const filename = req(params, 'originalfilename')
  const contentType = s(params.contenttype) ?? 'application/octet-stream'
  const data = Buffer.from(req(params, 'attachmentcontents'), 'base64')
  const { value, reconciled } = await idempotent(
    o,
    `doc:${patientid}:${contentHash([filename, data.toString('base64')])}`,
    async () => {
      const res = await o.client.get(`/patients/${patientid}/documents`, { departmentid, documentsubclass: subclass })
      const hit = readList<P>(res.body, 'documents').items.find((d) => d.originalfilename === filename)
      return hit ? asId(hit.documentid) : null
    },
    async () => {
      const res = await o.client.post(
        `/patients/${patientid}/documents`,
        { departmentid, documentsubclass: subclass, originalfilename: filename, internalnote: s(params.internalnote), autoclose: params.autoclose === true ? true : undefined },
        { file: { field: 'attachmentcontents', filename, contentType, data } },
      )
      const id = asId(readOne<P>(res.body)?.documentid)
      if (!id) throw new AppError('remote_rejected', 'athenaNet did not return a document id.', { retryable: false })
      return id
    },
    (id) => id,
  )
  // A Practice Studio document takes athena's id first, so the read-back updates it instead of adding a second record.
  if (o.env.recordId !== undefined) await linkRecord(o, recordOf(o.ctx, o.practiceId, o.env.recordId, 'document'), value)
  const list = await o.client.get(`/patients/${patientid}/documents`, { departmentid })
  const doc = readList<P>(list.body, 'documents').items.filter((d) => asId(d.documentid) === value)
  let records: number[] = []
  if (doc.length) {
    const env: InboundEnvelope = { v: 1, kind: 'documents', athenaPracticeId: o.client.athenaPracticeId, source: '/v1/{practiceid}/patients/{patientid}/documents', fetchedAt: o.ctx.clock.now(), patientId: patientid, record: { documents: doc } }
    const mapped = mapInbound(o.ctx, o.runtime, o.practiceId, env, o.p)
    records = (await o.ctx.batcher.run(() => applyMapped(o.ctx, o.practiceId, mapped, o.p.tx.id))).map((d) => d.id)
  }
  return { op: 'document.upload', documentId: value, patientId: patientid, reconciled, records }
}

/** The open slot at the mapped date and time (department wall clock) for this provider and type. */
async function matchingSlot(o: OpContext, params: P): Promise<string> {
  const date = req(params, 'appointmentdate')
  const time = req(params, 'appointmenttime')
  const res = await o.client.get('/appointments/open', {
    departmentid: req(params, 'departmentid'),
    providerid: s(params.providerid),
    appointmenttypeid: s(params.appointmenttypeid),
    reasonid: s(params.appointmenttypeid) ? undefined : (s(params.reasonid) ?? '-1'),
    startdate: date,
    enddate: date,
    bypassscheduletimechecks: true,
  })
  const slot = readList<P>(res.body, 'appointments').items.find((a) => String(a.starttime) === time && (!s(params.providerid) || asId(a.providerid) === s(params.providerid)))
  if (!slot) throw new AppError('conflict', `athenaNet has no open slot on ${date} at ${time} in department ${String(params.departmentid)} for this provider and type.`, { retryable: false })
  return asId(slot.appointmentid)!
}

/**
 * A Practice Studio appointment pushed to athenaNet: book into the matching open slot, cancel, or
 * reschedule (into the given slot, or the one matching the record's new start time).
 */
async function push(o: OpContext, params: P): Promise<OutboundResult> {
  const rec = recordOf(o.ctx, o.practiceId, o.env.recordId, 'appointment')
  const action = req(params, 'action')
  const patientid = s(params.athenaPatientId) ?? s(params.patientid)
  if (!patientid) throw new AppError('unknown_patient', 'The appointment’s patient has no athenaNet id yet; sync or create the patient first.', { retryable: false })
  const athenaId = s(params.athenaAppointmentId)
  if (action === 'book') {
    const slot = athenaId ?? (await matchingSlot(o, params))
    return { ...(await book(o, { ...params, appointmentid: slot, patientid }, rec)), op: 'appointment.push' }
  }
  if (!athenaId) throw new AppError('not_found', 'This appointment has no athenaNet id; push a booking first.', { retryable: false })
  if (action === 'cancel') return { ...(await cancel(o, { ...params, appointmentid: athenaId, patientid })), op: 'appointment.push' }
  if (action === 'reschedule') {
    // A retry after the move landed finds the record already on its new slot: nothing left to do.
    const newId = s(params.newappointmentid) ?? (await matchingSlotOrCurrent(o, params, athenaId))
    if (newId === athenaId) return { op: 'appointment.push', appointmentId: athenaId, newAppointmentId: athenaId, patientId: patientid, status: null, reconciled: true, records: [rec.id] }
    return { ...(await reschedule(o, { ...params, appointmentid: athenaId, newappointmentid: newId, patientid }, rec)), op: 'appointment.push' }
  }
  throw new AppError('validation_error', `Unknown push action "${action}".`, { retryable: false })
}

/**
 * The slot matching the new time; the current appointment when it already sits at that time; or,
 * when an earlier attempt already moved it (athena marks the old one x with the new id), that new
 * id, so reschedule() reconciles instead of booking a second slot.
 */
async function matchingSlotOrCurrent(o: OpContext, params: P, current: string): Promise<string> {
  const now = await getAppointment(o.client, current)
  const movedTo = now && String(now.appointmentstatus) === 'x' ? asId(now.rescheduledappointmentid) : null
  if (movedTo) return movedTo
  const same = (field: string, param: string): boolean => s(params[param]) === undefined || s(now?.[field]) === s(params[param])
  if (now && same('date', 'appointmentdate') && same('starttime', 'appointmenttime') && same('providerid', 'providerid') && same('departmentid', 'departmentid')) return current
  return matchingSlot(o, params)
}

const OPS: Record<OutboundEnvelope['op'], (o: OpContext) => Promise<OutboundResult>> = {
  'appointment.book': (o) => book(o, o.env.params),
  'appointment.cancel': (o) => cancel(o, o.env.params),
  'appointment.reschedule': (o) => reschedule(o, o.env.params),
  'appointment.push': (o) => push(o, o.env.params),
  'slots.create': (o) => createSlots(o, o.env.params),
  'patient.create': (o) => createPatient(o, o.env.params, o.env.recordId !== undefined ? recordOf(o.ctx, o.practiceId, o.env.recordId, 'patient') : null),
  'patient.update': (o) => updatePatient(o, o.env.params),
  'document.upload': (o) => uploadDocument(o, o.env.params),
}
