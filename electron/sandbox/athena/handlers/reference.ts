/**
 * Reference data: appointment types, patient appointment reasons, cancel reasons and the
 * demographic code lists (bare arrays, no paging — M).
 */
import type { RequestContext, RouteDef } from '../context'
import { badRequest, notFound } from '../errors'
import { envelope, STANDARD_LIMITS } from '../pagination'
import { ETHNICITIES, LANGUAGES, RACES } from '../seed/code-sets'
import { reasonsFor } from '../seed/practice'
import type { AppointmentType, PatientReason } from '../store'

function renderType(t: AppointmentType): Record<string, unknown> {
  return {
    appointmenttypeid: t.appointmenttypeid,
    name: t.name,
    shortname: t.shortname,
    duration: t.duration,
    patientdisplayname: t.patientdisplayname,
    generic: t.generic,
    patient: t.patient,
    templatetypeonly: t.templatetypeonly,
    createencounteroncheckin: t.patient,
  }
}

function reasonsHandler(kind: 'all' | 'new' | 'existing') {
  return (ctx: RequestContext) => {
    ctx.params.require('departmentid', 'providerid')
    const deptid = ctx.params.int('departmentid')!
    const provid = ctx.params.int('providerid')!
    const { store } = ctx.world
    if (!store.departments.has(deptid)) throw badRequest('Invalid department ID.', `Department ${deptid} does not exist.`)
    const provider = store.providers.get(provid)
    if (!provider) throw badRequest('Invalid provider ID.', `Provider ${provid} does not exist.`)
    const ids = provider.departmentIds.includes(deptid) ? reasonsFor(provider, deptid) : []
    const rows = ids
      .map((id) => store.reasons.get(id)!)
      .filter((r) => kind === 'all' || r.reasontype === kind || r.reasontype === 'all')
    return { body: envelope(ctx, 'patientappointmentreasons', rows, STANDARD_LIMITS, renderReason) }
  }
}

function renderReason(r: PatientReason): Record<string, unknown> {
  return {
    reasonid: r.reasonid,
    reason: r.reason,
    description: r.description,
    reasontype: r.reasontype,
    schedulingminhours: r.schedulingminhours,
    schedulingmaxdays: r.schedulingmaxdays,
  }
}

export const referenceRoutes: RouteDef[] = [
  {
    method: 'GET',
    path: '/appointmenttypes',
    handler: (ctx) => {
      const hideNonPatient = ctx.params.bool('hidenonpatient', true)
      const hideGeneric = ctx.params.bool('hidegeneric')
      const hideNonGeneric = ctx.params.bool('hidenongeneric')
      const hideTemplate = ctx.params.bool('hidetemplatetypeonly')
      const rows = [...ctx.world.store.appointmentTypes.values()].filter(
        (t) => !(hideNonPatient && !t.patient) && !(hideGeneric && t.generic) && !(hideNonGeneric && !t.generic) && !(hideTemplate && t.templatetypeonly),
      )
      return { body: envelope(ctx, 'appointmenttypes', rows, STANDARD_LIMITS, renderType) }
    },
  },
  {
    method: 'GET',
    path: '/appointmenttypes/:appointmenttypeid',
    handler: (ctx) => {
      const t = ctx.world.store.appointmentTypes.get(ctx.pathParams.appointmenttypeid!)
      if (!t) throw notFound('The appointment type ID is invalid.', `Appointment type ${ctx.pathParams.appointmenttypeid} does not exist.`)
      return { body: [renderType(t)] }
    },
  },
  { method: 'GET', path: '/patientappointmentreasons', handler: reasonsHandler('all') },
  { method: 'GET', path: '/patientappointmentreasons/newpatient', handler: reasonsHandler('new') },
  { method: 'GET', path: '/patientappointmentreasons/existingpatient', handler: reasonsHandler('existing') },
  {
    method: 'GET',
    path: '/appointmentcancelreasons',
    handler: (ctx) => {
      // Envelope vs bare array is U for this endpoint; the envelope matches its siblings.
      const slot = ctx.params.has('slotavailable') ? ctx.params.bool('slotavailable') : undefined
      const rows = ctx.world.store.cancelReasons.filter((r) => slot === undefined || r.slotavailable === slot)
      return {
        body: envelope(ctx, 'appointmentcancelreasons', rows, STANDARD_LIMITS, (r) => ({
          appointmentcancelreasonid: String(r.appointmentcancelreasonid),
          name: r.name,
          noshow: r.noshow,
          slotavailable: r.slotavailable,
        })),
      }
    },
  },
  { method: 'GET', path: '/ethnicities', handler: () => ({ body: ETHNICITIES }) },
  { method: 'GET', path: '/races', handler: () => ({ body: RACES }) },
  { method: 'GET', path: '/languages', handler: () => ({ body: LANGUAGES }) },
]
