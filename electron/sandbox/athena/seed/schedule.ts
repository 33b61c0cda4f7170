/**
 * Provider schedules from 14 days ago to 30 days ahead of the clock, in each department's own
 * zone: morning and afternoon sessions cut into typed slots. Past slots are mostly checked out or
 * charge-entered, future ones a mix of booked, cancelled, open and a few frozen — so open-slot
 * searches, booked lists and changed feeds all have realistic material.
 */
import type { Rng } from '../prng'
import type { Appointment, AppointmentStatus, Department, Provider, SandboxStore } from '../store'
import { todayIn, weekday, zonedToEpoch } from '../time'
import { CANCEL_REASONS, DEPARTMENTS, PROVIDERS } from './practice'
import { STAFF_USERNAMES } from './names'

const PAST_DAYS = 14
const FUTURE_DAYS = 30
const MINUTE = 60_000
const DAY = 86_400_000

interface SlotPlan {
  types: number[]
  weights: number[]
  sessions: Array<[start: number, end: number]>
}

function planFor(dept: Department, provider: Provider): SlotPlan {
  if (dept.departmentid === 150) return { types: [44, 82], weights: [70, 30], sessions: [[9 * 60, 12 * 60], [13 * 60, 18 * 60]] }
  if (provider.specialty === 'Cardiology') return { types: [82, 3, 2, 61], weights: [40, 30, 20, 10], sessions: [[8 * 60, 12 * 60], [13 * 60, 16 * 60]] }
  return { types: [82, 3, 10, 4, 2, 90, 61], weights: [40, 15, 12, 10, 10, 8, 5], sessions: [[8 * 60, 12 * 60], [13 * 60, 17 * 60]] }
}

/** Weekdays a provider works in a department: split across departments, one day off otherwise. */
function workdays(provider: Provider, departmentid: number, rng: Rng): Set<number> {
  const idx = provider.departmentIds.indexOf(departmentid)
  if (provider.departmentIds.length > 1) return idx === 0 ? new Set([1, 2, 3, 5]) : new Set([4])
  const off = rng.int(1, 5)
  return new Set([1, 2, 3, 4, 5].filter((d) => d !== off))
}

export function apiUserFor(rng: Rng): string {
  return rng.chance(0.7) ? rng.pick(STAFF_USERNAMES) : rng.chance(0.6) ? `API-${rng.int(10_000, 19_999)}` : 'PORTAL'
}

export function seedSchedule(store: SandboxStore, rng: Rng, now: number): void {
  const patientsByDept = new Map<number, number[]>()
  const allActive: number[] = []
  for (const p of store.patients.values()) {
    if (p.status !== 'active') continue
    allActive.push(p.patientid)
    const list = patientsByDept.get(p.departmentid) ?? []
    list.push(p.patientid)
    patientsByDept.set(p.departmentid, list)
  }
  const pickPatient = (deptid: number): number | undefined => {
    const local = patientsByDept.get(deptid)
    if (local?.length && rng.chance(0.85)) return rng.pick(local)
    return allActive.length ? rng.pick(allActive) : undefined
  }

  for (const dept of DEPARTMENTS) {
    const tz = dept.timezonename
    const today = todayIn(now, tz)
    for (const provider of PROVIDERS.filter((p) => p.departmentIds.includes(dept.departmentid))) {
      const days = workdays(provider, dept.departmentid, rng)
      const plan = planFor(dept, provider)
      for (let day = today - PAST_DAYS; day <= today + FUTURE_DAYS; day++) {
        if (!days.has(weekday(day))) continue
        for (const [start, end] of plan.sessions) {
          for (let t = start; t < end; ) {
            const typeid = rng.weighted(plan.types, plan.weights)
            const duration = store.appointmentTypes.get(typeid)!.duration
            if (t + duration > end) break
            const slotAt = zonedToEpoch(day, t, tz)
            store.addAppointment(makeSlot(store, rng, { dept, provider, day, t, typeid, duration, slotAt, now, pickPatient }))
            t += duration
          }
        }
      }
    }
  }
}

interface SlotInput {
  dept: Department
  provider: Provider
  day: number
  t: number
  typeid: number
  duration: number
  slotAt: number
  now: number
  pickPatient: (deptid: number) => number | undefined
}

function makeSlot(store: SandboxStore, rng: Rng, s: SlotInput): Appointment {
  const id = store.nextAppointmentId
  const createdAt = s.slotAt - rng.int(40, 120) * DAY
  const a: Appointment = {
    appointmentid: id,
    departmentid: s.dept.departmentid,
    providerid: s.provider.providerid,
    day: s.day,
    starttime: s.t,
    duration: s.duration,
    appointmenttypeid: s.typeid,
    templateappointmenttypeid: s.typeid,
    status: 'o',
    frozen: false,
    deleted: false,
    createdAt,
    lastmodifiedby: rng.pick(STAFF_USERNAMES),
    lastModifiedAt: createdAt,
    notes: [],
  }
  const ended = s.slotAt + s.duration * MINUTE <= s.now
  const started = s.slotAt <= s.now
  const r = rng.next()
  let status: AppointmentStatus = 'o'
  if (ended) status = r < 0.7 ? rng.weighted<AppointmentStatus>(['4', '3', '2'], [70, 25, 5]) : r < 0.78 ? 'x' : 'o'
  else if (started) status = r < 0.6 ? '2' : 'o'
  else status = r < 0.38 ? 'f' : r < 0.43 ? 'x' : 'o'

  const patientid = status === 'o' ? undefined : s.pickPatient(s.dept.departmentid)
  if (patientid === undefined) {
    a.frozen = !started && rng.chance(0.03)
    return a
  }
  a.status = status
  store.assignPatient(a, patientid)
  // Generic template slots become the booked visit's type, as athena does on booking.
  const type = store.appointmentTypes.get(s.typeid)!
  if (type.generic) a.appointmenttypeid = rng.pick([3, 10, 4])
  a.scheduledby = apiUserFor(rng)
  a.scheduledAt = Math.min(s.now - rng.int(1, 600) * MINUTE, s.slotAt - rng.int(1, 35) * DAY + rng.int(0, 600) * MINUTE)
  a.lastmodifiedby = a.scheduledby
  a.lastModifiedAt = a.scheduledAt
  if (status === '2' || status === '3' || status === '4') {
    a.checkinAt = s.slotAt - rng.int(3, 15) * MINUTE
    a.lastModifiedAt = a.checkinAt
    a.lastmodifiedby = rng.pick(STAFF_USERNAMES)
    if (status !== '2') {
      a.checkoutAt = s.slotAt + (s.duration + rng.int(0, 20)) * MINUTE
      a.lastModifiedAt = status === '4' ? a.checkoutAt + rng.int(60, 2880) * MINUTE : a.checkoutAt
      if (a.lastModifiedAt > s.now) a.lastModifiedAt = s.now - MINUTE
    }
  }
  if (status === 'x') {
    const reason = rng.weighted(CANCEL_REASONS, [40, 15, 10, 20, 10, 5])
    const latest = Math.min(s.now, s.slotAt)
    a.cancelledAt = Math.max(a.scheduledAt, latest - rng.int(1, 96) * 60 * MINUTE)
    a.cancelledby = rng.pick(STAFF_USERNAMES)
    a.cancelreasonid = reason.appointmentcancelreasonid
    a.cancelreasonname = reason.name
    a.cancelreasonnoshow = reason.noshow
    a.cancelreasonslotavailable = reason.slotavailable
    a.lastmodifiedby = a.cancelledby
    a.lastModifiedAt = a.cancelledAt
  }
  return a
}
