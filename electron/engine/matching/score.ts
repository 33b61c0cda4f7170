/**
 * Fellegi–Sunter scoring of a pair of normalised patients. Each comparison has levels; a level's
 * weight is log2(m/u), with m = P(level | same person) and u = P(level | different people).
 * A value missing on either side adds nothing. Levels and defaults follow Splink's comparison
 * library (exact, Jaro-Winkler ≥ 0.92/0.88, names swapped, DOB one edit apart, …); a practice
 * overrides any m/u by "comparison.level" (docs/CONFIG.md "Matcher"). Grades follow FHIR $match:
 * certain / probable / possible. Known traps (twins, Jr/Sr, newborn placeholders, a family's
 * shared phone) grade possible at most: always reviewed, never linked.
 */
import { jaroWinkler } from '@skyra/jaro-winkler'
import type { MatchGrade, MatcherSettings } from '../../../shared/files'
import { isNickname } from './nicknames'
import { soundex, type NormalizedPatient } from './normalize'

export const DEFAULT_WEIGHTS: Record<string, { m: number; u: number }> = {
  'name.exact': { m: 0.82, u: 0.00005 },
  'name.swapped': { m: 0.01, u: 0.000005 },
  'name.close': { m: 0.08, u: 0.0005 },
  'name.nickname': { m: 0.04, u: 0.0001 },
  'name.last-only': { m: 0.03, u: 0.004 },
  'name.first-only': { m: 0.01, u: 0.003 },
  'name.else': { m: 0.01, u: 0.99 },
  'dob.exact': { m: 0.93, u: 0.0003 },
  'dob.one-edit': { m: 0.05, u: 0.004 },
  'dob.day-month-swapped': { m: 0.01, u: 0.0003 },
  'dob.else': { m: 0.01, u: 0.995 },
  'sex.agree': { m: 0.97, u: 0.5 },
  'sex.else': { m: 0.03, u: 0.5 },
  'street.exact': { m: 0.6, u: 0.0005 },
  'street.close': { m: 0.1, u: 0.002 },
  'street.else': { m: 0.3, u: 0.9975 },
  'zip.agree': { m: 0.8, u: 0.02 },
  'zip.else': { m: 0.2, u: 0.98 },
  'phone.agree': { m: 0.6, u: 0.0005 },
  'phone.else': { m: 0.4, u: 0.9995 },
  'email.agree': { m: 0.5, u: 0.0001 },
  'email.else': { m: 0.5, u: 0.9999 },
  'member.agree': { m: 0.6, u: 0.00005 },
  'member.else': { m: 0.4, u: 0.99995 },
}

export interface PairScore {
  score: number
  grade: MatchGrade | null
  /** Each comparison's level and weight, e.g. "dob.exact +11.6". */
  reasons: string[]
  /** Why this pair must be reviewed even when it scores high. */
  trap: string | null
}

function jw(a: string, b: string): number {
  return a && b ? jaroWinkler(a, b) : 0
}

/** log2(m/u) per "comparison.level", computed once per settings object (the import keeps one for the whole file). */
const WEIGHT_CACHE = new WeakMap<MatcherSettings, Map<string, number>>()

function weightTable(settings: MatcherSettings): Map<string, number> {
  let table = WEIGHT_CACHE.get(settings)
  if (!table) {
    table = new Map()
    for (const key of Object.keys(DEFAULT_WEIGHTS)) {
      const p = settings.weights[key] ?? DEFAULT_WEIGHTS[key]!
      table.set(key, Math.log2(p.m / p.u))
    }
    WEIGHT_CACHE.set(settings, table)
  }
  return table
}

function weightOf(settings: MatcherSettings, key: string): number {
  return weightTable(settings).get(key)!
}

/** The name level, and the given names' Jaro-Winkler when it was needed (the twins check reuses it). */
function nameLevel(a: NormalizedPatient, b: NormalizedPatient): { level: string | null; jwFirst: number | undefined } {
  if (!a.last || !b.last || !a.first || !b.first) return { level: null, jwFirst: undefined }
  if (a.first === b.first && a.last === b.last) return { level: 'name.exact', jwFirst: 1 }
  if (a.first === b.last && a.last === b.first) return { level: 'name.swapped', jwFirst: undefined }
  const jwLast = a.last === b.last ? 1 : jw(a.last, b.last)
  const lastClose = a.last === b.last || jwLast >= 0.92
  if (lastClose && isNickname(a.first, b.first)) return { level: 'name.nickname', jwFirst: undefined }
  const jwFirst = jw(a.first, b.first)
  if (lastClose && jwFirst >= 0.88) return { level: 'name.close', jwFirst }
  if (a.last === b.last) return { level: 'name.last-only', jwFirst }
  if (a.first === b.first && jwLast >= 0.7) return { level: 'name.first-only', jwFirst }
  return { level: 'name.else', jwFirst }
}

/** The digits of "YYYY-MM-DD" (normalised dates only), in order: the date without its dashes. */
const DOB_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9]

function dobLevel(a: string, b: string): string | null {
  if (!a || !b) return null
  if (a === b) return 'dob.exact'
  // Year equal, month and day swapped.
  if (a.startsWith(b.slice(0, 4)) && a.slice(5, 7) === b.slice(8, 10) && a.slice(8, 10) === b.slice(5, 7)) return 'dob.day-month-swapped'
  // One typo or one transposition of adjacent digits (Damerau ≤ 1) of the eight digits: both dates
  // are normalised "YYYY-MM-DD", so an edit is a substitution (one digit differs) or a swap (two
  // neighbouring digits differ, crosswise); no allocation, this runs for every pair of a block.
  let first = -1
  let second = -1
  for (let i = 0; i < 8; i++) {
    if (a.charCodeAt(DOB_DIGITS[i]!) === b.charCodeAt(DOB_DIGITS[i]!)) continue
    if (first < 0) first = i
    else if (second < 0) second = i
    else return 'dob.else'
  }
  if (second < 0) return 'dob.one-edit'
  const i = DOB_DIGITS[first]!
  const j = DOB_DIGITS[second]!
  return second === first + 1 && a[i] === b[j] && a[j] === b[i] ? 'dob.one-edit' : 'dob.else'
}

function someShared(a: readonly string[], b: readonly string[]): boolean {
  for (const x of a) if (b.includes(x)) return true
  return false
}

/** A pair's comparison levels, score, grade and trap, without the reasons' text. */
export interface PairComparison {
  score: number
  grade: MatchGrade | null
  trap: string | null
  /** "comparison.level" keys in the order they were scored. */
  levels: string[]
  sharedPhone: boolean
}

/**
 * Compares a pair without formatting reasons: the matcher scores every pair of a block and only
 * explains (`explainPair`) the few that grade. No closures here: this runs ~100× per imported row.
 */
export function comparePair(a: NormalizedPatient, b: NormalizedPatient, settings: MatcherSettings): PairComparison {
  const levels: string[] = []
  const { level: name, jwFirst } = nameLevel(a, b)
  if (name !== null) levels.push(name)
  const dob = dobLevel(a.dob, b.dob)
  if (dob !== null) levels.push(dob)
  if (a.sex && b.sex) levels.push(a.sex === b.sex ? 'sex.agree' : 'sex.else')
  if (a.street && b.street) levels.push(a.street === b.street ? 'street.exact' : jw(a.street, b.street) >= 0.9 ? 'street.close' : 'street.else')
  if (a.zip && b.zip) levels.push(a.zip === b.zip ? 'zip.agree' : 'zip.else')
  const phoneAgree = someShared(a.phones, b.phones)
  // Given names clearly different (not a typo, not a nickname): what twins and family members look like.
  const firstsDiffer = Boolean(a.first && b.first && name !== 'name.swapped' && (jwFirst ?? jw(a.first, b.first)) < 0.75 && !isNickname(a.first, b.first))
  // A phone shared by a family says nothing when the given names differ.
  const sharedPhone = phoneAgree && firstsDiffer
  if (!sharedPhone && a.phones.length && b.phones.length) levels.push(phoneAgree ? 'phone.agree' : 'phone.else')
  if (a.email && b.email) levels.push(a.email === b.email ? 'email.agree' : 'email.else')
  if (a.memberIds.length && b.memberIds.length) levels.push(someShared(a.memberIds, b.memberIds) ? 'member.agree' : 'member.else')
  let score = 0
  const weights = weightTable(settings)
  for (const l of levels) score += weights.get(l)!

  let trap: string | null = null
  if (a.placeholder || b.placeholder) trap = 'newborn placeholder name'
  else if (a.suffix !== b.suffix && (a.suffix || b.suffix)) trap = `generational suffix differs (${a.suffix || '—'} / ${b.suffix || '—'})`
  else if (a.dob && a.dob === b.dob && a.last === b.last && firstsDiffer) trap = 'possible twins (same birth date and last name, different given names)'
  else if (sharedPhone) trap = 'shared family phone'

  let grade: MatchGrade | null = score >= settings.certainAt ? 'certain' : score >= settings.probableAt ? 'probable' : score >= settings.possibleAt ? 'possible' : null
  // A trap goes to review as "possible": it is proposed, never linked and never counted as likely.
  if (trap && grade !== null) grade = 'possible'
  return { score, grade, trap, levels, sharedPhone }
}

/** The comparison with its reasons: each level and weight ("dob.exact +11.6"), then the review notes. */
export function explainPair(c: PairComparison, settings: MatcherSettings): PairScore {
  const reasons: string[] = []
  for (const l of c.levels) {
    const v = weightOf(settings, l)
    reasons.push(`${l} ${v >= 0 ? '+' : ''}${v.toFixed(1)}`)
  }
  if (c.sharedPhone) reasons.push('phone shared with different given names: not counted')
  if (c.trap) reasons.push(`review: ${c.trap}`)
  return { score: c.score, grade: c.grade, reasons, trap: c.trap }
}

export function scorePair(a: NormalizedPatient, b: NormalizedPatient, settings: MatcherSettings): PairScore {
  return explainPair(comparePair(a, b, settings), settings)
}

/** Blocking keys: two records are compared only when they share one. */
export function blockingKeys(p: NormalizedPatient): string[] {
  const keys: string[] = []
  if (p.dob) keys.push(`d:${p.dob}`)
  if (p.year) {
    // Both names' Soundex with the birth year: catches typos and first/last swaps.
    if (p.last) keys.push(`n:${soundex(p.last)}:${p.year}`)
    if (p.first) keys.push(`n:${soundex(p.first)}:${p.year}`)
  }
  for (const ph of p.phones) keys.push(`p:${ph}`)
  if (p.email) keys.push(`e:${p.email}`)
  for (const m of p.memberIds) keys.push(`m:${m}`)
  if (p.first && p.last && p.zip) keys.push(`z:${p.first[0]}:${p.last}:${p.zip}`)
  return keys
}
