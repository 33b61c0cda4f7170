/**
 * Password storage and rules. Hashes are argon2id PHC strings with OWASP's parameters
 * (m = 19 MiB, t = 2, p = 1; the @node-rs/argon2 defaults); a hash made with weaker parameters is
 * replaced at the next successful sign-in. Rules follow NIST 800-63B: length over composition,
 * no common or breached passwords, nothing built from the username.
 */
import { hash, verify } from '@node-rs/argon2'
import { AppError } from '../../../shared/errors'
import { COMMON_PASSWORDS } from './common-passwords'

/** Argon2id (the enum is a const enum in the package's typings, which isolated builds cannot use). */
const ARGON2ID = 2
export const ARGON2_PARAMS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const

export const PASSWORD_MIN = 12
export const PASSWORD_MAX = 128

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_PARAMS)
}

/** A fixed hash to verify against when the username is unknown, so timing does not tell. */
let dummyHash: Promise<string> | null = null
export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  if (!stored) {
    dummyHash ??= hashPassword('no such person: constant-time dummy')
    await verify(await dummyHash, password).catch(() => false)
    return false
  }
  try {
    return await verify(stored, password)
  } catch {
    return false
  }
}

/** Whether a stored hash was made with weaker parameters than today's (rehash on sign-in). */
export function needsRehash(stored: string): boolean {
  const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(stored)
  if (!m) return true
  return Number(m[1]) < ARGON2_PARAMS.memoryCost || Number(m[2]) < ARGON2_PARAMS.timeCost
}

/** The reasons a new password is refused, empty when it is acceptable. */
export function passwordProblems(password: string, context: { username?: string; displayName?: string } = {}): string[] {
  const out: string[] = []
  const chars = [...password]
  if (chars.length < PASSWORD_MIN) out.push(`Use at least ${PASSWORD_MIN} characters (a few unrelated words work well).`)
  if (chars.length > PASSWORD_MAX) out.push(`Use at most ${PASSWORD_MAX} characters.`)
  const lower = password.toLowerCase()
  const stripped = lower.replace(/[\d\W_]+$/u, '')
  if (COMMON_PASSWORDS.has(lower) || COMMON_PASSWORDS.has(stripped)) out.push('This password is on the list of commonly used passwords; choose another.')
  if (new Set(chars).size <= 2) out.push('Use more than one or two different characters.')
  else if (isSequence(lower)) out.push('A run of consecutive characters is too easy to guess.')
  for (const part of [context.username, ...(context.displayName ?? '').split(/\s+/)]) {
    if (part && part.length >= 3 && lower.includes(part.toLowerCase())) {
      out.push('The password must not contain your username or name.')
      break
    }
  }
  return out
}

export function assertPasswordAcceptable(password: string, context: { username?: string; displayName?: string } = {}, field = 'password'): void {
  const problems = passwordProblems(password, context)
  if (problems.length) throw new AppError('invalid_input', problems.join(' '), { details: { issues: problems.map((message) => ({ path: field, message })) } })
}

function isSequence(s: string): boolean {
  if (s.length < 4) return false
  const d = s.charCodeAt(1) - s.charCodeAt(0)
  if (Math.abs(d) !== 1) return false
  for (let i = 2; i < s.length; i++) if (s.charCodeAt(i) - s.charCodeAt(i - 1) !== d) return false
  return true
}
