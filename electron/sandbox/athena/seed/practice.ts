/**
 * Practice-level reference data: four departments in different zones (one without DST), ten
 * providers with check-digit-valid NPIs, appointment types, patient appointment reasons and
 * cancel reasons. IDs are deliberately non-contiguous, as in real practices.
 */
import type { AppointmentType, CancelReason, Department, PatientReason, PracticeInfo, Provider } from '../store'

export function practiceInfo(practiceid: number): PracticeInfo {
  return {
    practiceid,
    name: 'athenahealth MDP Sandbox (local)',
    golivedate: '01/04/2016',
    experiencemode: 'Hybrid',
    hasclinicals: true,
    hascollector: true,
    hascommunicator: true,
  }
}

export const DEPARTMENTS: readonly Department[] = [
  {
    departmentid: 1,
    name: 'HARBORVIEW FM (HUB)',
    patientdepartmentname: 'Harborview Family Medicine',
    address: '100 HARBOR ST',
    address2: 'SUITE 200',
    city: 'BOSTON',
    state: 'MA',
    zip: '02110',
    phone: '(617) 555-0100',
    timezonename: 'US/Eastern',
    providergroupid: 1,
    providergroupname: 'Harborview Health Group',
    chartsharinggroupid: 42,
    placeofservicetypeid: '11',
    placeofservicetypename: 'OFFICE',
    clinicals: 'ON',
    areaCode: '617',
  },
  {
    departmentid: 21,
    name: 'LAKESIDE PEDIATRICS',
    patientdepartmentname: 'Lakeside Pediatrics',
    address: '2200 N LAKE SHORE DR',
    city: 'CHICAGO',
    state: 'IL',
    zip: '60614',
    phone: '(312) 555-0121',
    timezonename: 'US/Central',
    providergroupid: 1,
    providergroupname: 'Harborview Health Group',
    chartsharinggroupid: 42,
    placeofservicetypeid: '11',
    placeofservicetypename: 'OFFICE',
    clinicals: 'ON',
    areaCode: '312',
  },
  {
    departmentid: 62,
    name: 'DESERT INTERNAL MED',
    patientdepartmentname: 'Desert Internal Medicine',
    address: '455 E CAMELBACK RD',
    city: 'PHOENIX',
    state: 'AZ',
    zip: '85012',
    phone: '(602) 555-0162',
    // Arizona stays on MST all year: the department that proves clients read doesnotobservedst.
    timezonename: 'US/Arizona',
    providergroupid: 2,
    providergroupname: 'Southwest Medical Partners',
    chartsharinggroupid: 42,
    placeofservicetypeid: '11',
    placeofservicetypename: 'OFFICE',
    clinicals: 'ON',
    areaCode: '602',
  },
  {
    departmentid: 150,
    name: 'BAYSIDE TELEHEALTH',
    patientdepartmentname: 'Bayside Virtual Care',
    address: '901 HARBOR DR',
    city: 'SAN DIEGO',
    state: 'CA',
    zip: '92101',
    phone: '(619) 555-0150',
    timezonename: 'US/Pacific',
    providergroupid: 2,
    providergroupname: 'Southwest Medical Partners',
    chartsharinggroupid: 42,
    placeofservicetypeid: '02',
    placeofservicetypename: 'TELEHEALTH',
    clinicals: 'ON',
    areaCode: '619',
  },
]

/** Region keys of seed/names.ts per department, for local-looking addresses. */
export const DEPARTMENT_REGION: Record<number, string> = { 1: 'MA', 21: 'IL', 62: 'AZ', 150: 'CA' }

/** NPI = 9 digits + Luhn check digit computed with the 80840 prefix (CMS rule). */
export function npi(base9: number): number {
  const digits = `80840${String(base9).padStart(9, '0')}`
  let sum = 0
  for (let i = digits.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = Number(digits[i])
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return Number(`${String(base9).padStart(9, '0')}${(10 - (sum % 10)) % 10}`)
}

type ProviderSeed = Omit<Provider, 'npi' | 'username' | 'ansinamecode'> & { npiBase: number }

const MD = { providertypeid: 'MD', providertype: 'MD' }
const PROVIDER_SEEDS: ProviderSeed[] = [
  { providerid: 71, firstname: 'Amara', lastname: 'Okafor', credential: 'MD', sex: 'F', specialty: 'Family Medicine', specialtyid: '08', ansispecialtycode: '207Q00000X', homedepartmentid: 1, departmentIds: [1], npiBase: 190_412_733, ...MD },
  { providerid: 86, firstname: 'Daniel', lastname: 'Brennan', credential: 'DO', sex: 'M', specialty: 'Family Medicine', specialtyid: '08', ansispecialtycode: '207Q00000X', homedepartmentid: 1, departmentIds: [1, 150], npiBase: 190_455_218, providertypeid: 'DO', providertype: 'DO' },
  { providerid: 92, firstname: 'Mei-Lin', lastname: 'Chen', credential: 'MD', sex: 'F', specialty: 'Internal Medicine', specialtyid: '11', ansispecialtycode: '207R00000X', homedepartmentid: 1, departmentIds: [1], npiBase: 190_502_964, ...MD },
  { providerid: 104, firstname: 'Rafael', lastname: 'Soto', credential: 'NP', sex: 'M', specialty: 'Nurse Practitioner', specialtyid: '50', ansispecialtycode: '363LF0000X', homedepartmentid: 21, departmentIds: [21], npiBase: 190_583_107, providertypeid: 'NP', providertype: 'NP' },
  { providerid: 118, firstname: 'Priya', lastname: 'Raman', credential: 'MD', sex: 'F', specialty: 'Pediatrics', specialtyid: '37', ansispecialtycode: '208000000X', homedepartmentid: 21, departmentIds: [21], npiBase: 190_611_842, ...MD },
  { providerid: 125, firstname: 'Jonah', lastname: 'Whitfield', credential: 'PA', sex: 'M', specialty: 'Physician Assistant', specialtyid: '97', ansispecialtycode: '363A00000X', homedepartmentid: 62, departmentIds: [62], npiBase: 190_677_390, providertypeid: 'PA', providertype: 'PA' },
  { providerid: 133, firstname: 'Fatima', lastname: 'Haddad', credential: 'MD', sex: 'F', specialty: 'Internal Medicine', specialtyid: '11', ansispecialtycode: '207R00000X', homedepartmentid: 62, departmentIds: [62, 150], npiBase: 190_702_516, ...MD },
  { providerid: 140, firstname: 'Elena', lastname: 'Petrov', credential: 'MD', sex: 'F', specialty: 'Cardiology', specialtyid: '06', ansispecialtycode: '207RC0000X', homedepartmentid: 62, departmentIds: [62], npiBase: 190_748_021, ...MD },
  { providerid: 151, firstname: 'Kwame', lastname: 'Mensah', credential: 'MD', sex: 'M', specialty: 'Family Medicine', specialtyid: '08', ansispecialtycode: '207Q00000X', homedepartmentid: 150, departmentIds: [150], npiBase: 190_790_654, ...MD },
  { providerid: 166, firstname: 'Sofia', lastname: 'Lindqvist', credential: 'NP', sex: 'F', specialty: 'Nurse Practitioner', specialtyid: '50', ansispecialtycode: '363LF0000X', homedepartmentid: 150, departmentIds: [150, 21], npiBase: 190_833_279, providertypeid: 'NP', providertype: 'NP' },
]

export const PROVIDERS: readonly Provider[] = PROVIDER_SEEDS.map(({ npiBase, ...p }) => ({
  ...p,
  npi: npi(npiBase),
  username: `${p.firstname[0]!.toLowerCase()}${p.lastname.toLowerCase().replace(/[^a-z]/g, '')}`,
  ansinamecode: p.credential === 'NP' || p.credential === 'PA' ? 'Physician Assistants & Advanced Practice Nursing Providers' : 'Allopathic & Osteopathic Physicians',
}))

export const APPOINTMENT_TYPES: readonly AppointmentType[] = [
  { appointmenttypeid: 82, name: 'Any 15', shortname: 'A15', duration: 15, patient: true, generic: true, templatetypeonly: false, patientdisplayname: 'Office Visit' },
  { appointmenttypeid: 2, name: 'NEW PATIENT', shortname: 'NP', duration: 30, patient: true, generic: false, templatetypeonly: false, patientdisplayname: 'New Patient Visit' },
  { appointmenttypeid: 3, name: 'FOLLOW UP', shortname: 'FU', duration: 15, patient: true, generic: false, templatetypeonly: false, patientdisplayname: 'Follow-up Visit' },
  { appointmenttypeid: 4, name: 'PHYSICAL EXAM', shortname: 'PE', duration: 30, patient: true, generic: false, templatetypeonly: false, patientdisplayname: 'Physical Exam Visit' },
  { appointmenttypeid: 10, name: 'SICK VISIT', shortname: 'SV', duration: 15, patient: true, generic: false, templatetypeonly: false, patientdisplayname: 'Sick Visit' },
  { appointmenttypeid: 44, name: 'TELEHEALTH', shortname: 'TH', duration: 20, patient: true, generic: false, templatetypeonly: false, patientdisplayname: 'Video Visit' },
  { appointmenttypeid: 61, name: 'PROCEDURE', shortname: 'PROC', duration: 45, patient: true, generic: false, templatetypeonly: false, patientdisplayname: 'Procedure' },
  { appointmenttypeid: 90, name: 'Template: Open 30', shortname: 'T30', duration: 30, patient: true, generic: true, templatetypeonly: true, patientdisplayname: 'Office Visit' },
  { appointmenttypeid: 5, name: 'LUNCH', shortname: 'LUN', duration: 60, patient: false, generic: false, templatetypeonly: false, patientdisplayname: 'Lunch' },
]

export const PATIENT_REASONS: readonly PatientReason[] = [
  { reasonid: 962, reason: 'Annual physical', description: 'Yearly preventive exam.', reasontype: 'all', appointmenttypeids: [4, 90], schedulingminhours: 24, schedulingmaxdays: 90 },
  { reasonid: 841, reason: 'New patient visit', description: 'First visit with a provider at this practice.', reasontype: 'new', appointmenttypeids: [2, 90], schedulingminhours: 24, schedulingmaxdays: 90 },
  { reasonid: 563, reason: 'Follow Up', description: 'I need to follow up with my provider about a condition.', reasontype: 'existing', appointmenttypeids: [3, 82], schedulingminhours: 24, schedulingmaxdays: 60 },
  { reasonid: 564, reason: 'Sick visit', description: 'I am feeling unwell and need to be seen soon.', reasontype: 'all', appointmenttypeids: [10, 82], schedulingminhours: 2, schedulingmaxdays: 14 },
  { reasonid: 700, reason: 'Video visit', description: 'Meet your provider by secure video.', reasontype: 'existing', appointmenttypeids: [44], schedulingminhours: 4, schedulingmaxdays: 30 },
]

/** Which reasons each provider offers (athena maps reasons per department/provider). */
export function reasonsFor(provider: Provider, departmentid: number): number[] {
  if (departmentid === 150) return [700, 564]
  if (provider.specialty === 'Cardiology') return [563, 841]
  return [962, 841, 563, 564]
}

/** API cancels without a reason id get -5 "CANCELLED FROM API" (M, S13). */
export const API_CANCEL_REASON: CancelReason = { appointmentcancelreasonid: -5, name: 'CANCELLED FROM API', noshow: false, slotavailable: true }
export const RESCHEDULE_CANCEL_REASON_ID = 4

export const CANCEL_REASONS: readonly CancelReason[] = [
  { appointmentcancelreasonid: 1, name: 'PATIENT CANCELLED', noshow: false, slotavailable: true },
  { appointmentcancelreasonid: 2, name: 'PATIENT NO SHOW', noshow: true, slotavailable: false },
  { appointmentcancelreasonid: 3, name: 'PROVIDER UNAVAILABLE', noshow: false, slotavailable: false },
  { appointmentcancelreasonid: 4, name: 'PATIENT RESCHEDULED', noshow: false, slotavailable: true },
  { appointmentcancelreasonid: 6, name: 'INSURANCE ISSUE', noshow: false, slotavailable: true },
  { appointmentcancelreasonid: 9, name: 'WEATHER', noshow: false, slotavailable: false },
]
