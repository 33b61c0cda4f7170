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

export function foldName(s: unknown): string {
  return typeof s === 'string'
    ? s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toUpperCase().replace(/[^A-Z ]+/g, ' ').replace(/\s+/g, ' ').trim()
    : ''
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

export function normalizePhone(v: unknown, country: string): string {
  if (typeof v !== 'string' || !v.trim()) return ''
  const p = parsePhone(v, country)
  return p?.isPossible() ? p.number : ''
}

function str(v: unknown): string {
  return typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : ''
}

export function normalizePatient(id: number, d: Record<string, unknown>, phoneCountry = 'US'): NormalizedPatient {
  let last = foldName(d.last_name)
  let first = foldName(d.first_name)
  let suffix = ''
  for (const part of [last, first]) {
    const words = part.split(' ')
    const tail = words[words.length - 1] ?? ''
    if (words.length > 1 && SUFFIXES.has(tail)) suffix = tail
  }
  if (suffix) {
    last = last.replace(new RegExp(` ${suffix}$`), '')
    first = first.replace(new RegExp(` ${suffix}$`), '')
  }
  const addr = (d.address ?? {}) as Record<string, unknown>
  const dob = str(d.date_of_birth).slice(0, 10)
  const phones = [d.phone_home, d.phone_mobile, d.phone_work].map((p) => normalizePhone(p, phoneCountry)).filter(Boolean)
  const ins = Array.isArray(d.insurance) ? (d.insurance as Record<string, unknown>[]) : []
  return {
    id,
    first: first.replace(/ /g, ''),
    middle: foldName(d.middle_name).replace(/ /g, ''),
    last: last.replace(/ /g, ''),
    suffix,
    dob: /^\d{4}-\d{2}-\d{2}$/.test(dob) ? dob : '',
    year: /^\d{4}/.test(dob) ? dob.slice(0, 4) : '',
    sex: ['M', 'F'].includes(str(d.gender)) ? str(d.gender) : '',
    street: normalizeStreet(addr.line1),
    zip: str(addr.postal_code).slice(0, 5),
    phones: [...new Set(phones)],
    email: str(d.email).toLowerCase(),
    memberIds: ins.map((i) => str(i.member_id).toUpperCase().replace(/[^A-Z0-9]/g, '')).filter(Boolean),
    placeholder: PLACEHOLDER.test(first.replace(/ /g, '')) || /^BABY ?(BOY|GIRL)/.test(first),
  }
}

/** American Soundex (in-repo: 20 lines beat a dependency). */
export function soundex(s: string): string {
  const codes: Record<string, string> = { B: '1', F: '1', P: '1', V: '1', C: '2', G: '2', J: '2', K: '2', Q: '2', S: '2', X: '2', Z: '2', D: '3', T: '3', L: '4', M: '5', N: '5', R: '6' }
  if (!s) return ''
  let out = s[0]!
  let prev = codes[s[0]!] ?? ''
  for (const ch of s.slice(1)) {
    const c = codes[ch] ?? ''
    if (c && c !== prev) out += c
    if (ch !== 'H' && ch !== 'W') prev = c
    if (out.length === 4) break
  }
  return (out + '000').slice(0, 4)
}
