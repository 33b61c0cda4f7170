/**
 * The contract's athena.* methods. Reads answer directly; writes become outbound transactions
 * (visible in the log, reprocessable) and answer with the transaction's outcome once it settles
 * (or its current status after `WRITE_WAIT_MS`). PHI-touching and configuration actions are
 * audited with ids and counts only.
 */
import type { OutputOf } from '../../../../shared/api'
import type { WriteOutcome } from '../../../../shared/api/athena'
import { csvLine } from '../../../../shared/csv'
import { AppError } from '../../../../shared/errors'
import type { Handlers } from '../../api/dispatcher'
import type { EngineContext } from '../../core/engine-context'
import { evaluateMapping, jsonAccessor } from '../../mapping'
import { patientMatching } from '../../matching'
import { normalizePatient } from '../../matching/normalize'
import { scorePair } from '../../matching/score'
import { EASTERN, athenaFromIsoDate } from './client/dates'
import { asId, asInt, readList, readOne } from './client/response'
import { wallClockToUtcIso } from './time'
import { ATHENA_SYSTEM, describeIssues } from './pipeline/inbound-handler'
import { contentHash, type OutboundEnvelope } from './pipeline/messages'
import type { AthenaRuntime } from './runtime'
import { athenaState } from './state'
import type { ApiLogRow } from './store/api-log-repo'
import { envelope, receiveAll } from './workflows/receive'
import { outcomeOf, sendOutbound, waitSettled, WRITE_WAIT_MS } from './workflows/outbound'
import { combineEstimates } from './workflows/sync-estimate'

type AthenaMethods = Extract<keyof Handlers, `athena.${string}`>
type Item = Record<string, unknown>

function summary(ctx: EngineContext, practiceId: string, p: Item, score?: unknown) {
  const id = asId(p.patientid) ?? ''
  const iso = /^(\d{1,2})\\?\/(\d{1,2})\\?\/(\d{4})/.exec(String(p.dob ?? ''))
  return {
    athenaId: id,
    firstName: typeof p.firstname === 'string' ? p.firstname : null,
    lastName: typeof p.lastname === 'string' ? p.lastname : null,
    dob: iso ? `${iso[3]}-${iso[1]!.padStart(2, '0')}-${iso[2]!.padStart(2, '0')}` : null,
    sex: typeof p.sex === 'string' ? p.sex : null,
    departmentId: asId(p.departmentid),
    status: typeof p.status === 'string' ? p.status : null,
    score: asInt(score),
    recordId: id ? (ctx.records.findByExternalId(practiceId, 'patient', ATHENA_SYSTEM, id)?.id ?? null) : null,
  }
}

export function athenaHandlers(ctx: EngineContext): Pick<Handlers, AthenaMethods> {
  const rt = (): AthenaRuntime => athenaState(ctx).runtime

  const write = (practiceId: string, op: OutboundEnvelope['op'], params: Record<string, unknown>, dedup: string, actor: string, recordId?: number): Promise<WriteOutcome> =>
    sendOutbound(ctx, rt(), { practiceId, op, params, dedup, actor, recordId })

  const logRows = (rows: ApiLogRow[], developer: boolean) => rows.map((r) => ({ ...r, developerDetail: developer ? r.developerDetail : null }))

  return {
    'athena.sync': async (input, c) => {
      const { sync } = athenaState(ctx)
      ctx.audit.append({ actor: c.actor, action: 'athena.sync', practiceId: input.practiceId, targetType: 'practice', targetId: input.practiceId, details: { what: input.what, mode: input.mode, patients: input.patientIds?.length ?? null } })
      const started = sync.start({ practiceId: input.practiceId, what: input.what, mode: input.mode, patientIds: input.patientIds, replayMinutes: input.replayMinutes })
      if (!input.wait) return started.state
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), input.waitMs)))
      const final = await Promise.race([started.promise, timeout])
      clearTimeout(timer)
      return final ?? sync.status(input.practiceId).find((s) => s.stream === input.what)!
    },
    'athena.syncStatus': ({ practiceId }) => {
      ctx.practices.get(practiceId)
      const { sync } = athenaState(ctx)
      const streams = sync.status(practiceId)
      // The running streams together (null when none runs), from the same snapshot as the rows.
      return { streams, running: sync.isRunning(practiceId), progress: combineEstimates(streams.flatMap((s) => (s.progress ? [s.progress] : []))) }
    },
    'athena.searchPatients': async (input, c) => {
      const client = rt().client(input.practiceId)
      const params: Record<string, string | number> = { limit: input.limit }
      if (input.firstName) params.firstname = input.firstName
      if (input.lastName) params.lastname = input.lastName
      if (input.dob) params.dob = athenaFromIsoDate(input.dob)
      const res = await client.get('/patients', params)
      const page = readList<Item>(res.body, 'patients')
      ctx.audit.append({ actor: c.actor, action: 'athena.patient.search', practiceId: input.practiceId, targetType: 'practice', targetId: input.practiceId, details: { fields: Object.keys(params).filter((k) => k !== 'limit'), results: page.items.length } })
      return { patients: page.items.slice(0, input.limit).map((p) => summary(ctx, input.practiceId, p)), totalcount: page.totalcount ?? page.items.length }
    },
    'athena.bestMatch': async (input, c) => {
      const client = rt().client(input.practiceId)
      const res = await client.get('/patients/enhancedbestmatch', {
        firstname: input.firstName,
        lastname: input.lastName,
        dob: athenaFromIsoDate(input.dob),
        zip: input.zip,
        mobilephone: input.phone,
        email: input.email,
        returnbestmatches: true,
      })
      const rows = Array.isArray(res.body) ? (res.body as Item[]) : readList<Item>(res.body, 'patients').items
      ctx.audit.append({ actor: c.actor, action: 'athena.patient.bestmatch', practiceId: input.practiceId, targetType: 'practice', targetId: input.practiceId, details: { results: rows.length } })
      // athena's score is kept, but the decision aid is the product's one matcher: each candidate,
      // mapped as an import would store it (athena.patient.in), is graded against the query with the
      // practice's weights, so best-match, file imports and HL7 grade a pair alike.
      const { matcher } = patientMatching(ctx)
      const snap = matcher.settingsOf(input.practiceId)
      const query = normalizePatient(0, { first_name: input.firstName, last_name: input.lastName, date_of_birth: input.dob, address: { postal_code: input.zip }, phone_mobile: input.phone, email: input.email }, snap.phoneCountry)
      const eff = ctx.mappings.effective(input.practiceId, 'athena.patient.in')
      const graded = rows.map((p, i) => {
        const mapped = evaluateMapping(eff.set, jsonAccessor(p), rt().mappingContext(input.practiceId))
        const m = mapped.ok ? scorePair(query, normalizePatient(i + 1, mapped.output, snap.phoneCountry), snap.matcher) : null
        return { ...summary(ctx, input.practiceId, p, p.score), match: m && { grade: m.grade, score: Math.round(m.score * 10) / 10, reasons: m.reasons } }
      })
      return { patients: graded.sort((a, b) => (b.match?.score ?? -Infinity) - (a.match?.score ?? -Infinity)) }
    },
    'athena.importPatient': async ({ practiceId, patientId }, c) => {
      const client = rt().client(practiceId)
      const p = readOne<Item>((await client.get(`/patients/${patientId}`)).body)
      if (!p) throw new AppError('not_found', `athenaNet has no patient ${patientId}.`)
      const r = await receiveAll(ctx, practiceId, [envelope('patient', client.athenaPracticeId, '/v1/{practiceid}/patients/{patientid}', p, ctx.clock.now())])
      const txId = r.txIds[0]!
      if (r.duplicates && ctx.txRepo.get(txId)?.status === 'error') await ctx.pipeline.reprocess([txId], c.actor)
      ctx.audit.append({ actor: c.actor, action: 'athena.patient.import', practiceId, targetType: 'transaction', targetId: String(txId), details: { patientId } })
      await waitSettled(ctx, txId, WRITE_WAIT_MS)
      const o = outcomeOf(ctx, txId, r.duplicates > 0)
      const done = ctx.records.findByExternalId(practiceId, 'patient', ATHENA_SYSTEM, patientId)
      return { ...o, result: o.status === 'done' ? { op: 'patient.import', patientId, reconciled: r.duplicates > 0, records: done ? [done.id] : [] } : o.result }
    },
    'athena.createPatient': async (input, c) => {
      let params: Record<string, unknown>
      if (input.recordId !== undefined) {
        const rec = ctx.records.get(input.recordId)
        if (!rec || rec.practiceId !== input.practiceId || rec.kind !== 'patient') throw new AppError('not_found', `There is no patient record ${input.recordId} in this practice.`)
        const eff = ctx.mappings.effective(input.practiceId, 'athena.patient.out')
        const result = evaluateMapping(eff.set, jsonAccessor(rec.data), rt().mappingContext(input.practiceId))
        ctx.mappings.recordMisses(input.practiceId, 'athena.patient.out', result.codeMisses, null)
        if (!result.ok) throw new AppError('mapping_error', `Mapping athena.patient.out failed: ${describeIssues(result)}`)
        params = { ...result.output }
        delete params.patientid
        if (!params.departmentid && input.departmentId) params.departmentid = input.departmentId
      } else {
        if (!input.firstName || !input.lastName || !input.dob || !input.departmentId) {
          throw new AppError('invalid_input', 'First name, last name, date of birth and department are required.', {
            details: { issues: ['firstName', 'lastName', 'dob', 'departmentId'].filter((k) => !input[k as keyof typeof input]).map((path) => ({ path, message: 'required' })) },
          })
        }
        params = { firstname: input.firstName, lastname: input.lastName, dob: athenaFromIsoDate(input.dob), departmentid: input.departmentId, sex: input.sex, mobilephone: input.mobilePhone, email: input.email, zip: input.zip }
      }
      if (!params.departmentid) throw new AppError('invalid_input', 'A department is required to create an athenaNet patient.', { details: { issues: [{ path: 'departmentId', message: 'required' }] } })
      const key = contentHash([String(params.firstname ?? '').toLowerCase(), String(params.lastname ?? '').toLowerCase(), params.dob])
      return write(input.practiceId, 'patient.create', params, key, c.actor, input.recordId)
    },
    'athena.updatePatient': async ({ practiceId, recordId }, c) => {
      const rec = ctx.records.get(recordId)
      if (!rec || rec.practiceId !== practiceId || rec.kind !== 'patient') throw new AppError('not_found', `There is no patient record ${recordId} in this practice.`)
      const athenaId = rec.externalIds.find((x) => x.system === ATHENA_SYSTEM)?.value
      if (!athenaId) throw new AppError('not_found', 'This patient has no athenaNet id; create it in athenaNet first.')
      const eff = ctx.mappings.effective(practiceId, 'athena.patient.out')
      const result = evaluateMapping(eff.set, jsonAccessor(rec.data), rt().mappingContext(practiceId))
      if (!result.ok) throw new AppError('mapping_error', `Mapping athena.patient.out failed: ${describeIssues(result)}`)
      const params = { ...result.output, patientid: athenaId }
      return write(practiceId, 'patient.update', params, `${recordId}:${rec.version}`, c.actor, recordId)
    },
    'athena.referenceData': async ({ practiceId, kind }) => {
      const runtime = rt()
      ctx.practices.get(practiceId)
      const items = runtime.reference.list(practiceId, kind)
      const nameOf = (d: Item): string => String(d.name ?? d.patientdepartmentname ?? d.displayname ?? d.reason ?? d.description ?? ([d.firstname, d.lastname].filter(Boolean).join(' ') || ''))
      return { items: items.map((i) => ({ id: i.id, name: nameOf(i.data), data: i.data })), fetchedAt: runtime.reference.fetchedAt(practiceId) }
    },
    'athena.openSlots': async (input) => {
      const runtime = rt()
      const client = runtime.client(input.practiceId)
      const res = await client.get('/appointments/open', {
        departmentid: input.departmentId,
        providerid: input.providerId,
        reasonid: input.reasonId,
        appointmenttypeid: input.appointmentTypeId,
        startdate: input.startDate ? athenaFromIsoDate(input.startDate) : undefined,
        enddate: input.endDate ? athenaFromIsoDate(input.endDate) : undefined,
        bypassscheduletimechecks: input.bypassScheduleChecks || undefined,
        limit: input.limit,
      })
      const page = readList<Item>(res.body, 'appointments')
      const fallback = ctx.practices.get(input.practiceId).timeZone
      return {
        totalcount: page.totalcount ?? page.items.length,
        slots: page.items.map((a) => {
          const dept = asId(a.departmentid)
          const zone = (dept && runtime.reference.departmentTimeZone(input.practiceId, dept)) || fallback
          return {
            appointmentId: asId(a.appointmentid) ?? '',
            date: String(a.date ?? ''),
            startTime: String(a.starttime ?? ''),
            startUtc: wallClockToUtcIso(String(a.date ?? ''), String(a.starttime ?? ''), zone ?? EASTERN),
            duration: asInt(a.duration),
            departmentId: dept,
            providerId: asId(a.providerid),
            appointmentTypeId: asId(a.appointmenttypeid),
            appointmentType: typeof a.appointmenttype === 'string' ? a.appointmenttype : null,
            reasonIds: Array.isArray(a.reasonid) ? a.reasonid.map(String) : a.reasonid !== undefined ? [String(a.reasonid)] : [],
          }
        }),
      }
    },
    'athena.bookedAppointments': async (input) => {
      const runtime = rt()
      const client = runtime.client(input.practiceId)
      const res = await client.get('/appointments/booked', {
        departmentid: input.departmentId,
        startdate: athenaFromIsoDate(input.startDate),
        enddate: athenaFromIsoDate(input.endDate),
        showcancelled: input.showCancelled || undefined,
        limit: input.limit,
      })
      const page = readList<Item>(res.body, 'appointments')
      const fallback = ctx.practices.get(input.practiceId).timeZone
      return {
        totalcount: page.totalcount ?? page.items.length,
        appointments: page.items.map((a) => {
          const id = asId(a.appointmentid) ?? ''
          const dept = asId(a.departmentid)
          const zone = (dept && runtime.reference.departmentTimeZone(input.practiceId, dept)) || fallback
          return {
            appointmentId: id,
            date: String(a.date ?? ''),
            startTime: String(a.starttime ?? ''),
            startUtc: wallClockToUtcIso(String(a.date ?? ''), String(a.starttime ?? ''), zone ?? EASTERN),
            duration: asInt(a.duration),
            departmentId: dept,
            providerId: asId(a.providerid),
            appointmentTypeId: asId(a.appointmenttypeid),
            appointmentType: typeof a.appointmenttype === 'string' ? a.appointmenttype : null,
            reasonIds: [],
            patientId: asId(a.patientid),
            status: typeof a.appointmentstatus === 'string' ? a.appointmentstatus : null,
            recordId: id ? (ctx.records.findByExternalId(input.practiceId, 'appointment', ATHENA_SYSTEM, id)?.id ?? null) : null,
          }
        }),
      }
    },
    'athena.createSlots': (input, c) =>
      write(
        input.practiceId,
        'slots.create',
        { departmentid: input.departmentId, providerid: input.providerId, appointmentdate: athenaFromIsoDate(input.date), appointmenttime: input.times, appointmenttypeid: input.appointmentTypeId, reasonid: input.reasonId },
        `${input.departmentId}:${input.providerId}:${input.date}:${input.times.join(',')}:${input.appointmentTypeId ?? `r${input.reasonId}`}`,
        c.actor,
      ),
    'athena.book': (input, c) =>
      write(
        input.practiceId,
        'appointment.book',
        { appointmentid: input.appointmentId, patientid: input.patientId, reasonid: input.reasonId, appointmenttypeid: input.appointmentTypeId, departmentid: input.departmentId, bookingnote: input.note },
        `${input.appointmentId}:${input.patientId}`,
        c.actor,
      ),
    'athena.cancel': (input, c) =>
      write(input.practiceId, 'appointment.cancel', { appointmentid: input.appointmentId, patientid: input.patientId, cancellationreason: input.reason, appointmentcancelreasonid: input.cancelReasonId }, input.appointmentId, c.actor),
    'athena.reschedule': (input, c) =>
      write(
        input.practiceId,
        'appointment.reschedule',
        { appointmentid: input.appointmentId, newappointmentid: input.newAppointmentId, patientid: input.patientId, reschedulereason: input.reason },
        `${input.appointmentId}:${input.newAppointmentId}`,
        c.actor,
      ),
    'athena.pushAppointment': (input, c) => {
      const rec = ctx.records.get(input.recordId)
      if (!rec || rec.practiceId !== input.practiceId || rec.kind !== 'appointment') throw new AppError('not_found', `There is no appointment record ${input.recordId} in this practice.`)
      if (input.action === 'reschedule' && !input.newAppointmentId) throw new AppError('invalid_input', 'Rescheduling needs the new slot.', { details: { issues: [{ path: 'newAppointmentId', message: 'required' }] } })
      return write(
        input.practiceId,
        'appointment.push',
        { action: input.action, newappointmentid: input.newAppointmentId, cancellationreason: input.reason, reschedulereason: input.reason },
        `${input.recordId}:${input.action}:${rec.version}:${input.newAppointmentId ?? ''}`,
        c.actor,
        input.recordId,
      )
    },
    'athena.uploadDocument': (input, c) => {
      if (Buffer.from(input.contentBase64, 'base64').length > 10 * 1024 * 1024) throw new AppError('invalid_input', 'Documents are limited to 10 MiB.', { details: { issues: [{ path: 'contentBase64', message: 'too large' }] } })
      return write(
        input.practiceId,
        'document.upload',
        { patientid: input.patientId, departmentid: input.departmentId, documentsubclass: input.documentSubclass, originalfilename: input.filename, contenttype: input.contentType, attachmentcontents: input.contentBase64, internalnote: input.note },
        `${input.patientId}:${contentHash([input.filename, input.contentBase64])}`,
        c.actor,
      )
    },
    'athena.apiLog.list': async (input, c) => {
      const runtime = rt()
      await runtime.apiLog.flush()
      if (input.developer) ctx.audit.append({ actor: c.actor, action: 'athena.apilog.developer_view', practiceId: input.practiceId ?? null, targetType: 'api_log', targetId: input.endpoint ?? null, details: {} })
      const rows = runtime.apiLog.list({ ...input, practiceIds: c.scope, limit: input.limit + 1 })
      const more = rows.length > input.limit
      const items = logRows(rows.slice(0, input.limit), input.developer)
      return { items, nextBeforeId: more ? items[items.length - 1]!.id : null }
    },
    'athena.apiLog.endpoints': async ({ practiceId }, c) => {
      await rt().apiLog.flush()
      return rt().apiLog.endpoints(practiceId, c.scope)
    },
    'athena.apiLog.get': async ({ practiceId, id }, c) => {
      const runtime = rt()
      await runtime.apiLog.flush()
      const call = runtime.apiLog.get(practiceId, id)
      if (!call) throw new AppError('not_found', `No logged athenaNet call ${id} in this practice.`)
      ctx.audit.append({ actor: c.actor, action: 'athena.apilog.view_call', practiceId, targetType: 'api_log', targetId: String(id), details: { endpoint: call.endpoint } })
      return call
    },
    'athena.apiLog.export': async (input, c) => {
      const runtime = rt()
      await runtime.apiLog.flush()
      const rows: ApiLogRow[] = []
      let before: number | undefined
      while (rows.length < 50_000) {
        const batch = runtime.apiLog.list({ ...input, practiceIds: c.scope, beforeId: before, limit: 5000 })
        rows.push(...batch)
        if (batch.length < 5000) break
        before = batch[batch.length - 1]!.id
      }
      const cols = ['id', 'at', 'practiceId', 'method', 'endpoint', 'path', 'status', 'outcome', 'errorCode', 'errorMessage', 'latencyMs', 'attempt', 'requestId'] as const
      // Quoted, and spreadsheet formulas defused (shared/csv.ts).
      const lines = [cols.join(','), ...rows.map((r) => csvLine(cols.map((k) => (k === 'at' ? new Date(r.at).toISOString() : r[k]))))]
      ctx.audit.append({ actor: c.actor, action: 'athena.apilog.export', practiceId: input.practiceId ?? null, targetType: 'api_log', targetId: input.endpoint ?? null, details: { rows: rows.length } })
      return { filename: `athena-api-log-${input.practiceId ?? 'all'}-${new Date(ctx.clock.now()).toISOString().slice(0, 10)}.csv`, csv: lines.join('\n') + '\n', rows: rows.length }
    },
    'athena.usage': ({ practiceId }) => {
      ctx.practices.get(practiceId)
      return rt().usage(practiceId) as OutputOf<'athena.usage'>
    },
    'athena.usageAll': (_i, call) => {
      const runtime = rt()
      const ids = [...new Set(ctx.connections.list().filter((c) => c.kind === 'athena-rest').map((c) => c.practiceId))].filter((id) => call.scope === null || call.scope.includes(id))
      return ids.map((id) => runtime.usage(id)) as OutputOf<'athena.usageAll'>
    },
    'athena.circuit': ({ practiceId, state }, c) => {
      ctx.practices.get(practiceId)
      const b = rt().breaker(practiceId)
      b.force(state === 'auto' ? null : state)
      ctx.audit.append({ actor: c.actor, action: 'athena.circuit', practiceId, targetType: 'practice', targetId: practiceId, details: { state } })
      return b.snapshot()
    },
  }
}
