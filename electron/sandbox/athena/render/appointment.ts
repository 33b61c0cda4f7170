/**
 * Appointment wire shapes. Booked/single-record payloads carry ids as digit strings (M); open-slot
 * search results carry integers (M, 2023 capture) — clients must accept both, so the sandbox keeps
 * the difference. Audit stamps are US Eastern `MM/DD/YYYY HH:MM:SS` (H).
 */
import type { Appointment, SandboxStore } from '../store'
import { formatDay, formatStamp, formatTime } from '../time'
import { renderPatient } from './patient'

type Json = Record<string, unknown>

export function renderOpenSlot(store: SandboxStore, a: Appointment, reasonIds: string[]): Json {
  const type = store.appointmentTypes.get(a.appointmenttypeid)
  const out: Json = {
    appointmentid: a.appointmentid,
    date: formatDay(a.day),
    starttime: formatTime(a.starttime),
    duration: a.duration,
    departmentid: a.departmentid,
    providerid: a.providerid,
    localproviderid: a.providerid,
    appointmenttypeid: a.appointmenttypeid,
    appointmenttype: type?.name ?? '',
    patientappointmenttypename: type?.patientdisplayname ?? '',
    reasonid: reasonIds,
  }
  if (a.frozen) out.frozenyn = 'Y'
  return out
}

export interface AppointmentRenderOptions {
  showpatientdetail?: boolean
}

export function renderAppointment(store: SandboxStore, a: Appointment, opts: AppointmentRenderOptions = {}): Json {
  const type = store.appointmentTypes.get(a.appointmenttypeid)
  const out: Json = {
    appointmentid: String(a.appointmentid),
    appointmentstatus: a.status,
    date: formatDay(a.day),
    starttime: formatTime(a.starttime),
    duration: a.duration,
    departmentid: String(a.departmentid),
    providerid: String(a.providerid),
    hl7providerid: a.providerid,
    appointmenttypeid: String(a.appointmenttypeid),
    appointmenttype: type?.name ?? '',
    patientappointmenttypename: type?.patientdisplayname ?? '',
    templateappointmentid: String(a.appointmentid),
    templateappointmenttypeid: String(a.templateappointmenttypeid),
    lastmodifiedby: a.lastmodifiedby,
    lastmodified: formatStamp(a.lastModifiedAt),
    chargeentrynotrequired: false,
    coordinatorenterprise: false,
    referringproviderid: '',
    renderingproviderid: '',
    supervisingproviderid: '',
  }
  if (a.patientid !== undefined) {
    out.patientid = String(a.patientid)
    out.copay = 0
  }
  if (a.frozen) out.frozenyn = 'Y'
  if (a.urgent) out.urgentyn = 'Y'
  if (a.scheduledby) out.scheduledby = a.scheduledby
  if (a.scheduledAt !== undefined) out.scheduleddatetime = formatStamp(a.scheduledAt)
  if (a.checkinAt !== undefined) out.checkindatetime = formatStamp(a.checkinAt)
  if (a.checkoutAt !== undefined) out.checkoutdatetime = formatStamp(a.checkoutAt)
  if (a.status === 'x') {
    if (a.cancelledby) out.cancelledby = a.cancelledby
    if (a.cancelledAt !== undefined) out.cancelleddatetime = formatStamp(a.cancelledAt)
    if (a.cancelreasonid !== undefined) out.cancelreasonid = String(a.cancelreasonid)
    if (a.cancelreasonname) out.cancelreasonname = a.cancelreasonname
    out.cancelreasonnoshow = Boolean(a.cancelreasonnoshow)
    out.cancelreasonslotavailable = Boolean(a.cancelreasonslotavailable)
  }
  if (a.rescheduledappointmentid !== undefined) out.rescheduledappointmentid = String(a.rescheduledappointmentid)
  if (a.notes.length) {
    out.appointmentnotes = a.notes.map((n) => ({ id: n.id, displayonschedule: n.displayonschedule, text: n.text }))
  }
  if (opts.showpatientdetail && a.patientid !== undefined) {
    const p = store.patients.get(a.patientid)
    if (p) out.patient = renderPatient(store, p)
  }
  return out
}
