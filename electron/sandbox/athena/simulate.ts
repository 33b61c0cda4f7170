/**
 * Simulated staff activity in athenaOne: edits that did not come through the API, so a client's
 * changed-feed polling has something to find. Deterministic from the sandbox seed; each call
 * continues the same PRNG stream.
 */
import type { World } from './context'
import type { Rng } from './prng'
import { phone } from './seed/patients'
import { STAFF_USERNAMES, STREET_NAMES, STREET_TYPES, EMAIL_DOMAINS } from './seed/names'
import { CANCEL_REASONS } from './seed/practice'
import type { Appointment } from './store'
import { todayIn, zonedToEpoch } from './time'

export interface SimulatedChanges {
  patients: string[]
  appointments: string[]
}

export function simulateChanges(world: World, rng: Rng, count: number, now: number): SimulatedChanges {
  const { store, feeds } = world
  const out: SimulatedChanges = { patients: [], appointments: [] }
  const patients = [...store.patients.values()].filter((p) => p.status !== 'deleted')
  const active = patients.filter((p) => p.status === 'active')
  const appts = [...store.appointments.values()].filter((a) => !a.deleted)
  const startsAt = (a: Appointment): number => zonedToEpoch(a.day, a.starttime, store.departments.get(a.departmentid)!.timezonename)
  const futureOpen = appts.filter((a) => a.status === 'o' && !a.frozen && startsAt(a) > now)
  const futureBooked = appts.filter((a) => a.status === 'f' && startsAt(a) > now)
  const todayBooked = appts.filter((a) => a.status === 'f' && a.day === todayIn(now, store.departments.get(a.departmentid)!.timezonename))

  const takeFrom = <T>(list: T[]): T | undefined => (list.length ? list.splice(rng.int(0, list.length - 1), 1)[0] : undefined)
  const staff = (): string => rng.pick(STAFF_USERNAMES)
  const touch = (a: Appointment, user: string): void => {
    a.lastmodifiedby = user
    a.lastModifiedAt = now
  }

  for (let i = 0; i < count; i++) {
    const kind = rng.weighted(['patient', 'book', 'cancel', 'checkin', 'update'], [40, 20, 15, 10, 15])
    if (kind === 'book' && futureOpen.length && active.length) {
      const a = takeFrom(futureOpen)!
      a.status = 'f'
      store.assignPatient(a, rng.pick(active).patientid)
      a.scheduledby = staff()
      a.scheduledAt = now
      touch(a, a.scheduledby)
      futureBooked.push(a)
      feeds.record('appointments', 'ScheduleAppointment', a.appointmentid, a.departmentid)
      out.appointments.push(String(a.appointmentid))
      continue
    }
    if (kind === 'cancel' && futureBooked.length) {
      const a = takeFrom(futureBooked)!
      const reason = rng.pick(CANCEL_REASONS)
      a.status = 'x'
      a.cancelledby = staff()
      a.cancelledAt = now
      a.cancelreasonid = reason.appointmentcancelreasonid
      a.cancelreasonname = reason.name
      a.cancelreasonnoshow = reason.noshow
      a.cancelreasonslotavailable = reason.slotavailable
      touch(a, a.cancelledby)
      feeds.record('appointments', 'CancelAppointment', a.appointmentid, a.departmentid)
      out.appointments.push(String(a.appointmentid))
      continue
    }
    if (kind === 'checkin' && todayBooked.length) {
      const a = takeFrom(todayBooked)!
      a.status = '2'
      a.checkinAt = now
      touch(a, staff())
      feeds.record('appointments', 'CheckIn', a.appointmentid, a.departmentid)
      out.appointments.push(String(a.appointmentid))
      continue
    }
    if (kind === 'update' && futureBooked.length) {
      const a = rng.pick(futureBooked)
      const user = staff()
      a.notes.push({ id: store.newNoteId(), text: rng.pick(['Patient requested a reminder call.', 'Bring insurance card.', 'Interpreter requested.']), displayonschedule: rng.chance(0.5), createdAt: now, createdby: user })
      touch(a, user)
      feeds.record('appointments', 'UpdateAppointment', a.appointmentid, a.departmentid)
      out.appointments.push(String(a.appointmentid))
      continue
    }
    if (!patients.length) continue
    const p = rng.pick(patients)
    const area = p.mobilephone?.slice(0, 3) ?? p.homephone?.slice(0, 3) ?? store.departments.get(p.departmentid)!.areaCode
    switch (rng.int(0, 2)) {
      case 0:
        p.mobilephone = phone(rng, area)
        break
      case 1:
        p.email = `${p.firstname.toLowerCase().replace(/[^a-z]/g, '')}${rng.int(1, 999)}@${rng.pick(EMAIL_DOMAINS)}`
        break
      default:
        p.address1 = `${rng.int(1, 9899)} ${rng.pick(STREET_NAMES).toUpperCase()} ${rng.pick(STREET_TYPES)}`
    }
    p.lastModifiedAt = now
    feeds.record('patients', 'UpdatePatient', p.patientid, p.departmentid)
    out.patients.push(String(p.patientid))
  }
  return out
}
