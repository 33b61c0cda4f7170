/**
 * Changed-data feed endpoints for appointments and patients (reference §6): subscription
 * management, the event list, and the feed itself (see feeds.ts for queue semantics).
 */
import type { RequestContext, RouteDef } from '../context'
import { ApiError, badRequest, invalidData } from '../errors'
import type { FeedKind } from '../feeds'
import { pageLink, readPaging, STANDARD_LIMITS, withTotalcount } from '../pagination'
import { renderAppointment } from '../render/appointment'
import { renderPatient } from '../render/patient'
import { parseStamp } from '../time'

/** M: the message a client saw; the HTTP status is from a client comment (S16). */
const NOT_SUBSCRIBED = 'Changed messages require setup (subscription) that has not been done.'

function subscribe(kind: FeedKind) {
  return (ctx: RequestContext) => {
    const q = ctx.params
    const departmentIds = q.intList('departmentids')
    for (const d of departmentIds) {
      if (!ctx.world.store.departments.has(d)) throw badRequest('Invalid department ID.', `Department ${d} does not exist.`)
    }
    const optIn: string[] = []
    if (kind === 'appointments') {
      if (q.bool('includeremindercall')) optIn.push('UpdateReminderCall')
      if (q.bool('includesuggestedoverbooking')) optIn.push('UpdateSuggestedOverbooking')
    }
    ctx.world.feeds.subscribe(ctx.clientId, kind, { eventname: q.get('eventname'), departmentIds, optIn })
    return { body: { success: 'true' } }
  }
}

function replayWindow(ctx: RequestContext): { start: number; end: number } | undefined {
  const startRaw = ctx.params.get('showprocessedstartdatetime')
  const endRaw = ctx.params.get('showprocessedenddatetime')
  if (startRaw === undefined && endRaw === undefined) return undefined
  const parse = (name: string, raw: string): number => {
    const t = parseStamp(raw)
    if (t === null) throw invalidData(`Expecting format mm/dd/yyyy hh24:mi:ss (US Eastern) for ${name}, but value is ${raw}`)
    return t
  }
  return {
    start: startRaw === undefined ? 0 : parse('showprocessedstartdatetime', startRaw),
    end: endRaw === undefined ? ctx.now : parse('showprocessedenddatetime', endRaw),
  }
}

function readFeed(kind: FeedKind) {
  return (ctx: RequestContext) => {
    const { feeds, store } = ctx.world
    if (!feeds.isSubscribed(ctx.clientId, kind)) throw new ApiError(403, { error: NOT_SUBSCRIBED })
    const q = ctx.params
    const depts = q.intList('departmentid')
    const providers = kind === 'appointments' ? q.intList('providerid') : []
    const patients = q.intList('patientid')
    const matches = (id: number): boolean => {
      if (kind === 'appointments') {
        const a = store.appointments.get(id)
        if (!a) return false
        return (!depts.length || depts.includes(a.departmentid)) && (!providers.length || providers.includes(a.providerid)) && (!patients.length || (a.patientid !== undefined && patients.includes(a.patientid)))
      }
      const p = store.patients.get(id)
      if (!p) return false
      return (!depts.length || depts.includes(p.departmentid)) && (!patients.length || patients.includes(p.patientid))
    }
    const { limit, offset, limitGiven } = readPaging(ctx, STANDARD_LIMITS)
    const window = replayWindow(ctx)
    const leaveUnprocessed = q.bool('leaveunprocessed')
    const result = feeds.read(ctx.clientId, kind, { matches, leaveUnprocessed, window, limit, offset })
    const records =
      kind === 'appointments'
        ? result.ids.map((id) => renderAppointment(store, store.appointments.get(id)!, { showpatientdetail: q.bool('showpatientdetail') }))
        : result.ids.map((id) => renderPatient(store, store.patients.get(id)!))
    const body = withTotalcount(ctx, { [kind]: records }, result.totalcount)
    if (result.more) {
      const consumed = window !== undefined || leaveUnprocessed ? offset + limit : result.ids.length
      body.next = pageLink(ctx, consumed, limit, limitGiven)
    }
    return { body }
  }
}

function feedRoutes(kind: FeedKind): RouteDef[] {
  const base = `/${kind}/changed`
  return [
    { method: 'GET', path: base, handler: readFeed(kind) },
    { method: 'POST', path: `${base}/subscription`, handler: subscribe(kind) },
    { method: 'GET', path: `${base}/subscription`, handler: (ctx) => ({ body: ctx.world.feeds.status(ctx.clientId, kind) }) },
    {
      method: 'DELETE',
      path: `${base}/subscription`,
      handler: (ctx) => {
        ctx.world.feeds.unsubscribe(ctx.clientId, kind, ctx.params.get('eventname'))
        return { body: { success: 'true' } }
      },
    },
    {
      method: 'GET',
      path: `${base}/subscription/events`,
      handler: (ctx) => {
        const { standard, optIn } = ctx.world.feeds.events(kind)
        return { body: { subscriptions: [...standard, ...optIn].map((eventname) => ({ eventname })) } }
      },
    },
  ]
}

export const changedRoutes: RouteDef[] = [...feedRoutes('appointments'), ...feedRoutes('patients')]
