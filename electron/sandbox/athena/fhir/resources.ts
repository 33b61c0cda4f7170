/**
 * The FHIR R4 view of the sandbox's seed data (reference fhir.md §1.2–1.3): the same store the
 * `/v1` handlers read, rendered as athena's FHIR API shows it — every resource carries the
 * `ah-practice` extension, patients the athenaNet identifier, `meta.lastUpdated` is always set.
 * Shapes follow US Core 6.1.0 where athena declares it (Patient, Encounter, Observation,
 * DocumentReference); finer athena details that are not published (exact Encounter / Observation /
 * DocumentReference ids, Appointment status mapping) are the sandbox's own choices (L).
 */
import type { World } from '../context'
import { chartOf } from '../handlers/chart'
import type { Appointment, Department, Patient, PatientDocument, Provider } from '../store'
import { fromDayNumber, zonedToEpoch } from '../time'
import { fhirId, PATIENT_IDENTIFIER_SYSTEM, practiceOrgId } from './ids'

export type Resource = Record<string, unknown> & { resourceType: string; id: string }

export const AH_PRACTICE_URL = 'https://fhir.athena.io/StructureDefinition/ah-practice'
const US_CORE = 'http://hl7.org/fhir/us/core/StructureDefinition'
const UCUM = 'http://unitsofmeasure.org'
const LOINC = 'http://loinc.org'

const iso = (epoch: number): string => new Date(epoch).toISOString()

/**
 * ISO 639-2 (bibliographic and terminology forms) → ISO 639-1, for the languages athenaNet's
 * `language6392code` carries in the seed and the common ones of the mapping's `bcp47_language` map.
 * An explicit table, not ICU's canonicalisation: CLDR folds `tl` (Tagalog) into `fil` (Filipino),
 * which the IANA registry BCP-47 uses keeps apart.
 */
const ISO_639_1: Record<string, string> = {
  eng: 'en', spa: 'es', fre: 'fr', fra: 'fr', ger: 'de', deu: 'de', dut: 'nl', nld: 'nl', ita: 'it', por: 'pt', chi: 'zh', zho: 'zh', jpn: 'ja', kor: 'ko', vie: 'vi', tgl: 'tl', rus: 'ru', ara: 'ar', hin: 'hi', pol: 'pl', hat: 'ht', som: 'so', per: 'fa', fas: 'fa', khm: 'km', gre: 'el', ell: 'el', ukr: 'uk', ben: 'bn', urd: 'ur', arm: 'hy', hye: 'hy', nav: 'nv',
}

/** athenaNet's ISO 639-2 code as a BCP-47 language tag: the 2-letter code where ISO 639-1 has one, else the 3-letter code (e.g. `haw`). */
export function bcp47Language(iso6392: string): string {
  return ISO_639_1[iso6392.toLowerCase()] ?? iso6392.toLowerCase()
}

const pad = (n: number): string => String(n).padStart(2, '0')

function dateOf(day: number): string {
  const d = fromDayNumber(day)
  return `${String(d.y).padStart(4, '0')}-${pad(d.m)}-${pad(d.d)}`
}

function practiceExt(practiceId: number): Record<string, unknown> {
  return { url: AH_PRACTICE_URL, valueReference: { reference: `Organization/${practiceOrgId(practiceId)}` } }
}

function base(practiceId: number, resourceType: string, id: string, lastUpdated: number, profile?: string): Resource {
  return {
    resourceType,
    id,
    meta: { lastUpdated: iso(lastUpdated), ...(profile ? { profile: [profile] } : {}) },
    extension: [practiceExt(practiceId)],
  }
}

const GENDER: Record<string, string> = { M: 'male', F: 'female' }

export function patientResource(practiceId: number, p: Patient): Resource {
  const r = base(practiceId, 'Patient', fhirId(practiceId, 'E', p.patientid), p.lastModifiedAt, `${US_CORE}/us-core-patient|6.1.0`)
  const telecom: unknown[] = []
  if (p.homephone) telecom.push({ system: 'phone', value: p.homephone, use: 'home' })
  if (p.mobilephone) telecom.push({ system: 'phone', value: p.mobilephone, use: 'mobile' })
  if (p.workphone) telecom.push({ system: 'phone', value: p.workphone, use: 'work' })
  if (p.email) telecom.push({ system: 'email', value: p.email })
  Object.assign(r, {
    identifier: [
      { system: PATIENT_IDENTIFIER_SYSTEM(practiceId), value: String(p.patientid) },
      { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system: `urn:athenahealth:athenanet:mrn:${practiceId}`, value: String(p.patientid) },
    ],
    active: p.status === 'active',
    name: [{ use: 'official', family: p.lastname, given: [p.firstname, ...(p.middlename ? [p.middlename] : [])], ...(p.suffix ? { suffix: [p.suffix] } : {}) }],
    gender: GENDER[p.sex] ?? 'unknown',
    birthDate: dateOf(p.dob),
    ...(telecom.length ? { telecom } : {}),
    ...(p.address1 ? { address: [{ use: 'home', line: [p.address1, ...(p.address2 ? [p.address2] : [])], city: p.city, state: p.state, postalCode: p.zip, country: 'US' }] } : {}),
    ...(p.language6392code ? { communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: bcp47Language(p.language6392code) }] } }] } : {}),
    managingOrganization: { reference: `Organization/${fhirId(practiceId, 'Department', p.departmentid)}` },
  })
  return r
}

function startEpoch(world: World, a: Appointment): number {
  const tz = world.store.departments.get(a.departmentid)?.timezonename ?? 'US/Eastern'
  return zonedToEpoch(a.day, a.starttime, tz)
}

const APPT_STATUS: Record<string, string> = { o: 'proposed', f: 'booked', '2': 'arrived', '3': 'fulfilled', '4': 'fulfilled', x: 'cancelled' }

export function appointmentResource(world: World, practiceId: number, a: Appointment): Resource {
  const r = base(practiceId, 'Appointment', fhirId(practiceId, 'appointment', a.appointmentid), a.lastModifiedAt)
  const start = startEpoch(world, a)
  const participant: unknown[] = []
  if (a.patientid !== undefined) participant.push({ actor: { reference: `Patient/${fhirId(practiceId, 'E', a.patientid)}` }, status: 'accepted' })
  participant.push({ actor: { reference: `Practitioner/${fhirId(practiceId, 'Provider', a.providerid)}` }, status: 'accepted' })
  participant.push({ actor: { reference: `Location/${fhirId(practiceId, 'Department', a.departmentid)}` }, status: 'accepted' })
  Object.assign(r, {
    identifier: [{ system: `urn:athenahealth:athenanet:appointment:${practiceId}`, value: String(a.appointmentid) }],
    status: a.status === 'x' && a.cancelreasonnoshow ? 'noshow' : (APPT_STATUS[a.status] ?? 'booked'),
    ...(a.status === 'x' && a.cancelreasonname ? { cancelationReason: { text: a.cancelreasonname } } : {}),
    appointmentType: { coding: [{ system: `urn:athenahealth:athenanet:appointmenttype:${practiceId}`, code: String(a.appointmenttypeid), display: world.store.appointmentTypes.get(a.appointmenttypeid)?.name }] },
    start: iso(start),
    end: iso(start + a.duration * 60_000),
    minutesDuration: a.duration,
    ...(a.bookingnote ? { comment: a.bookingnote } : {}),
    participant,
  })
  return r
}

/** One Encounter per appointment that was checked in (athena opens the encounter at check-in). */
export function encounterResource(world: World, practiceId: number, a: Appointment): Resource | null {
  if (!['2', '3', '4'].includes(a.status) || a.patientid === undefined) return null
  const r = base(practiceId, 'Encounter', fhirId(practiceId, 'encounter', a.appointmentid), a.lastModifiedAt, `${US_CORE}/us-core-encounter|6.1.0`)
  const start = a.checkinAt ?? startEpoch(world, a)
  Object.assign(r, {
    identifier: [{ system: `urn:athenahealth:athenanet:encounter:${practiceId}`, value: String(a.appointmentid) }],
    status: a.status === '2' ? 'in-progress' : 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
    type: [{ text: world.store.appointmentTypes.get(a.appointmenttypeid)?.name ?? 'Office visit' }],
    subject: { reference: `Patient/${fhirId(practiceId, 'E', a.patientid)}` },
    participant: [{ individual: { reference: `Practitioner/${fhirId(practiceId, 'Provider', a.providerid)}` } }],
    appointment: [{ reference: `Appointment/${fhirId(practiceId, 'appointment', a.appointmentid)}` }],
    period: { start: iso(start), ...(a.checkoutAt ? { end: iso(a.checkoutAt) } : {}) },
    location: [{ location: { reference: `Location/${fhirId(practiceId, 'Department', a.departmentid)}` } }],
    serviceProvider: { reference: `Organization/${fhirId(practiceId, 'Department', a.departmentid)}` },
  })
  return r
}

const UCUM_OF: Record<string, string> = { mmHg: 'mm[Hg]', '/min': '/min', '[degF]': '[degF]', cm: 'cm', kg: 'kg', 'kg/m2': 'kg/m2', '%': '%' }

function quantity(value: string, unit: string): Record<string, unknown> | null {
  const n = Number(value)
  if (!Number.isFinite(n)) return null
  const code = UCUM_OF[unit] ?? unit
  return { value: n, unit: code, system: UCUM, code }
}

/** A patient's vitals and lab analytes as Observations (one per reading / analyte). */
export function observationResources(world: World, practiceId: number, p: Patient): Resource[] {
  const chart = chartOf(world, p)
  const subject = { reference: `Patient/${fhirId(practiceId, 'E', p.patientid)}` }
  const out: Resource[] = []
  for (const set of chart.vitals) {
    for (const readings of Object.values(set.readings)) {
      for (const rd of readings) {
        const r = base(practiceId, 'Observation', fhirId(practiceId, 'vitals', rd.readingid), set.takenAt, `${US_CORE}/us-core-vital-signs|6.1.0`)
        const q = quantity(rd.value, rd.unit)
        Object.assign(r, {
          identifier: [{ system: `urn:athenahealth:athenanet:vitals:${practiceId}`, value: String(rd.readingid) }],
          status: 'final',
          category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }],
          code: { coding: [{ system: LOINC, code: rd.code }], text: rd.clinicalelementid },
          subject,
          effectiveDateTime: iso(set.takenAt),
          issued: iso(set.takenAt),
          ...(q ? { valueQuantity: q } : { valueString: rd.value }),
        })
        out.push(r)
      }
    }
  }
  for (const lab of chart.labs) {
    for (const an of lab.analytes) {
      const r = base(practiceId, 'Observation', fhirId(practiceId, 'labresult', an.analyteid), lab.resultedAt, `${US_CORE}/us-core-observation-lab|6.1.0`)
      const q = quantity(an.value, an.units)
      Object.assign(r, {
        identifier: [{ system: `urn:athenahealth:athenanet:labresult:${practiceId}`, value: `${lab.labresultid}.${an.analyteid}` }],
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }] }],
        code: { coding: [{ system: LOINC, code: an.loinc, display: an.analytename }], text: an.analytename },
        subject,
        effectiveDateTime: iso(lab.takenAt),
        issued: iso(lab.resultedAt),
        ...(q ? { valueQuantity: q } : { valueString: an.value }),
        ...(an.referencerange ? { referenceRange: [{ text: an.referencerange }] } : {}),
        ...(an.abnormalflag ? { interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: an.abnormalflag.toUpperCase().startsWith('H') ? 'H' : 'L' }] }] } : {}),
      })
      out.push(r)
    }
  }
  return out
}

export function documentReferenceResource(practiceId: number, d: PatientDocument): Resource {
  const id = fhirId(practiceId, 'document', d.documentid)
  const r = base(practiceId, 'DocumentReference', id, d.createdAt, `${US_CORE}/us-core-documentreference|6.1.0`)
  Object.assign(r, {
    identifier: [{ system: `urn:athenahealth:athenanet:document:${practiceId}`, value: String(d.documentid) }],
    status: 'current',
    type: { coding: [{ system: `urn:athenahealth:athenanet:documentsubclass`, code: d.documentsubclass }], text: d.description ?? d.documentsubclass },
    category: [{ coding: [{ system: 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category', code: 'clinical-note' }], text: d.documentclass }],
    subject: { reference: `Patient/${fhirId(practiceId, 'E', d.patientid)}` },
    date: iso(d.createdAt),
    content: [{ attachment: { contentType: d.contentType ?? 'text/plain', url: `Binary/${id}`, title: d.originalfilename ?? d.description ?? d.documentsubclass, ...(d.size ? { size: d.size } : {}) } }],
  })
  return r
}

/** Seeded documents have no stored body (only metadata); their Binary is a short text rendition. */
export function binaryResource(world: World, practiceId: number, d: PatientDocument): Resource {
  const stored = world.documentBodies.get(d.documentid)
  const data = stored ?? Buffer.from(`${d.description ?? d.documentsubclass}\nPatient ${d.patientid}, document ${d.documentid}, ${iso(d.createdAt)}\n`, 'utf8')
  return { resourceType: 'Binary', id: fhirId(practiceId, 'document', d.documentid), contentType: stored ? (d.contentType ?? 'application/octet-stream') : 'text/plain', data: data.toString('base64') }
}

export function practitionerResource(practiceId: number, pr: Provider): Resource {
  const r = base(practiceId, 'Practitioner', fhirId(practiceId, 'Provider', pr.providerid), 0)
  Object.assign(r, {
    identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: String(pr.npi) }, { system: `urn:athenahealth:athenanet:provider:${practiceId}`, value: String(pr.providerid) }],
    active: true,
    name: [{ family: pr.lastname, given: [pr.firstname], suffix: pr.credential ? [pr.credential] : undefined }],
    gender: GENDER[pr.sex] ?? 'unknown',
  })
  return r
}

export function locationResource(practiceId: number, d: Department): Resource {
  const r = base(practiceId, 'Location', fhirId(practiceId, 'Department', d.departmentid), 0)
  Object.assign(r, {
    identifier: [{ system: `urn:athenahealth:athenanet:department:${practiceId}`, value: String(d.departmentid) }],
    status: 'active',
    name: d.name,
    telecom: [{ system: 'phone', value: d.phone }],
    address: { line: [d.address, ...(d.address2 ? [d.address2] : [])], city: d.city, state: d.state, postalCode: d.zip, country: 'US' },
    managingOrganization: { reference: `Organization/${fhirId(practiceId, 'Department', d.departmentid)}` },
  })
  return r
}

export function organizationResources(world: World, practiceId: number): Resource[] {
  const practice = base(practiceId, 'Organization', practiceOrgId(practiceId), 0)
  Object.assign(practice, { active: true, name: world.store.practice.name, type: [{ text: 'Practice' }] })
  const depts = [...world.store.departments.values()].map((d) => {
    const r = base(practiceId, 'Organization', fhirId(practiceId, 'Department', d.departmentid), 0)
    Object.assign(r, { active: true, name: d.name, type: [{ text: 'Department' }], partOf: { reference: `Organization/${practiceOrgId(practiceId)}` } })
    return r
  })
  return [practice, ...depts]
}

/** Every resource of a type in the practice (searches filter these; the sandbox is small enough). */
export function allOfType(world: World, practiceId: number, type: string, patientFilter?: number): Resource[] {
  const { store } = world
  const patients = (): Patient[] => {
    if (patientFilter !== undefined) {
      const p = store.patients.get(patientFilter)
      return p && p.status !== 'deleted' ? [p] : []
    }
    return [...store.patients.values()].filter((p) => p.status !== 'deleted')
  }
  switch (type) {
    case 'Patient':
      return patients().map((p) => patientResource(practiceId, p))
    case 'Appointment':
      return [...store.appointments.values()].filter((a) => !a.deleted && a.patientid !== undefined).map((a) => appointmentResource(world, practiceId, a))
    case 'Encounter': {
      const appts = patientFilter !== undefined ? store.appointmentsOf(patientFilter) : [...store.appointments.values()].filter((a) => !a.deleted)
      return appts.map((a) => encounterResource(world, practiceId, a)).filter((r): r is Resource => r !== null)
    }
    case 'Observation':
      return patients().flatMap((p) => observationResources(world, practiceId, p))
    case 'DocumentReference':
      return patients().flatMap((p) => store.documentsOf(p.patientid).map((d) => documentReferenceResource(practiceId, d)))
    case 'Practitioner':
      return [...store.providers.values()].map((pr) => practitionerResource(practiceId, pr))
    case 'Location':
      return [...store.departments.values()].map((d) => locationResource(practiceId, d))
    case 'Organization':
      return organizationResources(world, practiceId)
    default:
      return []
  }
}
