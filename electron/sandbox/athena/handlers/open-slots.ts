/**
 * Open slots (reference §4.2): search with athena's rules — departmentid required, reasonid or
 * appointmenttypeid ("or nothing comes back"), providerid unless reasonid=-1, default window
 * today..+7 days, min-hours/max-days unless bypassscheduletimechecks, frozen slots hidden — and
 * creation of new slots, answered as `{"appointmentids": {"<id>": "HH:MM"}}`.
 */
import type { RequestContext, RouteDef } from '../context'
import { badRequest, invalidData, missingFields } from '../errors'
import { envelope, LARGE_LIMITS } from '../pagination'
import { renderOpenSlot } from '../render/appointment'
import { reasonsFor } from '../seed/practice'
import type { Appointment } from '../store'
import { formatTime, parseTime, todayIn } from '../time'
import { slotEpoch, tzOf } from './appointment-common'

const HOUR = 3_600_000
const DAY = 86_400_000

function openSlots(ctx: RequestContext) {
  const q = ctx.params
  const { store } = ctx.world
  q.require('departmentid')
  const depts = q.intList('departmentid')
  const reasonIds = q.intList('reasonid')
  const typeIds = q.intList('appointmenttypeid')
  const providers = q.intList('providerid')
  if (!reasonIds.length && !typeIds.length) {
    if (ctx.cfg.openSlotsWithoutReasonOrType === 'error') throw missingFields(['reasonid', 'appointmenttypeid'], 'A reasonid or an appointmenttypeid is required.')
    return { body: envelope(ctx, 'appointments', [], LARGE_LIMITS) }
  }
  if (reasonIds.some((r) => r !== -1) && !providers.length) throw missingFields(['providerid'], 'providerid is required unless reasonid is -1.')
  const start = q.day('startdate') ?? todayIn(ctx.now, tzOf(ctx, depts[0]!))
  const end = q.day('enddate') ?? start + 7
  const bypass = q.bool('bypassscheduletimechecks')
  const showFrozen = q.bool('showfrozenslots')
  const rows: Array<{ a: Appointment; reasons: string[] }> = []
  for (const a of store.appointments.values()) {
    if (a.deleted || a.status !== 'o' || a.day < start || a.day > end) continue
    if (!depts.includes(a.departmentid)) continue
    if (providers.length && !providers.includes(a.providerid)) continue
    if (a.frozen && !showFrozen) continue
    const provider = store.providers.get(a.providerid)
    const offered = provider ? reasonsFor(provider, a.departmentid) : []
    const matched: string[] = []
    let minHours = ctx.cfg.scheduleMinHours
    let maxDays = ctx.cfg.scheduleMaxDays
    for (const r of reasonIds) {
      const candidates = r === -1 ? offered : offered.filter((id) => id === r)
      const fits = candidates.map((id) => store.reasons.get(id)!).filter((reason) => reason.appointmenttypeids.includes(a.appointmenttypeid))
      if (!fits.length) continue
      matched.push(String(r))
      if (r !== -1) {
        minHours = fits[0]!.schedulingminhours
        maxDays = fits[0]!.schedulingmaxdays
      }
    }
    const typeMatch = typeIds.includes(a.appointmenttypeid)
    if (!matched.length && !typeMatch) continue
    if (!bypass) {
      const at = slotEpoch(ctx, a)
      if (at < ctx.now + minHours * HOUR || at > ctx.now + maxDays * DAY) continue
    }
    const reasons = matched.length
      ? matched
      : offered.filter((id) => store.reasons.get(id)!.appointmenttypeids.includes(a.appointmenttypeid)).map(String)
    rows.push({ a, reasons })
  }
  rows.sort((x, y) => x.a.day - y.a.day || x.a.starttime - y.a.starttime || x.a.providerid - y.a.providerid || x.a.appointmentid - y.a.appointmentid)
  return { body: envelope(ctx, 'appointments', rows, LARGE_LIMITS, (r) => renderOpenSlot(store, r.a, r.reasons)) }
}

function createOpenSlots(ctx: RequestContext) {
  const q = ctx.params
  const { store } = ctx.world
  q.require('departmentid', 'providerid', 'appointmentdate', 'appointmenttime')
  if (!q.has('appointmenttypeid') && !q.has('reasonid')) {
    throw missingFields(['appointmenttypeid', 'reasonid'], 'Either appointmenttypeid or reasonid is required.')
  }
  const deptid = q.int('departmentid')!
  const provid = q.int('providerid')!
  if (!store.departments.has(deptid)) throw badRequest('Invalid department ID.', `Department ${deptid} does not exist.`)
  if (!store.providers.has(provid)) throw badRequest('Invalid provider ID.', `Provider ${provid} does not exist.`)
  let typeid = q.int('appointmenttypeid')
  if (typeid === undefined) {
    const reason = store.reasons.get(q.int('reasonid')!)
    if (!reason) throw badRequest('Invalid reason ID.', `Patient appointment reason ${q.get('reasonid')} does not exist.`)
    typeid = reason.appointmenttypeids[0]!
  }
  const type = store.appointmentTypes.get(typeid)
  if (!type) throw badRequest('Invalid appointment type ID.', `Appointment type ${typeid} does not exist.`)
  const day = q.day('appointmentdate')!
  const times = q.list('appointmenttime').map((t) => {
    const m = parseTime(t)
    if (m === null) throw invalidData(`Expecting format hh24:mi, but value is ${t}`)
    return m
  })
  const ids: Record<string, string> = {}
  for (const t of times) {
    const a: Appointment = {
      appointmentid: store.nextAppointmentId,
      departmentid: deptid,
      providerid: provid,
      day,
      starttime: t,
      duration: type.duration,
      appointmenttypeid: typeid,
      templateappointmenttypeid: typeid,
      status: 'o',
      frozen: false,
      deleted: false,
      createdAt: ctx.now,
      lastmodifiedby: ctx.apiUser,
      lastModifiedAt: ctx.now,
      notes: [],
    }
    store.addAppointment(a)
    ids[String(a.appointmentid)] = formatTime(t)
    ctx.world.feeds.record('appointments', 'AddAppointmentSlot', a.appointmentid, a.departmentid)
  }
  return { body: { appointmentids: ids } }
}

export const openSlotRoutes: RouteDef[] = [
  { method: 'GET', path: '/appointments/open', handler: openSlots },
  { method: 'POST', path: '/appointments/open', handler: createOpenSlots },
]
