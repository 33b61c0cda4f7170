/**
 * Patient wire shape (M, captured GET /patients/{id}): ids as digit strings, dates MM/DD/YYYY,
 * status as a full word, empty optional fields omitted rather than null, SSN masked unless
 * showfullssn=true.
 */
import { MARITAL_STATUS_NAMES, RACE_NAMES } from '../seed/code-sets'
import type { Patient, SandboxStore } from '../store'
import { EASTERN, formatDay, formatDayTime, todayIn } from '../time'

export interface PatientRenderOptions {
  showfullssn?: boolean
  showlocalpatientid?: boolean
}

type Json = Record<string, unknown>

function put(out: Json, key: string, value: unknown): void {
  if (value !== undefined && value !== null && value !== '') out[key] = value
}

export function renderPatient(store: SandboxStore, p: Patient, opts: PatientRenderOptions = {}): Json {
  const out: Json = {
    patientid: String(p.patientid),
    firstname: p.firstname,
    lastname: p.lastname,
    dob: formatDay(p.dob),
    sex: p.sex,
    status: p.status,
    departmentid: String(p.departmentid),
    primarydepartmentid: String(p.primarydepartmentid),
    registrationdate: formatDay(p.registrationdate),
    lastupdated: formatDay(todayIn(p.lastModifiedAt, EASTERN)),
    countrycode: 'USA',
    countrycode3166: 'US',
    driverslicense: false,
    homebound: false,
    patientphoto: false,
    emailexists: Boolean(p.email),
    hasmobileyn: Boolean(p.mobilephone),
  }
  put(out, 'middlename', p.middlename)
  put(out, 'suffix', p.suffix)
  put(out, 'preferredname', p.preferredname)
  put(out, 'address1', p.address1)
  put(out, 'address2', p.address2)
  put(out, 'city', p.city)
  put(out, 'state', p.state)
  // Stored as digits; ZIP+4 goes out hyphenated, the way US addresses are written.
  put(out, 'zip', p.zip && p.zip.length === 9 ? `${p.zip.slice(0, 5)}-${p.zip.slice(5)}` : p.zip)
  put(out, 'homephone', p.homephone)
  put(out, 'mobilephone', p.mobilephone)
  put(out, 'workphone', p.workphone)
  put(out, 'email', p.email)
  put(out, 'language6392code', p.language6392code)
  if (p.race?.length) {
    out.race = [...p.race]
    put(out, 'racename', p.race.map((r) => RACE_NAMES.get(r) ?? (r === 'declined' ? 'Patient Declined' : r)).join(', '))
  }
  put(out, 'ethnicitycode', p.ethnicitycode)
  if (p.maritalstatus) {
    out.maritalstatus = p.maritalstatus
    put(out, 'maritalstatusname', MARITAL_STATUS_NAMES[p.maritalstatus])
  }
  put(out, 'contactpreference', p.contactpreference)
  put(out, 'consenttotext', p.consenttotext)
  put(out, 'consenttocall', p.consenttocall)
  if (p.ssn) out.ssn = opts.showfullssn ? p.ssn : `*****${p.ssn.slice(-4)}`
  if (p.primaryproviderid !== undefined) out.primaryproviderid = String(p.primaryproviderid)
  put(out, 'contactname', p.contactname)
  put(out, 'contactrelationship', p.contactrelationship)
  put(out, 'contactmobilephone', p.contactmobilephone)
  if (opts.showlocalpatientid) out.localpatientid = String(p.patientid)
  const visits = store
    .appointmentsOf(p.patientid)
    .filter((a) => a.status !== 'x' && a.status !== 'o')
    .sort((a, b) => a.day - b.day || a.starttime - b.starttime)
  if (visits.length) {
    out.firstappointment = formatDayTime(visits[0]!.day, visits[0]!.starttime)
    const last = visits[visits.length - 1]!
    out.lastappointment = formatDayTime(last.day, last.starttime)
  }
  return out
}
