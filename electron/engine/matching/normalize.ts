/**
 * Normalisation before any comparison (it matters more than the scorer: Grannis et al., JAMIA
 * 2019): names folded to A–Z with generational suffixes split off, USPS-style street
 * abbreviations, E.164 phones, ISO dates, lower-case e-mail, member ids without punctuation.
 */
import { parsePhone } from '../mapping/parse-phone'

export interface NormalizedPatient {
  id: number
  first: string
  middle: string
  last: string
  suffix: string
  dob: string
  year: string
  sex: string
  street: string
  zip: string
  phones: string[]
  email: string
  memberIds: string[]
  /** Placeholder names given to newborns ("BABY GIRL", "INFANT") — never a basis for linking. */
  placeholder: boolean
}

const SUFFIXES = new Set(['JR', 'SR', 'II', 'III', 'IV', 'V'])
const PLACEHOLDER = /^(BABY|BB|INFANT|NEWBORN|NB|BABYBOY|BABYGIRL|BOY|GIRL|TWIN[AB]?|UNKNOWN|UNK)$/

const STREET: Record<string, string> = {
  STREET: 'ST', AVENUE: 'AVE', AV: 'AVE', ROAD: 'RD', DRIVE: 'DR', LANE: 'LN', BOULEVARD: 'BLVD', COURT: 'CT', PLACE: 'PL', TERRACE: 'TER',
  CIRCLE: 'CIR', HIGHWAY: 'HWY', PARKWAY: 'PKWY', SQUARE: 'SQ', TRAIL: 'TRL', WAY: 'WAY', NORTH: 'N', SOUTH: 'S', EAST: 'E', WEST: 'W',
  NORTHEAST: 'NE', NORTHWEST: 'NW', SOUTHEAST: 'SE', SOUTHWEST: 'SW', APARTMENT: 'APT', SUITE: 'STE', UNIT: 'UNIT', FLOOR: 'FL',
}

/** Plain A–Z words with single spaces: what most names are, and already folded but for the case. */
const PLAIN_NAME = /^[A-Za-z]+(?: [A-Za-z]+)*$/

export function foldName(s: unknown): string {
  if (typeof s !== 'string') return ''
  if (PLAIN_NAME.test(s)) return s.toUpperCase()
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toUpperCase().replace(/[^A-Z ]+/g, ' ').replace(/\s+/g, ' ').trim()
}

export function normalizeStreet(s: unknown): string {
  if (typeof s !== 'string') return ''
  return s
    .toUpperCase()
    .replace(/#/g, ' APT ')
    .replace(/[.,]/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => STREET[w] ?? w)
    .join(' ')
}

/**
 * A North American number already in E.164 form (what the mappings' phone transform writes for a
 * US practice: +1, an area code and an exchange not starting with 0 or 1) is its own normal form
 * and a possible number; libphonenumber would say the same (test/unit/matching/normalize.test.ts
 * checks it), at a hundredth of the cost, which matters when a practice's index is first loaded.
 */
const NANP_E164 = /^\+1[2-9]\d{2}[2-9]\d{6}$/

export function normalizePhone(v: unknown, country: string): string {
  if (typeof v !== 'string') return ''
  if (NANP_E164.test(v)) return v
  if (!v.trim()) return ''
  const p = parsePhone(v, country)
  return p?.isPossible() ? p.number : ''
}

function str(v: unknown): string {
  return typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : ''
}

/** The generational suffix ending a folded name ("SMITH JR" → "JR"), or ''. */
function suffixOf(name: string): string {
  const i = name.lastIndexOf(' ')
  return i >= 0 && SUFFIXES.has(name.slice(i + 1)) ? name.slice(i + 1) : ''
}

export function normalizePatient(id: number, d: Record<string, unknown>, phoneCountry = 'US'): NormalizedPatient {
  let last = foldName(d.last_name)
  let first = foldName(d.first_name)
  // The given name's suffix wins when both carry one, as the last one seen did before.
  const suffix = suffixOf(first) || suffixOf(last)
  if (suffix) {
    if (last.endsWith(` ${suffix}`)) last = last.slice(0, -suffix.length - 1)
    if (first.endsWith(` ${suffix}`)) first = first.slice(0, -suffix.length - 1)
  }
  const addr = (d.address ?? {}) as Record<string, unknown>
  const dob = str(d.date_of_birth).slice(0, 10)
  const phones: string[] = []
  for (const v of [d.phone_home, d.phone_mobile, d.phone_work]) {
    const ph = normalizePhone(v, phoneCountry)
    if (ph && !phones.includes(ph)) phones.push(ph)
  }
  const ins = Array.isArray(d.insurance) ? (d.insurance as Record<string, unknown>[]) : []
  const gender = str(d.gender)
  const firstJoined = first.includes(' ') ? first.replace(/ /g, '') : first
  return {
    id,
    first: firstJoined,
    middle: foldName(d.middle_name).replace(/ /g, ''),
    last: last.includes(' ') ? last.replace(/ /g, '') : last,
    suffix,
    dob: /^\d{4}-\d{2}-\d{2}$/.test(dob) ? dob : '',
    year: /^\d{4}/.test(dob) ? dob.slice(0, 4) : '',
    sex: gender === 'M' || gender === 'F' ? gender : '',
    street: normalizeStreet(addr.line1),
    zip: str(addr.postal_code).slice(0, 5),
    phones,
    email: str(d.email).toLowerCase(),
    memberIds: ins.map((i) => str(i.member_id).toUpperCase().replace(/[^A-Z0-9]/g, '')).filter(Boolean),
    placeholder: PLACEHOLDER.test(firstJoined) || /^BABY ?(BOY|GIRL)/.test(first),
  }
}

const SOUNDEX: Record<string, string> = { B: '1', F: '1', P: '1', V: '1', C: '2', G: '2', J: '2', K: '2', Q: '2', S: '2', X: '2', Z: '2', D: '3', T: '3', L: '4', M: '5', N: '5', R: '6' }

/** American Soundex (in-repo: 20 lines beat a dependency). */
export function soundex(s: string): string {
  if (!s) return ''
  let out = s[0]!
  let prev = SOUNDEX[s[0]!] ?? ''
  for (let i = 1; i < s.length && out.length < 4; i++) {
    const ch = s[i]!
    const c = SOUNDEX[ch] ?? ''
    if (c && c !== prev) out += c
    if (ch !== 'H' && ch !== 'W') prev = c
  }
  return (out + '000').slice(0, 4)
}
