/**
 * Validation and assignment of demographic input fields shared by POST and PUT /patients.
 * athena rejects malformed values with 400 "The data provided is invalid." (M); names it does not
 * know are ignored, so unknown parameters are ignored here too.
 */
import { badRequest, invalidData } from '../errors'
import type { Params } from '../params'
import type { Patient, PatientStatus, SandboxStore } from '../store'
import { parseDate, dayNumber } from '../time'

const STATUS: Record<string, PatientStatus> = {
  a: 'active',
  active: 'active',
  i: 'inactive',
  inactive: 'inactive',
  p: 'prospective',
  prospective: 'prospective',
  d: 'deleted',
  deleted: 'deleted',
}

const CONTACT_PREFERENCES = ['HOMEPHONE', 'MAIL', 'MOBILEPHONE', 'PORTAL', 'WORKPHONE']
const MARITAL = ['D', 'M', 'P', 'S', 'U', 'W', 'X']
const NAME_MAX = 60

export function normalizePhone(raw: string): string | null {
  let digits = raw.replace(/\D/g, '')
  if (digits.length === 11 && digits.startsWith('1')) digits = digits.slice(1)
  return digits.length === 10 ? digits : null
}

export function parsePatientStatus(raw: string): PatientStatus | null {
  return STATUS[raw.trim().toLowerCase()] ?? null
}

/** Parses a DOB the way athena does: MM/DD/YYYY, not in the future. Returns a day number. */
export function parseDob(raw: string, today: number): number {
  const ymd = parseDate(raw)
  if (!ymd) throw invalidData(`Expecting format date, but value is ${raw}`)
  const day = dayNumber(ymd)
  if (day > today) throw invalidData(`The date of birth ${raw} is in the future.`)
  return day
}

type Setter = (p: Patient, value: string, params: Params) => void

function text(field: 'firstname' | 'lastname' | 'middlename' | 'suffix' | 'preferredname' | 'address1' | 'address2' | 'city' | 'contactname' | 'contactrelationship'): Setter {
  return (p, v) => {
    if (v.length > NAME_MAX) throw invalidData(`The value for ${field} is longer than ${NAME_MAX} characters.`)
    p[field] = field === 'contactrelationship' ? v.toUpperCase() : v
  }
}

function phoneField(field: 'homephone' | 'mobilephone' | 'workphone' | 'contactmobilephone'): Setter {
  return (p, v) => {
    const n = normalizePhone(v)
    if (!n) throw invalidData(`Expecting format phone for ${field}, but value is ${v}`)
    p[field] = n
  }
}

export function makeSetters(store: SandboxStore, today: number): Record<string, Setter> {
  return {
    firstname: text('firstname'),
    lastname: text('lastname'),
    middlename: text('middlename'),
    suffix: text('suffix'),
    preferredname: text('preferredname'),
    address1: text('address1'),
    address2: text('address2'),
    city: text('city'),
    contactname: text('contactname'),
    contactrelationship: text('contactrelationship'),
    homephone: phoneField('homephone'),
    mobilephone: phoneField('mobilephone'),
    workphone: phoneField('workphone'),
    contactmobilephone: phoneField('contactmobilephone'),
    sex: (p, v) => {
      const s = v.toUpperCase()
      if (!['M', 'F', 'U', 'N'].includes(s)) throw invalidData(`Expecting one of M, F, U, N for sex, but value is ${v}`)
      p.sex = s
    },
    dob: (p, v) => {
      p.dob = parseDob(v, today)
    },
    departmentid: (p, v) => {
      const id = Number(v)
      if (!/^\d+$/.test(v) || !store.departments.has(id)) throw badRequest('Invalid department ID.', `Department ${v} does not exist.`)
      p.departmentid = id
      p.primarydepartmentid = id
    },
    state: (p, v) => {
      if (!/^[A-Za-z]{2}$/.test(v)) throw invalidData(`Expecting a two-letter state, but value is ${v}`)
      p.state = v.toUpperCase()
    },
    zip: (p, v) => {
      const z = v.replace(/-/g, '')
      if (!/^\d{5}(\d{4})?$/.test(z)) throw invalidData(`Expecting format zip, but value is ${v}`)
      p.zip = z
    },
    email: (p, v) => {
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) throw invalidData(`Expecting format email, but value is ${v}`)
      p.email = v
    },
    language6392code: (p, v) => {
      const code = v.toLowerCase()
      if (!/^([a-z]{3}|declined)$/.test(code)) throw invalidData(`Expecting an ISO 639-2 code for language6392code, but value is ${v}`)
      p.language6392code = code
    },
    race: (p, _v, params) => {
      // H: tab-separated list or repeated values; the first is the primary race.
      p.race = params.list('race', /\t/)
    },
    ethnicitycode: (p, v) => {
      p.ethnicitycode = v
    },
    maritalstatus: (p, v) => {
      const m = v.toUpperCase()
      if (!MARITAL.includes(m)) throw invalidData(`Expecting one of ${MARITAL.join(', ')} for maritalstatus, but value is ${v}`)
      p.maritalstatus = m
    },
    status: (p, v) => {
      const s = parsePatientStatus(v)
      if (!s) throw invalidData(`Expecting one of a, i, p, d for status, but value is ${v}`)
      p.status = s
    },
    contactpreference: (p, v) => {
      const c = v.toUpperCase()
      if (!CONTACT_PREFERENCES.includes(c)) throw invalidData(`Expecting one of ${CONTACT_PREFERENCES.join(', ')} for contactpreference, but value is ${v}`)
      p.contactpreference = c
    },
    consenttotext: (p, _v, params) => {
      p.consenttotext = params.bool('consenttotext')
    },
    consenttocall: (p, _v, params) => {
      p.consenttocall = params.bool('consenttocall')
    },
    ssn: (p, v) => {
      const digits = v.replace(/\D/g, '')
      if (digits.length !== 9) throw invalidData('Expecting format ssn (9 digits).')
      p.ssn = digits
    },
    primaryproviderid: (p, v) => {
      const id = Number(v)
      if (!/^\d+$/.test(v) || !store.providers.has(id)) throw badRequest('Invalid provider ID.', `Provider ${v} does not exist.`)
      p.primaryproviderid = id
    },
  }
}

/** Applies every known field present in `params`; returns the names that were set. */
export function applyPatientFields(p: Patient, params: Params, store: SandboxStore, today: number): string[] {
  const setters = makeSetters(store, today)
  const applied: string[] = []
  for (const [name, setter] of Object.entries(setters)) {
    const v = params.get(name)
    if (v === undefined) continue
    setter(p, v, params)
    applied.push(name)
  }
  return applied
}
