/**
 * In-memory practice data. Records are kept in internal shapes (numbers, day numbers, epochs);
 * the athena wire shapes (strings vs integers, escaped dates) are produced by render/*.
 */

export type PatientStatus = 'active' | 'inactive' | 'prospective' | 'deleted'
/** H: o open, f future/booked, 2 checked in, 3 checked out, 4 charge entered, x cancelled. */
export type AppointmentStatus = 'o' | 'f' | '2' | '3' | '4' | 'x'

export interface PracticeInfo {
  practiceid: number
  name: string
  golivedate: string
  experiencemode: string
  hasclinicals: boolean
  hascollector: boolean
  hascommunicator: boolean
}

export interface Department {
  departmentid: number
  name: string
  patientdepartmentname: string
  address: string
  address2?: string
  city: string
  state: string
  zip: string
  phone: string
  timezonename: string
  providergroupid: number
  providergroupname: string
  chartsharinggroupid: number
  placeofservicetypeid: string
  placeofservicetypename: string
  clinicals: string
  /** Area code used for synthetic patient phone numbers registered here. */
  areaCode: string
}

export interface Provider {
  providerid: number
  firstname: string
  lastname: string
  credential: string
  sex: string
  npi: number
  specialty: string
  specialtyid: string
  providertypeid: string
  providertype: string
  ansinamecode: string
  ansispecialtycode: string
  username: string
  homedepartmentid: number
  departmentIds: number[]
}

export interface AppointmentType {
  appointmenttypeid: number
  name: string
  shortname: string
  duration: number
  patient: boolean
  generic: boolean
  templatetypeonly: boolean
  patientdisplayname: string
}

export interface PatientReason {
  reasonid: number
  reason: string
  description: string
  reasontype: 'new' | 'existing' | 'all'
  /** Slot types this reason can be booked into; the first is the type a booking converts to. */
  appointmenttypeids: number[]
  schedulingminhours: number
  schedulingmaxdays: number
}

export interface CancelReason {
  appointmentcancelreasonid: number
  name: string
  noshow: boolean
  slotavailable: boolean
}

export interface Patient {
  patientid: number
  firstname: string
  lastname: string
  middlename?: string
  suffix?: string
  preferredname?: string
  sex: string
  /** Day number of the date of birth. */
  dob: number
  status: PatientStatus
  departmentid: number
  primarydepartmentid: number
  primaryproviderid?: number
  address1?: string
  address2?: string
  city?: string
  state?: string
  zip?: string
  homephone?: string
  mobilephone?: string
  workphone?: string
  email?: string
  language6392code?: string
  race?: string[]
  ethnicitycode?: string
  maritalstatus?: string
  contactpreference?: string
  consenttotext?: boolean
  consenttocall?: boolean
  ssn?: string
  contactname?: string
  contactrelationship?: string
  contactmobilephone?: string
  /** Day number. */
  registrationdate: number
  lastModifiedAt: number
  /** Seeded patients get lazily generated charts; API-created ones start empty. */
  seeded: boolean
}

export interface AppointmentNote {
  id: number
  text: string
  displayonschedule: boolean
  createdAt: number
  createdby: string
}

export interface Appointment {
  appointmentid: number
  departmentid: number
  providerid: number
  day: number
  /** Minutes after local midnight in the department's zone. */
  starttime: number
  duration: number
  appointmenttypeid: number
  templateappointmenttypeid: number
  status: AppointmentStatus
  frozen: boolean
  /** Deleted open slots stay as tombstones so changed feeds can still describe them. */
  deleted: boolean
  patientid?: number
  urgent?: boolean
  bookingnote?: string
  scheduledby?: string
  scheduledAt?: number
  createdAt: number
  lastmodifiedby: string
  lastModifiedAt: number
  cancelledby?: string
  cancelledAt?: number
  cancelreasonid?: number
  cancelreasonname?: string
  cancelreasonnoshow?: boolean
  cancelreasonslotavailable?: boolean
  rescheduledappointmentid?: number
  checkinAt?: number
  checkoutAt?: number
  notes: AppointmentNote[]
}

export interface PatientDocument {
  documentid: number
  patientid: number
  departmentid: number
  documentclass: string
  documentsubclass: string
  status: string
  description?: string
  internalnote?: string
  providerid?: number
  appointmentid?: number
  originalfilename?: string
  contentType?: string
  size: number
  sha256?: string
  createdAt: number
  createdby: string
}

export class SandboxStore {
  practice!: PracticeInfo
  readonly departments = new Map<number, Department>()
  readonly providers = new Map<number, Provider>()
  readonly appointmentTypes = new Map<number, AppointmentType>()
  readonly reasons = new Map<number, PatientReason>()
  cancelReasons: CancelReason[] = []
  readonly patients = new Map<number, Patient>()
  readonly appointments = new Map<number, Appointment>()
  readonly documents = new Map<number, PatientDocument>()
  private readonly apptsByPatient = new Map<number, Set<number>>()
  private readonly docsByPatient = new Map<number, Set<number>>()

  nextPatientId = 1001
  nextAppointmentId = 1_100_001
  nextDocumentId = 300_001
  nextNoteId = 40_001

  constructor(
    readonly seed: number | string,
    /** Clock reading when the data was generated; lazy chart generation dates from it. */
    readonly seedEpoch: number,
  ) {}

  addPatient(p: Patient): Patient {
    this.patients.set(p.patientid, p)
    if (p.patientid >= this.nextPatientId) this.nextPatientId = p.patientid + 1
    return p
  }

  addAppointment(a: Appointment): Appointment {
    this.appointments.set(a.appointmentid, a)
    if (a.appointmentid >= this.nextAppointmentId) this.nextAppointmentId = a.appointmentid + 1
    if (a.patientid !== undefined) this.linkPatient(a.appointmentid, a.patientid)
    return a
  }

  /** Keeps the patient → appointments index right when a slot is booked. */
  assignPatient(a: Appointment, patientid: number): void {
    a.patientid = patientid
    this.linkPatient(a.appointmentid, patientid)
  }

  private linkPatient(appointmentid: number, patientid: number): void {
    let set = this.apptsByPatient.get(patientid)
    if (!set) this.apptsByPatient.set(patientid, (set = new Set()))
    set.add(appointmentid)
  }

  appointmentsOf(patientid: number): Appointment[] {
    const ids = this.apptsByPatient.get(patientid)
    if (!ids) return []
    const out: Appointment[] = []
    for (const id of ids) {
      const a = this.appointments.get(id)
      if (a && a.patientid === patientid && !a.deleted) out.push(a)
    }
    return out
  }

  /** Live (not deleted) appointment by id. */
  appointment(id: number): Appointment | undefined {
    const a = this.appointments.get(id)
    return a && !a.deleted ? a : undefined
  }

  addDocument(d: PatientDocument): PatientDocument {
    this.documents.set(d.documentid, d)
    if (d.documentid >= this.nextDocumentId) this.nextDocumentId = d.documentid + 1
    let set = this.docsByPatient.get(d.patientid)
    if (!set) this.docsByPatient.set(d.patientid, (set = new Set()))
    set.add(d.documentid)
    return d
  }

  documentsOf(patientid: number): PatientDocument[] {
    return [...(this.docsByPatient.get(patientid) ?? [])].map((id) => this.documents.get(id)!).filter(Boolean)
  }

  newNoteId(): number {
    return this.nextNoteId++
  }

  counts(): { patients: number; appointments: { total: number; byStatus: Record<string, number>; deleted: number }; documents: number } {
    const byStatus: Record<string, number> = { o: 0, f: 0, '2': 0, '3': 0, '4': 0, x: 0 }
    let deleted = 0
    let total = 0
    for (const a of this.appointments.values()) {
      if (a.deleted) {
        deleted++
        continue
      }
      total++
      byStatus[a.status] = (byStatus[a.status] ?? 0) + 1
    }
    return { patients: this.patients.size, appointments: { total, byStatus, deleted }, documents: this.documents.size }
  }
}
