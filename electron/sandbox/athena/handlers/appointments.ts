/**
 * Booked appointments (reference §4.2): book (same id, o → f), delete open slots, cancel,
 * reschedule, booked lists and a patient's appointments.
 */
import type { RequestContext, RouteDef } from '../context'
import { badRequest, invalidData, missingFields } from '../errors'
import { envelope, STANDARD_LIMITS } from '../pagination'
import { renderAppointment } from '../render/appointment'
import { API_CANCEL_REASON, RESCHEDULE_CANCEL_REASON_ID } from '../seed/practice'
import type { Appointment, CancelReason } from '../store'
import { EASTERN, parseStamp, todayIn } from '../time'
import { addNote, applyBookingType, notBookable, patientForWrite, requireAppointment, touch, tzOf } from './appointment-common'
import { requirePatient } from './patients'


function book(ctx: RequestContext) {
  const q = ctx.params
  q.require('patientid')
  if (ctx.cfg.bookRequiresReasonOrType && !q.has('reasonid') && !q.has('appointmenttypeid')) {
    throw missingFields(['appointmenttypeid', 'reasonid'], 'Either appointmenttypeid or reasonid is required.')
  }
  const a = requireAppointment(ctx, ctx.pathParams.appointmentid)
  const patient = patientForWrite(ctx, q.int('patientid')!)
  const why = notBookable(a)
  if (why) throw badRequest(why, `Appointment ${a.appointmentid} has status ${a.status}; only open (o) slots can be booked.`)
  const deptid = q.int('departmentid')
  if (deptid !== undefined && deptid !== a.departmentid) throw badRequest('The department ID does not match the appointment.', `Appointment ${a.appointmentid} is in department ${a.departmentid}.`)
  applyBookingType(ctx, a)
  a.status = 'f'
  ctx.world.store.assignPatient(a, patient.patientid)
  a.scheduledby = ctx.apiUser
  a.scheduledAt = ctx.now
  a.urgent = q.bool('urgent') || q.bool('urgentyn') || undefined
  const note = q.get('bookingnote')
  if (note) {
    a.bookingnote = note
    addNote(ctx, a, note)
  }
  touch(ctx, a)
  ctx.world.feeds.record('appointments', 'ScheduleAppointment', a.appointmentid, a.departmentid)
  return { body: [renderAppointment(ctx.world.store, a)] }
}

function deleteSlot(ctx: RequestContext) {
  const a = requireAppointment(ctx, ctx.pathParams.appointmentid)
  if (a.status !== 'o') throw badRequest('Only open appointment slots can be deleted.', `Appointment ${a.appointmentid} has status ${a.status}.`)
  a.deleted = true
  touch(ctx, a)
  ctx.world.feeds.record('appointments', 'DeleteAppointment', a.appointmentid, a.departmentid)
  return { body: { success: 'true' } }
}

function cancelReasonFrom(ctx: RequestContext, fallback: CancelReason): CancelReason {
  const id = ctx.params.int('appointmentcancelreasonid')
  if (id === undefined) return fallback
  if (id === API_CANCEL_REASON.appointmentcancelreasonid) return API_CANCEL_REASON
  const r = ctx.world.store.cancelReasons.find((c) => c.appointmentcancelreasonid === id)
  if (!r) throw badRequest('Invalid appointment cancel reason ID.', `Cancel reason ${id} does not exist.`)
  return r
}

function requireOwnedBooking(a: Appointment, patientid: number): void {
  if (a.status === 'o') throw badRequest('The appointment is not booked.', `Appointment ${a.appointmentid} is an open slot.`)
  if (a.status === 'x') throw badRequest('The appointment has already been cancelled.', `Appointment ${a.appointmentid} is cancelled.`)
  if (a.status !== 'f') throw badRequest('The appointment has been checked in and cannot be changed.', `Appointment ${a.appointmentid} has status ${a.status}.`)
  if (a.patientid !== patientid) throw badRequest('The patient ID does not match the appointment.', `Appointment ${a.appointmentid} is not booked for patient ${patientid}.`)
}

function markCancelled(ctx: RequestContext, a: Appointment, reason: CancelReason): void {
  a.status = 'x'
  a.cancelledby = ctx.apiUser
  a.cancelledAt = ctx.now
  a.cancelreasonid = reason.appointmentcancelreasonid
  a.cancelreasonname = reason.name
  a.cancelreasonnoshow = reason.noshow
  a.cancelreasonslotavailable = reason.slotavailable
  touch(ctx, a)
}

function reopenSlot(ctx: RequestContext, a: Appointment, reason: CancelReason): void {
  if (!ctx.cfg.reopenSlotOnCancel || !reason.slotavailable) return
  const { store } = ctx.world
  const slot: Appointment = {
    ...a,
    appointmentid: store.nextAppointmentId,
    appointmenttypeid: a.templateappointmenttypeid,
    status: 'o',
    patientid: undefined,
    scheduledby: undefined,
    scheduledAt: undefined,
    cancelledby: undefined,
    cancelledAt: undefined,
    cancelreasonid: undefined,
    cancelreasonname: undefined,
    cancelreasonnoshow: undefined,
    cancelreasonslotavailable: undefined,
    rescheduledappointmentid: undefined,
    bookingnote: undefined,
    urgent: undefined,
    createdAt: ctx.now,
    notes: [],
  }
  store.addAppointment(slot)
  ctx.world.feeds.record('appointments', 'AddAppointmentSlot', slot.appointmentid, slot.departmentid)
}

function cancel(ctx: RequestContext) {
  ctx.params.require('patientid')
  const a = requireAppointment(ctx, ctx.pathParams.appointmentid)
  requireOwnedBooking(a, ctx.params.int('patientid')!)
  const reason = cancelReasonFrom(ctx, API_CANCEL_REASON)
  markCancelled(ctx, a, reason)
  const text = ctx.params.get('cancellationreason')
  // M (captured fixture): the API adds this note on cancel, quoting the reported reason.
  addNote(ctx, a, text ? `API appointment cancellation. Reported reason for cancellation: ${text}` : 'API appointment cancellation.')
  reopenSlot(ctx, a, reason)
  ctx.world.feeds.record('appointments', 'CancelAppointment', a.appointmentid, a.departmentid)
  switch (ctx.cfg.cancelResponse) {
    case 'success':
      return { body: { success: 'true' } }
    case 'appointment':
      return { body: [renderAppointment(ctx.world.store, a)] }
    default:
      return { body: { status: 'x' } }
  }
}

function reschedule(ctx: RequestContext) {
  const q = ctx.params
  q.require('newappointmentid', 'patientid')
  const old = requireAppointment(ctx, ctx.pathParams.appointmentid)
  const patientid = q.int('patientid')!
  requireOwnedBooking(old, patientid)
  const newId = q.int('newappointmentid')!
  const next = ctx.world.store.appointment(newId)
  if (!next) throw badRequest('Invalid new appointment ID.', `Appointment ${newId} does not exist in this practice.`)
  const why = newId === old.appointmentid ? 'The new appointment must differ from the original.' : notBookable(next)
  if (why) throw badRequest(why, `Appointment ${newId} has status ${next.status}; only open (o) slots can be booked.`)
  applyBookingType(ctx, next, old.appointmenttypeid)
  const defaultReason = ctx.world.store.cancelReasons.find((c) => c.appointmentcancelreasonid === RESCHEDULE_CANCEL_REASON_ID) ?? API_CANCEL_REASON
  const reason = cancelReasonFrom(ctx, defaultReason)
  const why2 = q.get('reschedulereason')
  markCancelled(ctx, old, reason)
  old.rescheduledappointmentid = next.appointmentid
  addNote(ctx, old, `Appointment rescheduled to ${next.appointmentid}.${why2 ? ` Reason: ${why2}` : ''}`)
  next.status = 'f'
  ctx.world.store.assignPatient(next, patientid)
  next.scheduledby = ctx.apiUser
  next.scheduledAt = ctx.now
  if (why2) addNote(ctx, next, `Rescheduled from ${old.appointmentid}. Reason: ${why2}`)
  touch(ctx, next)
  ctx.world.feeds.record('appointments', 'CancelAppointment', old.appointmentid, old.departmentid)
  ctx.world.feeds.record('appointments', 'ScheduleAppointment', next.appointmentid, next.departmentid)
  return { body: [renderAppointment(ctx.world.store, next)] }
}

function booked(ctx: RequestContext) {
  const q = ctx.params
  q.require('startdate', 'enddate')
  const depts = q.intList('departmentid')
  const providers = q.intList('providerid')
  if (ctx.cfg.bookedRequiresDepartmentOrProvider && !depts.length && !providers.length) {
    throw missingFields(['departmentid', 'providerid'], 'A departmentid or a providerid is required.')
  }
  const start = q.day('startdate')!
  const end = q.day('enddate')!
  const statuses = q.list('appointmentstatus').map((s) => s.toLowerCase())
  const types = q.intList('appointmenttypeid')
  const patients = q.intList('patientid')
  const showCancelled = q.bool('showcancelled') || statuses.includes('x')
  const stamp = (name: string): number | undefined => {
    const v = q.get(name)
    if (v === undefined) return undefined
    const t = parseStamp(v)
    if (t === null) throw invalidData(`Expecting format mm/dd/yyyy hh24:mi:ss for ${name}, but value is ${v}`)
    return t
  }
  const modFrom = stamp('startlastmodified')
  const modTo = stamp('endlastmodified')
  const schedFrom = q.day('scheduledstartdate')
  const schedTo = q.day('scheduledenddate')
  const rows: Appointment[] = []
  for (const a of ctx.world.store.appointments.values()) {
    if (a.deleted || a.status === 'o' || a.day < start || a.day > end) continue
    if (a.status === 'x' && !showCancelled) continue
    if (depts.length && !depts.includes(a.departmentid)) continue
    if (providers.length && !providers.includes(a.providerid)) continue
    if (statuses.length && !statuses.includes(a.status)) continue
    if (types.length && !types.includes(a.appointmenttypeid)) continue
    if (patients.length && (a.patientid === undefined || !patients.includes(a.patientid))) continue
    if (modFrom !== undefined && a.lastModifiedAt < modFrom) continue
    if (modTo !== undefined && a.lastModifiedAt > modTo + 999) continue
    if (schedFrom !== undefined || schedTo !== undefined) {
      if (a.scheduledAt === undefined) continue
      const sd = todayIn(a.scheduledAt, EASTERN)
      if ((schedFrom !== undefined && sd < schedFrom) || (schedTo !== undefined && sd > schedTo)) continue
    }
    rows.push(a)
  }
  rows.sort((x, y) => x.day - y.day || x.starttime - y.starttime || x.appointmentid - y.appointmentid)
  const opts = { showpatientdetail: q.bool('showpatientdetail') }
  return { body: envelope(ctx, 'appointments', rows, STANDARD_LIMITS, (a) => renderAppointment(ctx.world.store, a, opts)) }
}

function patientAppointments(ctx: RequestContext) {
  const p = requirePatient(ctx, ctx.pathParams.patientid)
  const showPast = ctx.params.bool('showpast')
  const showCancelled = ctx.params.bool('showcancelled')
  const rows = ctx.world.store
    .appointmentsOf(p.patientid)
    .filter((a) => (showCancelled || a.status !== 'x') && (showPast || a.day >= todayIn(ctx.now, tzOf(ctx, a.departmentid))))
    .sort((x, y) => x.day - y.day || x.starttime - y.starttime || x.appointmentid - y.appointmentid)
  return { body: envelope(ctx, 'appointments', rows, STANDARD_LIMITS, (a) => renderAppointment(ctx.world.store, a)) }
}

export const appointmentRoutes: RouteDef[] = [
  { method: 'GET', path: '/appointments/booked', handler: booked },
  {
    method: 'GET',
    path: '/appointments/:appointmentid',
    handler: (ctx) => {
      const a = requireAppointment(ctx, ctx.pathParams.appointmentid)
      return { body: [renderAppointment(ctx.world.store, a, { showpatientdetail: ctx.params.bool('showpatientdetail') })] }
    },
  },
  { method: 'PUT', path: '/appointments/:appointmentid', handler: book },
  { method: 'DELETE', path: '/appointments/:appointmentid', handler: deleteSlot },
  { method: 'PUT', path: '/appointments/:appointmentid/cancel', handler: cancel },
  { method: 'PUT', path: '/appointments/:appointmentid/reschedule', handler: reschedule },
  { method: 'GET', path: '/patients/:patientid/appointments', handler: patientAppointments },
]
