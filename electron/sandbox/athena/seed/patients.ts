/**
 * Synthetic patients: diverse names, ages by department (pediatrics gets children), sex incl. U,
 * local addresses and 10-digit numbers on the fictional 555 exchange, example.* e-mails, ISO 639-2
 * languages, CDC race/ethnicity codes, and a share of records with optional fields missing, which
 * is what real registrations look like. SSNs use the 9xx area, which is never issued as an SSN.
 */
import type { Rng } from '../prng'
import type { Patient, PatientStatus, SandboxStore } from '../store'
import { DEPARTMENTS, DEPARTMENT_REGION, PROVIDERS } from './practice'
import {
  EMAIL_DOMAINS,
  FEMALE_NAMES,
  LAST_NAMES,
  MALE_NAMES,
  MIDDLE_INITIALS,
  NEUTRAL_NAMES,
  REGIONS,
  STREET_NAMES,
  STREET_TYPES,
  SUFFIXES,
} from './names'

const DEPT_WEIGHTS = [40, 20, 25, 15]
const LANG_CODES = ['eng', 'spa', 'zho', 'vie', 'tgl', 'ara', 'fra', 'hat', 'kor', 'rus', 'por', 'hin', 'som', 'nav', 'jpn']
const LANG_WEIGHTS = [76, 12, 2, 2, 1, 1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]
const RACE_CODES = ['2106-3', '2054-5', '2028-9', '2034-7', '2029-7', '2047-9', '1002-5', '2076-8', '2131-1', '2118-8']
const RACE_WEIGHTS = [55, 14, 4, 3, 3, 2, 2, 1, 10, 2]
const MARITAL = ['S', 'M', 'D', 'W', 'P', 'X', 'U']
const MARITAL_WEIGHTS = [35, 40, 9, 5, 4, 2, 5]
const RELATIONSHIPS = ['SPOUSE', 'PARENT', 'CHILD', 'SIBLING', 'FRIEND', 'GUARDIAN', 'OTHER']

export function phone(rng: Rng, areaCode: string): string {
  return `${areaCode}555${String(rng.int(100, 9999)).padStart(4, '0')}`
}

function emailFor(rng: Rng, first: string, last: string): string {
  const clean = (s: string): string => s.toLowerCase().replace(/[^a-z]/g, '')
  const style = rng.int(0, 2)
  const local = style === 0 ? `${clean(first)}.${clean(last)}` : style === 1 ? `${clean(first)[0]}${clean(last)}${rng.int(1, 99)}` : `${clean(last)}${clean(first)}${rng.int(1, 999)}`
  return `${local}@${rng.pick(EMAIL_DOMAINS)}`
}

export function generatePatient(rng: Rng, patientid: number, today: number, seedEpoch: number): Patient {
  const dept = rng.weighted(DEPARTMENTS, DEPT_WEIGHTS)
  const region = REGIONS[DEPARTMENT_REGION[dept.departmentid]!]!
  const sex = rng.weighted(['F', 'M', 'U'], [49, 48, 3])
  const firstname = sex === 'F' ? rng.pick(FEMALE_NAMES) : sex === 'M' ? rng.pick(MALE_NAMES) : rng.pick(NEUTRAL_NAMES)
  const lastname = rng.pick(LAST_NAMES)
  const pediatric = dept.departmentid === 21
  const ageYears = pediatric ? rng.int(0, 17) : rng.weighted([rng.int(18, 39), rng.int(40, 64), rng.int(65, 97)], [40, 38, 22])
  const dob = today - Math.floor(ageYears * 365.25) - rng.int(0, 364)
  const status: PatientStatus = rng.weighted<PatientStatus>(['active', 'inactive', 'prospective'], [92, 5, 3])
  const [city, zip] = rng.pick(region.cities)
  const areaCode = rng.chance(0.8) ? dept.areaCode : rng.pick(region.areaCodes)
  const hasMobile = rng.chance(0.82)
  const providers = PROVIDERS.filter((p) => p.departmentIds.includes(dept.departmentid))
  const registrationdate = Math.max(dob, today - rng.int(0, 8 * 365))
  const p: Patient = {
    patientid,
    firstname,
    lastname,
    sex,
    dob,
    status,
    departmentid: dept.departmentid,
    primarydepartmentid: dept.departmentid,
    registrationdate,
    lastModifiedAt: seedEpoch - rng.int(1, 400) * 86_400_000 - rng.int(0, 86_399) * 1000,
    seeded: true,
  }
  if (rng.chance(0.4)) p.middlename = rng.pick(MIDDLE_INITIALS)
  if (sex === 'M' && !pediatric && rng.chance(0.04)) p.suffix = rng.pick(SUFFIXES)
  if (rng.chance(0.06)) p.preferredname = firstname.slice(0, Math.max(3, Math.ceil(firstname.length / 2)))
  if (rng.chance(0.92)) {
    p.address1 = `${rng.int(1, 9899)} ${rng.pick(STREET_NAMES).toUpperCase()} ${rng.pick(STREET_TYPES)}`
    if (rng.chance(0.15)) p.address2 = `APT ${rng.int(1, 40)}${rng.pick(['', 'A', 'B', 'C'])}`
    p.city = city
    p.state = region.state
    p.zip = rng.chance(0.2) ? `${zip}${String(rng.int(1000, 9999))}` : zip
  }
  if (rng.chance(0.6)) p.homephone = phone(rng, areaCode)
  if (hasMobile) p.mobilephone = phone(rng, areaCode)
  if (!pediatric && rng.chance(0.15)) p.workphone = phone(rng, rng.pick(region.areaCodes))
  if (rng.chance(0.68)) p.email = emailFor(rng, firstname, lastname)
  if (rng.chance(0.95)) p.language6392code = rng.weighted(LANG_CODES, LANG_WEIGHTS)
  const raceRoll = rng.next()
  if (raceRoll < 0.88) p.race = [rng.weighted(RACE_CODES, RACE_WEIGHTS)]
  else if (raceRoll < 0.94) p.race = rng.sample(RACE_CODES.slice(0, 8), 2)
  else if (raceRoll < 0.96) p.race = ['declined']
  const ethRoll = rng.next()
  if (ethRoll < 0.17) p.ethnicitycode = rng.weighted(['2135-2', '2148-5', '2180-8', '2182-4'], [70, 15, 10, 5])
  else if (ethRoll < 0.93) p.ethnicitycode = '2186-5'
  else if (ethRoll < 0.95) p.ethnicitycode = 'declined'
  if (!pediatric && rng.chance(0.85)) p.maritalstatus = rng.weighted(MARITAL, MARITAL_WEIGHTS)
  if (hasMobile) {
    p.contactpreference = rng.chance(0.7) ? 'MOBILEPHONE' : rng.pick(['HOMEPHONE', 'PORTAL', 'MAIL'])
    p.consenttotext = rng.chance(0.75)
  } else if (p.homephone) {
    p.contactpreference = 'HOMEPHONE'
  }
  p.consenttocall = rng.chance(0.9)
  if (rng.chance(0.55)) p.ssn = `9${String(rng.int(0, 99_999_999)).padStart(8, '0')}`
  if (providers.length && rng.chance(0.7)) p.primaryproviderid = rng.pick(providers).providerid
  if (rng.chance(pediatric ? 0.9 : 0.4)) {
    p.contactname = `${rng.pick([...FEMALE_NAMES, ...MALE_NAMES])} ${rng.chance(0.6) ? lastname : rng.pick(LAST_NAMES)}`
    p.contactrelationship = pediatric ? rng.pick(['PARENT', 'GUARDIAN']) : rng.pick(RELATIONSHIPS)
    p.contactmobilephone = phone(rng, areaCode)
  }
  return p
}

export function seedPatients(store: SandboxStore, rng: Rng, count: number, today: number): void {
  for (let i = 0; i < count; i++) {
    store.addPatient(generatePatient(rng, store.nextPatientId, today, store.seedEpoch))
  }
}
