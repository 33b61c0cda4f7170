/**
 * File names: which listed names a job may take (never dot files, temporary names or anything
 * that is not a plain name), include/exclude globs, and outbound names from tokens.
 */
import type { DateTime } from 'luxon'
import { AppError } from '../../../../../shared/errors'

/** Written by uploaders while a file is still arriving (ours use a leading dot). */
const TEMPORARY = /(\.(tmp|temp|part|partial|filepart|crdownload|swp|lock|inprogress)|~)$/i

/**
 * A name that can be used as one path component: not empty, no '/', '\\', NUL or control
 * characters, not '.' or '..', no leading/trailing spaces. A listing that returns anything else
 * (a hostile or broken server, `../../x.csv`) is refused, never followed.
 */
export function isSafeName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 255 &&
    name !== '.' &&
    name !== '..' &&
    ![...name].some((c) => c === '/' || c === '\\' || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) &&
    name.trim() === name
  )
}

export function isIgnoredName(name: string, doneMarker: string | null): boolean {
  return name.startsWith('.') || TEMPORARY.test(name) || (doneMarker !== null && name.endsWith(doneMarker))
}

/** `*` any run of characters, `?` one character; case-insensitive (Windows-made names vary in case). */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${body}$`, 'i')
}

export function matchesPatterns(name: string, include: readonly string[], exclude: readonly string[]): boolean {
  if (include.length && !include.some((g) => globToRegExp(g).test(name))) return false
  return !exclude.some((g) => globToRegExp(g).test(name))
}

export interface NamingTokens {
  practice: string
  job: string
  kind: string
  /** Now, in the practice's time zone. */
  now: DateTime
  seq: number
}

/**
 * `{practice}`, `{job}`, `{kind}`, `{date:yyyyMMdd}`, `{time:HHmmss}`, `{seq}`, `{seq:4}` (zero
 * padded). Formats are luxon tokens; `YYYY`/`DD` are read as `yyyy`/`dd` so the usual spelling works.
 * The result must be a safe plain name.
 */
export function expandName(template: string, t: NamingTokens): string {
  const name = template.replace(/\{([a-z]+)(?::([^}]+))?\}/gi, (whole, token: string, arg: string | undefined) => {
    switch (token.toLowerCase()) {
      case 'practice':
        return t.practice
      case 'job':
        return t.job
      case 'kind':
        return t.kind
      case 'date':
        return t.now.toFormat(luxonFormat(arg ?? 'yyyyMMdd'))
      case 'time':
        return t.now.toFormat(luxonFormat(arg ?? 'HHmmss'))
      case 'seq':
        return String(t.seq).padStart(arg ? Number(arg) || 1 : 1, '0')
      default:
        throw new AppError('config_invalid', `The file name template uses an unknown token ${whole}.`, { retryable: false, details: { issues: [{ path: 'naming', message: `unknown token ${whole}` }] } })
    }
  })
  if (!isSafeName(name) || name.startsWith('.')) {
    throw new AppError('config_invalid', `The file name template gives "${name.slice(0, 80)}", which is not a plain file name (no folders, no "..", no leading dot).`, {
      retryable: false,
      details: { issues: [{ path: 'naming', message: 'not a plain file name' }] },
    })
  }
  return name
}

function luxonFormat(f: string): string {
  return f.replace(/Y/g, 'y').replace(/D/g, 'd')
}

/** Local stamp used in processed/ and error/ names: sortable, no ':' (Windows shares). */
export function stampName(name: string, at: DateTime): string {
  return `${at.toFormat("yyyyMMdd'T'HHmmssSSS")}-${name}`
}
