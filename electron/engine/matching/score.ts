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
import { distance } from 'fastest-levenshtein'
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

const jw = (a: string, b: string): number => (a && b ? jaroWinkler(a, b) : 0)

function nameLevel(a: NormalizedPatient, b: NormalizedPatient): string | null {
  if (!a.last || !b.last || !a.first || !b.first) return null
  if (a.first === b.first && a.last === b.last) return 'exact'
  if (a.first === b.last && a.last === b.first) return 'swapped'
  const lastClose = a.last === b.last || jw(a.last, b.last) >= 0.92
  if (lastClose && isNickname(a.first, b.first)) return 'nickname'
  if (lastClose && jw(a.first, b.first) >= 0.88) return 'close'
  if (a.last === b.last) return 'last-only'
  if (a.first === b.first && jw(a.last, b.last) >= 0.7) return 'first-only'
  return 'else'
}

function dobLevel(a: string, b: string): string | null {
  if (!a || !b) return null
  if (a === b) return 'exact'
  const [ya, ma, da] = a.split('-')
  const [yb, mb, db] = b.split('-')
  if (ya === yb && ma === db && da === mb) return 'day-month-swapped'
  // One typo or one transposition of adjacent digits (Damerau ≤ 1).
  const x = a.replace(/-/g, '')
  const y = b.replace(/-/g, '')
  if (distance(x, y) <= 1) return 'one-edit'
  for (let i = 0; i < x.length - 1; i++) if (x[i] === y[i + 1] && x[i + 1] === y[i] && x.slice(0, i) === y.slice(0, i) && x.slice(i + 2) === y.slice(i + 2)) return 'one-edit'
  return 'else'
}

export function scorePair(a: NormalizedPatient, b: NormalizedPatient, settings: MatcherSettings): PairScore {
  const w = (key: string): number => {
    const p = settings.weights[key] ?? DEFAULT_WEIGHTS[key]!
    return Math.log2(p.m / p.u)
  }
  const reasons: string[] = []
  let score = 0
  const add = (comparison: string, level: string | null): void => {
    if (level === null) return
    const key = `${comparison}.${level}`
    const v = w(key)
    score += v
    reasons.push(`${key} ${v >= 0 ? '+' : ''}${v.toFixed(1)}`)
  }
  const name = nameLevel(a, b)
  add('name', name)
  add('dob', dobLevel(a.dob, b.dob))
  add('sex', a.sex && b.sex ? (a.sex === b.sex ? 'agree' : 'else') : null)
  add('street', a.street && b.street ? (a.street === b.street ? 'exact' : jw(a.street, b.street) >= 0.9 ? 'close' : 'else') : null)
  add('zip', a.zip && b.zip ? (a.zip === b.zip ? 'agree' : 'else') : null)
  const phoneAgree = a.phones.some((p) => b.phones.includes(p))
  // Given names clearly different (not a typo, not a nickname): what twins and family members look like.
  const firstsDiffer = Boolean(a.first && b.first && name !== 'swapped' && jw(a.first, b.first) < 0.75 && !isNickname(a.first, b.first))
  // A phone shared by a family says nothing when the given names differ.
  const sharedPhone = phoneAgree && firstsDiffer
  if (!sharedPhone) add('phone', a.phones.length && b.phones.length ? (phoneAgree ? 'agree' : 'else') : null)
  add('email', a.email && b.email ? (a.email === b.email ? 'agree' : 'else') : null)
  add('member', a.memberIds.length && b.memberIds.length ? (a.memberIds.some((m) => b.memberIds.includes(m)) ? 'agree' : 'else') : null)

  let trap: string | null = null
  if (a.placeholder || b.placeholder) trap = 'newborn placeholder name'
  else if (a.suffix !== b.suffix && (a.suffix || b.suffix)) trap = `generational suffix differs (${a.suffix || '—'} / ${b.suffix || '—'})`
  else if (a.dob && a.dob === b.dob && a.last === b.last && firstsDiffer) trap = 'possible twins (same birth date and last name, different given names)'
  else if (sharedPhone) trap = 'shared family phone'
  if (sharedPhone) reasons.push('phone shared with different given names: not counted')

  let grade: MatchGrade | null = score >= settings.certainAt ? 'certain' : score >= settings.probableAt ? 'probable' : score >= settings.possibleAt ? 'possible' : null
  // A trap goes to review as "possible": it is proposed, never linked and never counted as likely.
  if (trap && grade !== null) grade = 'possible'
  if (trap) reasons.push(`review: ${trap}`)
  return { score, grade, reasons, trap }
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
