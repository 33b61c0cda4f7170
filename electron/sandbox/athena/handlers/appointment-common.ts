/**
 * Helpers shared by the scheduling handlers: lookups with athena-style errors, attribution,
 * automatic notes and the booking-type rule.
 */
import type { RequestContext } from '../context'
import { badRequest, missingFields, notFound } from '../errors'
import type { Appointment, Patient } from '../store'
import { EASTERN, zonedToEpoch } from '../time'

export function requireAppointment(ctx: RequestContext, id: number | undefined): Appointment {
  if (!id) throw missingFields(['appointmentid'])
  const a = ctx.world.store.appointment(id)
  if (!a) throw notFound('Invalid appointment ID.', `Appointment ${id} does not exist in this practice.`)
  return a
}

export function patientForWrite(ctx: RequestContext, id: number): Patient {
  const p = ctx.world.store.patients.get(id)
  if (!p) throw badRequest('Invalid patient ID.', `Patient ${id} does not exist in this practice.`)
  if (p.status === 'deleted') throw badRequest('The patient is deleted.', `Patient ${id} is deleted and cannot be scheduled.`)
  return p
}

export function addNote(ctx: RequestContext, a: Appointment, text: string): void {
  a.notes.push({ id: ctx.world.store.newNoteId(), text, displayonschedule: false, createdAt: ctx.now, createdby: ctx.apiUser })
}

export function touch(ctx: RequestContext, a: Appointment): void {
  a.lastmodifiedby = ctx.apiUser
  a.lastModifiedAt = ctx.now
}

export function tzOf(ctx: RequestContext, departmentid: number): string {
  return ctx.world.store.departments.get(departmentid)?.timezonename ?? EASTERN
}

export function slotEpoch(ctx: RequestContext, a: Appointment): number {
  return zonedToEpoch(a.day, a.starttime, tzOf(ctx, a.departmentid))
}

/** Why a slot cannot be booked, or null when it can. */
export function notBookable(a: Appointment): string | null {
  if (a.status === 'x') return 'This appointment has been cancelled.'
  if (a.status !== 'o') return 'This appointment slot is already booked.'
  if (a.frozen) return 'This appointment slot is frozen.'
  return null
}

/** Sets the booked type from reasonid or appointmenttypeid; generic template slots take the reason's type. */
export function applyBookingType(ctx: RequestContext, a: Appointment, fallbackTypeId?: number): void {
  const { store } = ctx.world
  const reasonid = ctx.params.int('reasonid')
  const typeid = ctx.params.int('appointmenttypeid')
  if (reasonid !== undefined && reasonid !== -1) {
    const reason = store.reasons.get(reasonid)
    if (!reason) throw badRequest('Invalid reason ID.', `Patient appointment reason ${reasonid} does not exist.`)
    const slotType = store.appointmentTypes.get(a.appointmenttypeid)!
    if (!reason.appointmenttypeids.includes(a.appointmenttypeid) && !slotType.generic) {
      throw badRequest('The appointment reason is not valid for this appointment slot.', `Reason ${reasonid} cannot be booked into appointment type ${a.appointmenttypeid}.`)
    }
    if (slotType.generic) a.appointmenttypeid = reason.appointmenttypeids[0]!
  } else if (typeid !== undefined) {
    if (!store.appointmentTypes.has(typeid)) throw badRequest('Invalid appointment type ID.', `Appointment type ${typeid} does not exist.`)
    a.appointmenttypeid = typeid
  } else if (fallbackTypeId !== undefined) {
    a.appointmenttypeid = fallbackTypeId
  }
}

