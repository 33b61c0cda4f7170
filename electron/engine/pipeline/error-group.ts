/**
 * Groups failures by cause so one fix can clear hundreds: same error code and the same message
 * once its variable parts (quoted values, dates, ids, counts) are blanked out. The same split
 * gives the console an example of the group as the engine wrote it, with its variable parts
 * marked (`errorParts`), so a label reads as real text, never as `#` and `"…"`.
 *
 * Identifiers that name *what* failed are literal, never variable: HL7 field paths (`MSH-18`,
 * `PID-3.1`), message types (`ADT^A02`), code-map and mapping-set names (`hl7_sex`,
 * `hl7.adt.patient.in`). So unsupported types group per type and mapping failures per field.
 */
export type ErrorPartKind = 'quoted' | 'date' | 'uuid' | 'number'

export interface ErrorPart {
  text: string
  /** Set on the parts that differ from one failure of the group to the next. */
  variable?: ErrorPartKind
}

// Alternatives in priority order. A number counts only standing alone: not inside a word, a path
// (`PID-3.1`), a type (`A02`, `S12`) or a dotted name (`v2.5.1` stays literal as a whole).
const VARIABLE = new RegExp(
  [
    String.raw`(?<quoted>"[^"]*"|'[^']*')`,
    String.raw`(?<date>\b\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?\b)`,
    String.raw`(?<uuid>\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b)`,
    String.raw`(?<number>(?<![\w^.\-/])\d+(?:\.\d+)?(?![\w.\-/]*\w))`,
  ].join('|'),
  'gi',
)

const PLACEHOLDER: Record<ErrorPartKind, string> = { quoted: '…', date: '<date>', uuid: '<uuid>', number: '#' }

const MAX_MESSAGE = 2000

/** The message as literal and variable parts, in order (adjacent literals merged). */
export function errorParts(message: string): ErrorPart[] {
  const text = message.slice(0, MAX_MESSAGE)
  const parts: ErrorPart[] = []
  const literal = (s: string): void => {
    if (s === '') return
    const last = parts[parts.length - 1]
    if (last && !last.variable) last.text += s
    else parts.push({ text: s })
  }
  let at = 0
  for (const m of text.matchAll(VARIABLE)) {
    const g = m.groups ?? {}
    const kind = (Object.keys(PLACEHOLDER) as ErrorPartKind[]).find((k) => g[k] !== undefined)
    if (!kind) continue
    literal(text.slice(at, m.index))
    if (kind === 'quoted') {
      // The quotes are literal; what they hold varies.
      const q = m[0]
      literal(q[0] as string)
      if (q.length > 2) parts.push({ text: q.slice(1, -1), variable: kind })
      literal(q[q.length - 1] as string)
    } else {
      parts.push({ text: m[0], variable: kind })
    }
    at = (m.index ?? 0) + m[0].length
  }
  literal(text.slice(at))
  return parts
}

/** The group's pattern: the parts with each variable one replaced by its placeholder (quotes stay literal). */
export function errorPattern(message: string): string {
  return errorParts(message)
    .map((p) => (p.variable === 'quoted' ? '…' : p.variable ? PLACEHOLDER[p.variable] : p.text))
    .join('')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 240)
}

export function errorGroupKey(code: string, message: string): string {
  return `${code}|${errorPattern(message)}`
}

/**
 * A readable name for a group (audit targets, notifications): the code and the example message,
 * shortened. Error messages are written without PHI, so the example is safe to keep.
 */
export function errorGroupName(code: string, example: string): string {
  const text = example.replace(/\s+/g, ' ').trim()
  return `${code}: ${text.length > 160 ? `${text.slice(0, 159)}…` : text}`
}
