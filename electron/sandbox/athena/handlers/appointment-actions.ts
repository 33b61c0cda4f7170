/**
 * Appointment actions that answer with a status object and report failure *inside* HTTP 200
 * (`{"success": false, "errormessage": "..."}`, M — captured fixtures): freeze/unfreeze of open
 * slots and the check-in → check-out steps (f → 2 → 3). Clients must treat success:false as an
 * error even though the HTTP status is 200.
 */
import type { RequestContext, RouteDef } from '../context'
import type { Appointment } from '../store'
import { todayIn } from '../time'
import { requireAppointment } from './appointment-common'

type Soft = { body: { success: boolean; errormessage?: string } }

const ok = (): Soft => ({ body: { success: true } })
const fail = (errormessage: string): Soft => ({ body: { success: false, errormessage } })

function touch(ctx: RequestContext, a: Appointment): void {
  a.lastmodifiedby = ctx.apiUser
  a.lastModifiedAt = ctx.now
}

function freeze(ctx: RequestContext): Soft {
  ctx.params.require('freeze')
  const a = requireAppointment(ctx, ctx.pathParams.appointmentid)
  const want = ctx.params.bool('freeze')
  if (a.status !== 'o') return fail('Only open appointment slots can be frozen or unfrozen.')
  if (want && a.frozen) return fail('Appointment is already frozen.')
  if (!want && !a.frozen) return fail('Appointment is not frozen.')
  a.frozen = want
  touch(ctx, a)
  ctx.world.feeds.record('appointments', want ? 'FreezeAppointment' : 'UnfreezeAppointment', a.appointmentid, a.departmentid)
  return ok()
}

function checkIn(ctx: RequestContext): Soft {
  const a = requireAppointment(ctx, ctx.pathParams.appointmentid)
  if (a.status !== 'f') return fail(`Appointment cannot be checked in from status ${a.status}.`)
  const tz = ctx.world.store.departments.get(a.departmentid)!.timezonename
  if (a.day !== todayIn(ctx.now, tz)) return fail('Only appointments scheduled for today can be checked in.')
  a.status = '2'
  a.checkinAt = ctx.now
  touch(ctx, a)
  ctx.world.feeds.record('appointments', 'CheckIn', a.appointmentid, a.departmentid)
  return ok()
}

function cancelCheckIn(ctx: RequestContext): Soft {
  const a = requireAppointment(ctx, ctx.pathParams.appointmentid)
  if (a.status !== '2') return fail('The appointment is not checked in.')
  a.status = 'f'
  a.checkinAt = undefined
  touch(ctx, a)
  ctx.world.feeds.record('appointments', 'UpdateAppointment', a.appointmentid, a.departmentid)
  return ok()
}

function checkOut(ctx: RequestContext): Soft {
  const a = requireAppointment(ctx, ctx.pathParams.appointmentid)
  if (a.status !== '2') return fail('The appointment must be checked in before it can be checked out.')
  a.status = '3'
  a.checkoutAt = ctx.now
  touch(ctx, a)
  ctx.world.feeds.record('appointments', 'CheckOut', a.appointmentid, a.departmentid)
  return ok()
}

export const appointmentActionRoutes: RouteDef[] = [
  { method: 'PUT', path: '/appointments/:appointmentid/freeze', handler: freeze },
  { method: 'POST', path: '/appointments/:appointmentid/checkin', handler: checkIn },
  { method: 'POST', path: '/appointments/:appointmentid/cancelcheckin', handler: cancelCheckIn },
  { method: 'POST', path: '/appointments/:appointmentid/checkout', handler: checkOut },
]
