/**
 * Patients (reference §4.1): search, read, create with athena's duplicate matching, partial
 * update, bestmatch and enhancedbestmatch.
 */
import type { RequestContext, RouteDef } from '../context'
import { ApiError, missingFields, notFound } from '../errors'
import { envelope, STANDARD_LIMITS } from '../pagination'
import { renderPatient } from '../render/patient'
import type { Patient } from '../store'
import { todayIn, EASTERN } from '../time'
import { applyPatientFields, normalizePhone, parseDob, parsePatientStatus } from './patient-fields'

/** Fields that make a GET /patients search "real" (an id list alone is not accepted, M). */
const SEARCH_FIELDS = [
  'firstname', 'lastname', 'middlename', 'suffix', 'dob', 'sex', 'departmentid', 'status',
  'homephone', 'mobilephone', 'workphone', 'anyphone', 'email', 'zip', 'ssn',
]

const CONTACT_FIELDS = ['homephone', 'mobilephone', 'anyphone', 'zip', 'email', 'ssn']

export function requirePatient(ctx: RequestContext, id: number | undefined): Patient {
  // A captured athena response answers patient id 0 as a missing field (M).
  if (!id) throw missingFields(['patientid'])
  const p = ctx.world.store.patients.get(id)
  if (!p) throw notFound('Invalid patient ID.', `Patient ${id} does not exist in this practice.`)
  return p
}

function today(ctx: RequestContext): number {
  return todayIn(ctx.now, EASTERN)
}

function eqi(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase()
}

function phonesOf(p: Patient): string[] {
  return [p.homephone, p.mobilephone, p.workphone].filter((x): x is string => Boolean(x))
}

function buildSearchFilter(ctx: RequestContext): (p: Patient) => boolean {
  const q = ctx.params
  const tests: Array<(p: Patient) => boolean> = []
  const nameMatch = (field: 'firstname' | 'lastname' | 'middlename' | 'suffix') => {
    const want = q.get(field)
    if (want === undefined) return
    const w = want.toLowerCase()
    tests.push((p) => {
      const have = p[field]?.toLowerCase()
      if (have === undefined) return false
      return ctx.cfg.patientNameMatch === 'prefix' ? have.startsWith(w) : have === w
    })
  }
  nameMatch('firstname')
  nameMatch('lastname')
  nameMatch('middlename')
  nameMatch('suffix')
  const dob = q.get('dob')
  if (dob !== undefined) {
    const day = parseDob(dob, Number.MAX_SAFE_INTEGER)
    tests.push((p) => p.dob === day)
  }
  const sex = q.get('sex')
  if (sex !== undefined) tests.push((p) => eqi(p.sex, sex))
  const depts = q.intList('departmentid')
  if (depts.length) tests.push((p) => depts.includes(p.departmentid) || depts.includes(p.primarydepartmentid))
  const statuses = q.list('status').map((s) => parsePatientStatus(s))
  if (statuses.length) tests.push((p) => statuses.includes(p.status))
  for (const field of ['homephone', 'mobilephone', 'workphone'] as const) {
    const raw = q.get(field)
    if (raw === undefined) continue
    const n = normalizePhone(raw) ?? raw.replace(/\D/g, '')
    tests.push((p) => p[field] === n)
  }
  const any = q.get('anyphone')
  if (any !== undefined) {
    const n = normalizePhone(any) ?? any.replace(/\D/g, '')
    tests.push((p) => phonesOf(p).includes(n))
  }
  const email = q.get('email')
  if (email !== undefined) tests.push((p) => eqi(p.email, email))
  const zip = q.get('zip')
  if (zip !== undefined) tests.push((p) => p.zip !== undefined && p.zip.slice(0, 5) === zip.replace(/-/g, '').slice(0, 5))
  const ssn = q.get('ssn')
  if (ssn !== undefined) tests.push((p) => p.ssn === ssn.replace(/\D/g, ''))
  return (p) => tests.every((t) => t(p))
}

function searchPatients(ctx: RequestContext) {
  if (!SEARCH_FIELDS.some((f) => ctx.params.has(f))) {
    throw new ApiError(400, {
      error: 'Additional fields are required.',
      detailedmessage: 'At least one search field is required (an ID list alone is not accepted).',
      missingfields: SEARCH_FIELDS,
    })
  }
  const filter = buildSearchFilter(ctx)
  const rows: Patient[] = []
  for (const p of ctx.world.store.patients.values()) if (filter(p)) rows.push(p)
  const opts = { showfullssn: ctx.params.bool('showfullssn'), showlocalpatientid: ctx.params.bool('showlocalpatientid') }
  return { body: envelope(ctx, 'patients', rows, STANDARD_LIMITS, (p) => renderPatient(ctx.world.store, p, opts)) }
}

function createPatient(ctx: RequestContext) {
  const required = ['departmentid', 'dob', 'firstname', 'lastname', ...ctx.cfg.extraRequiredPatientFields]
  ctx.params.require(...required)
  const { store } = ctx.world
  const draft: Patient = {
    patientid: 0,
    firstname: '',
    lastname: '',
    sex: 'U',
    dob: 0,
    status: 'active',
    departmentid: 0,
    primarydepartmentid: 0,
    registrationdate: today(ctx),
    lastModifiedAt: ctx.now,
    seeded: false,
  }
  applyPatientFields(draft, ctx.params, store, today(ctx))
  if (ctx.cfg.patientMatching === 'name-dob' && !ctx.params.bool('bypasspatientmatching')) {
    for (const p of store.patients.values()) {
      if (p.status !== 'deleted' && p.dob === draft.dob && eqi(p.firstname, draft.firstname) && eqi(p.lastname, draft.lastname)) {
        // athena answers with the existing patient's id instead of creating a duplicate (M).
        return { body: [{ patientid: String(p.patientid) }] }
      }
    }
  }
  draft.patientid = store.nextPatientId
  store.addPatient(draft)
  ctx.world.feeds.record('patients', 'AddPatient', draft.patientid, draft.departmentid)
  return { body: [{ patientid: String(draft.patientid) }] }
}

function updatePatient(ctx: RequestContext) {
  const p = requirePatient(ctx, ctx.pathParams.patientid)
  // Validate on a copy so a bad field leaves the record untouched.
  const copy: Patient = { ...p, race: p.race ? [...p.race] : undefined }
  const applied = applyPatientFields(copy, ctx.params, ctx.world.store, today(ctx))
  if (applied.length) {
    Object.assign(p, copy, { lastModifiedAt: ctx.now })
    ctx.world.feeds.record('patients', p.status === 'deleted' ? 'DeletePatient' : 'UpdatePatient', p.patientid, p.departmentid)
  }
  return { body: [{ patientid: String(p.patientid) }] }
}

function requireNameDob(ctx: RequestContext): { first: string; last: string; dob: number } {
  ctx.params.require('firstname', 'lastname', 'dob')
  return { first: ctx.params.get('firstname')!, last: ctx.params.get('lastname')!, dob: parseDob(ctx.params.get('dob')!, Number.MAX_SAFE_INTEGER) }
}

function contactMatches(ctx: RequestContext, p: Patient): number {
  const q = ctx.params
  let n = 0
  for (const f of ['homephone', 'mobilephone', 'anyphone'] as const) {
    const raw = q.get(f)
    if (raw !== undefined && phonesOf(p).includes(normalizePhone(raw) ?? raw)) n++
  }
  const zip = q.get('zip')
  if (zip !== undefined && p.zip?.slice(0, 5) === zip.slice(0, 5)) n++
  const email = q.get('email')
  if (email !== undefined && eqi(p.email, email)) n++
  const ssn = q.get('ssn')
  if (ssn !== undefined && p.ssn === ssn.replace(/\D/g, '')) n++
  return n
}

function bestMatch(ctx: RequestContext) {
  const { first, last, dob } = requireNameDob(ctx)
  if (ctx.cfg.bestMatchRequiresContactField && !CONTACT_FIELDS.some((f) => ctx.params.has(f))) {
    throw missingFields(CONTACT_FIELDS, 'At least one of homephone, mobilephone, anyphone, zip, email or ssn is required.')
  }
  const candidates = [...ctx.world.store.patients.values()].filter(
    (p) => p.status !== 'deleted' && p.dob === dob && eqi(p.lastname, last) && (eqi(p.firstname, first) || eqi(p.preferredname, first)),
  )
  const scored = candidates.map((p) => ({ p, n: contactMatches(ctx, p) }))
  const top = Math.max(0, ...scored.map((s) => s.n))
  const requireContact = CONTACT_FIELDS.some((f) => ctx.params.has(f))
  const rows = scored.filter((s) => s.n === top && (!requireContact || top > 0))
  return { body: rows.map((s) => renderPatient(ctx.world.store, s.p)) }
}

/** American Soundex, for `usesoundexsearch`. */
function soundex(s: string): string {
  const codes: Record<string, string> = { b: '1', f: '1', p: '1', v: '1', c: '2', g: '2', j: '2', k: '2', q: '2', s: '2', x: '2', z: '2', d: '3', t: '3', l: '4', m: '5', n: '5', r: '6' }
  const letters = s.toLowerCase().replace(/[^a-z]/g, '')
  if (!letters) return ''
  let out = letters[0]!.toUpperCase()
  let prev = codes[letters[0]!] ?? ''
  for (const ch of letters.slice(1)) {
    const c = codes[ch] ?? ''
    if (c && c !== prev) out += c
    if (ch !== 'h' && ch !== 'w') prev = c
  }
  return (out + '000').slice(0, 4)
}

/**
 * Scores are U (athena only documents "top 5 with score ≥ 16"): DOB 10, last name 6 (soundex 3),
 * first name 5 (soundex or initial 2), SSN 8, phone 3, e-mail 3, zip 2, suffix 1.
 */
function enhancedScore(ctx: RequestContext, p: Patient, first: string, last: string, dob: number): number {
  const soundexOn = ctx.params.bool('usesoundexsearch')
  let s = 0
  if (p.dob === dob) s += 10
  if (eqi(p.lastname, last)) s += 6
  else if (soundexOn && soundex(p.lastname) === soundex(last)) s += 3
  if (eqi(p.firstname, first) || eqi(p.preferredname, first)) s += 5
  else if ((soundexOn && soundex(p.firstname) === soundex(first)) || p.firstname[0]?.toLowerCase() === first[0]?.toLowerCase()) s += 2
  const ssn = ctx.params.get('ssn')
  if (ssn !== undefined && p.ssn === ssn.replace(/\D/g, '')) s += 8
  const phones = ['homephone', 'mobilephone'].map((f) => ctx.params.get(f)).filter((x): x is string => x !== undefined)
  if (phones.some((ph) => phonesOf(p).includes(normalizePhone(ph) ?? ph))) s += 3
  const email = ctx.params.get('email')
  if (email !== undefined && eqi(p.email, email)) s += 3
  const zip = ctx.params.get('zip')
  if (zip !== undefined && p.zip?.slice(0, 5) === zip.slice(0, 5)) s += 2
  const suffix = ctx.params.get('suffix')
  if (suffix !== undefined && eqi(p.suffix, suffix)) s += 1
  return s
}

function enhancedBestMatch(ctx: RequestContext) {
  const { first, last, dob } = requireNameDob(ctx)
  const minscore = ctx.params.int('minscore') ?? 16
  const dept = ctx.params.int('departmentid')
  const scored = [...ctx.world.store.patients.values()]
    .filter((p) => p.status !== 'deleted' && (dept === undefined || p.departmentid === dept))
    .map((p) => ({ p, score: enhancedScore(ctx, p, first, last, dob) }))
    .filter((s) => s.score >= minscore)
    .sort((a, b) => b.score - a.score || a.p.patientid - b.p.patientid)
  const rows = ctx.params.bool('returnbestmatches') ? scored.slice(0, 5) : scored.slice(0, 1)
  return { body: rows.map((s) => ({ ...renderPatient(ctx.world.store, s.p), score: s.score })) }
}

export const patientRoutes: RouteDef[] = [
  { method: 'GET', path: '/patients', handler: searchPatients },
  { method: 'POST', path: '/patients', handler: createPatient },
  { method: 'GET', path: '/patients/bestmatch', handler: bestMatch },
  { method: 'GET', path: '/patients/enhancedbestmatch', handler: enhancedBestMatch },
  {
    method: 'GET',
    path: '/patients/:patientid',
    handler: (ctx) => {
      const p = requirePatient(ctx, ctx.pathParams.patientid)
      const opts = { showfullssn: ctx.params.bool('showfullssn'), showlocalpatientid: ctx.params.bool('showlocalpatientid') }
      return { body: [renderPatient(ctx.world.store, p, opts)] }
    },
  },
  { method: 'PUT', path: '/patients/:patientid', handler: updatePatient },
]
