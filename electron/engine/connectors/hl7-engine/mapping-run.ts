/**
 * Running the HL7 mapping sets: a segment-scoped accessor (so the observation set, written
 * against `OBX-5`, reads the n-th OBX and its parent OBR), repeated groups (IN1 → insurance[],
 * NK1 → contacts[]), code-miss bookkeeping and turning field errors into one AppError whose
 * message names the HL7 field and the target, never the value.
 */
import { AppError } from '../../../../shared/errors'
import type { CodeMiss, FieldIssue, MappingResult, MappingSet } from '../../../../shared/mapping'
import { formatHl7Path, hl7Accessor, parseHl7Path, type Hl7Message } from '../hl7'
import { evaluateMapping, type MappingContext, type SourceAccessor } from '../../mapping'

/** Segment id → 1-based occurrence that unindexed paths of that segment read. */
export type SegmentScope = Readonly<Record<string, number>>

/**
 * Scoped paths per scope (`OBX2,OBR1`) and path: each OBX of each message asks for the same few,
 * so a lookup is one map read per path, without parsing or building a key.
 */
const scopes = new Map<string, Map<string, string>>()

function scopedPath(path: string, scope: SegmentScope, table: Map<string, string>): string {
  let s = table.get(path)
  if (s === undefined) {
    s = path
    // The segment id is the path's first three characters (`OBX-5`, `OBX[2]-5`).
    const n = scope[path.slice(0, 3)]
    if (n !== undefined) {
      try {
        const p = parseHl7Path(path)
        if (p.segmentIndex === undefined) s = formatHl7Path({ ...p, segmentIndex: n })
      } catch {
        // the accessor reports the malformed path
      }
    }
    if (table.size > 1_000) table.clear()
    table.set(path, s)
  }
  return s
}

/** An accessor that reads unindexed paths of the scoped segments from one occurrence. */
export function scopedAccessor(msg: Hl7Message, scope: SegmentScope): SourceAccessor {
  const base = hl7Accessor(msg)
  const entries = Object.entries(scope)
  if (entries.length === 0) return base
  const key = entries.map(([seg, n]) => `${seg}${n}`).join(',')
  let table = scopes.get(key)
  if (!table) {
    if (scopes.size > 1_000) scopes.clear()
    scopes.set(key, (table = new Map()))
  }
  const t = table
  return {
    get: (path) => base.get(scopedPath(path, scope, t)),
    getAll: (path) => base.getAll(scopedPath(path, scope, t)),
  }
}

/** 1-based occurrences of `child` segments with the occurrence of the nearest `parent` before each (0 = none). */
export function childOccurrences(msg: Hl7Message, child: string, parent: string): { index: number; parent: number }[] {
  const out: { index: number; parent: number }[] = []
  let p = 0
  let c = 0
  for (const s of msg.segments) {
    if (s.id === parent) p++
    else if (s.id === child) out.push({ index: ++c, parent: p })
  }
  return out
}

export function segmentCount(msg: Hl7Message, id: string): number {
  let n = 0
  for (const s of msg.segments) if (s.id === id) n++
  return n
}

/** The rows of a set that write into `array.0.*`, as a set of their own (for repeated segments). */
export function subsetFor(set: MappingSet, arrayTarget: string): MappingSet {
  // The same object for the same set, so the engine compiles the subset once, not per message.
  let bySet = subsets.get(set)
  if (!bySet) subsets.set(set, (bySet = new Map()))
  let sub = bySet.get(arrayTarget)
  if (!sub) {
    const prefix = `${arrayTarget}.0.`
    sub = { ...set, fields: set.fields.filter((f) => f.target.startsWith(prefix)), tests: [] }
    bySet.set(arrayTarget, sub)
  }
  return sub
}

const subsets = new WeakMap<MappingSet, Map<string, MappingSet>>()

export interface Evaluation {
  result: MappingResult
  set: MappingSet
  key: string
  version: number | null
  /** Where the evaluation read from, e.g. `OBX[3]`, for error messages. */
  scopeLabel?: string
}

/**
 * Evaluates a patient-style set and appends the repeated groups: for every further occurrence of
 * `segment` (2..n) the rows targeting `array.0.*` are evaluated against that occurrence.
 */
export function evaluateWithRepeats(
  set: MappingSet,
  msg: Hl7Message,
  ctx: MappingContext,
  groups: readonly { array: string; segment: string }[],
): { result: MappingResult; extra: MappingResult[] } {
  // The whole set reads the first occurrence of each repeated segment (a concat over IN1-16 must
  // not gather every IN1); the further occurrences are evaluated below.
  const first: Record<string, number> = {}
  for (const g of groups) first[g.segment] = 1
  const result = evaluateMapping(set, scopedAccessor(msg, first), ctx)
  const extra: MappingResult[] = []
  for (const g of groups) {
    const n = segmentCount(msg, g.segment)
    if (n < 2) continue
    const sub = subsetFor(set, g.array)
    if (sub.fields.length === 0) continue
    const list = result.output[g.array]
    const items: unknown[] = Array.isArray(list) ? [...(list as unknown[])] : []
    for (let k = 2; k <= n; k++) {
      const r = evaluateMapping(sub, scopedAccessor(msg, { [g.segment]: k }), ctx)
      extra.push(r)
      const item = (r.output[g.array] as unknown[] | undefined)?.[0]
      if (item !== undefined && r.ok) items.push(item)
    }
    if (items.length > 0) result.output[g.array] = items
  }
  return { result, extra }
}

/**
 * The evaluations of one mapping set over one message, as the inbound handler makes them (in map,
 * or ahead of the group's write: premap.ts). `key` and `version` are filled in by whoever knows
 * which effective set `set` is.
 */
export function patientEvaluations(set: MappingSet, msg: Hl7Message, ctx: MappingContext): Evaluation[] {
  const { result, extra } = evaluateWithRepeats(set, msg, ctx, [
    { array: 'insurance', segment: 'IN1' },
    { array: 'contacts', segment: 'NK1' },
  ])
  return [{ result, set, key: '', version: null }, ...extra.map((r, i) => ({ result: r, set, key: '', version: null, scopeLabel: `repeat ${i + 2}:` }))]
}

/** One evaluation of the whole message (appointment, document). */
export function singleEvaluation(set: MappingSet, msg: Hl7Message, ctx: MappingContext): Evaluation[] {
  return [{ result: evaluateMapping(set, scopedAccessor(msg, {}), ctx), set, key: '', version: null }]
}

/** One evaluation per OBX of a patient group (the g-th, 0-based), read with its parent OBR. */
export function observationEvaluations(set: MappingSet, msg: Hl7Message, g: number, ctx: MappingContext): Evaluation[] {
  const where = g > 0 ? `PID[${g + 1}] ` : ''
  return childOccurrences(msg, 'OBX', 'OBR').map((o) => ({
    result: evaluateMapping(set, scopedAccessor(msg, o.parent > 0 ? { OBX: o.index, OBR: o.parent } : { OBX: o.index }), ctx),
    set,
    key: '',
    version: null,
    scopeLabel: `${where}OBX[${o.index}]`,
  }))
}

/** One evaluation per FT1. */
export function financialEvaluations(set: MappingSet, msg: Hl7Message, ctx: MappingContext): Evaluation[] {
  const list: Evaluation[] = []
  const n = segmentCount(msg, 'FT1')
  for (let k = 1; k <= n; k++) list.push({ result: evaluateMapping(set, scopedAccessor(msg, { FT1: k }), ctx), set, key: '', version: null, scopeLabel: `FT1[${k}]` })
  return list
}

const MAX_LISTED = 3

function describe(ev: Evaluation, issue: FieldIssue): string {
  const row = ev.set.fields.find((f) => f.id === issue.fieldId)
  const src = row?.source === undefined ? undefined : Array.isArray(row.source) ? row.source[0] : row.source
  const where = src ? `${src} → ${issue.target}` : issue.target
  return `${where}: ${issue.code === 'code_map_miss' ? missText(ev, issue) ?? issue.message : issue.message}`
}

/**
 * `code '2' not in code map hl7_sex`: the operator needs the code that missed to fix it. A code is
 * a short token from a code table, never free text; anything longer or unprintable is described
 * by its length instead, so a value put in the wrong field cannot carry PHI into the error queue.
 */
function missText(ev: Evaluation, issue: FieldIssue): string | null {
  const miss = ev.result.codeMisses.find((m) => m.fieldId === issue.fieldId)
  if (!miss) return null
  const shown = miss.value.length <= 24 && /^[\x21-\x7e ]*$/.test(miss.value) ? `'${miss.value.replace(/'/g, "\\'")}'` : `of ${miss.value.length} characters`
  return `code ${shown} not in code map ${miss.map}`
}

/**
 * The transaction error for failed evaluations: `code_map_miss` when a code map refused a code
 * (fixable in the studio's worklist), `validation_error` for values that break a rule, else
 * `mapping_error`. The message names fields and rules, and the code of a code-map miss (a short
 * code-table token, see missText); never any other value.
 */
export function mappingFailure(failed: Evaluation[]): AppError | null {
  const issues: { ev: Evaluation; issue: FieldIssue }[] = []
  for (const ev of failed) for (const issue of ev.result.errors) issues.push({ ev, issue })
  if (issues.length === 0) return null
  const codes = new Set(issues.map((i) => i.issue.code))
  const code = codes.has('code_map_miss') ? 'code_map_miss' : [...codes].every((c) => VALIDATION_CODES.has(c)) ? 'validation_error' : 'mapping_error'
  const listed = issues.slice(0, MAX_LISTED).map(({ ev, issue }) => (ev.scopeLabel ? `${ev.scopeLabel} ` : '') + describe(ev, issue))
  const more = issues.length > MAX_LISTED ? ` (+${issues.length - MAX_LISTED} more)` : ''
  const first = issues[0] as { ev: Evaluation }
  return new AppError(code, `Mapping ${first.ev.key} failed: ${listed.join('; ')}${more}`, {
    retryable: false,
    details: {
      mappingSets: [...new Set(failed.map((e) => `${e.key}${e.version !== null ? ` v${e.version}` : ''}`))],
      errors: issues.slice(0, 50).map(({ ev, issue }) => ({ set: ev.key, ...(ev.scopeLabel ? { scope: ev.scopeLabel } : {}), fieldId: issue.fieldId, target: issue.target, code: issue.code, message: issue.message })),
    },
  })
}

const VALIDATION_CODES = new Set([
  'required',
  'invalid_date',
  'future_date',
  'invalid_time',
  'invalid_phone',
  'invalid_number',
  'invalid_value',
  'regex',
  'one_of',
  'max_length',
  'e164',
  'schema',
])

/** Misses of several evaluations of one set, deduplicated per (map, value). */
export function collectMisses(results: readonly MappingResult[]): CodeMiss[] {
  const seen = new Set<string>()
  const out: CodeMiss[] = []
  for (const r of results) {
    for (const m of r.codeMisses) {
      const k = `${m.map}\u0000${m.value}`
      if (seen.has(k)) continue
      seen.add(k)
      out.push(m)
    }
  }
  return out
}
