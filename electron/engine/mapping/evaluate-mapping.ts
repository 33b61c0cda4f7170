/**
 * The mapping engine: evaluates a mapping set against one source record. Bad data never throws;
 * it becomes field errors, so the pipeline can park the transaction in the error queue with a
 * precise reason and the editor can show each row's value and problem live.
 */
import type { FieldIssue, FieldMap, FieldResult, MappingResult, MappingSet } from '../../../shared/mapping'
import { RECORD_SCHEMAS } from '../../../shared/records'
import { FieldFailure, readSource, type MappingContext, type TransformEnv } from './mapping-context'
import { isEmpty, parsePath, PathConflictError, setAt } from './paths'
import { runChain } from './run-transforms'
import type { SourceAccessor } from './source'
import { checkCustomType, validateField } from './validate-field'

const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor'])

export const sourcesOf = (field: FieldMap): string[] =>
  field.source === undefined ? [] : Array.isArray(field.source) ? field.source : [field.source]

export function evaluateMapping(set: MappingSet, accessor: SourceAccessor, ctx: MappingContext): MappingResult {
  const codeMaps = new Map((set.codeMaps ?? []).map((m) => [m.name, m]))
  const customFields = new Map((set.customFields ?? []).map((c) => [c.key, c]))
  const nested = (set.output ?? 'nested') === 'nested'
  const output: Record<string, unknown> = {}
  const result: MappingResult = { ok: true, output, fields: [], errors: [], warnings: [], codeMisses: [] }

  for (const field of set.fields ?? []) {
    const sources = sourcesOf(field)
    const env: TransformEnv = {
      accessor, ctx, codeMaps, sources,
      fieldId: field.id, target: field.target,
      codeMisses: result.codeMisses, warnings: result.warnings,
    }
    const row: FieldResult = { fieldId: field.id, target: field.target, sourceValues: [], value: null }
    const issues: FieldIssue[] = []
    const fail = (code: string, message: string): void => {
      issues.push({ fieldId: field.id, target: field.target, code, message })
    }
    try {
      for (const p of sources) row.sourceValues.push(readSource(accessor, p) ?? null)
      const initial = row.sourceValues.find((v) => !isEmpty(v))
      const value = runChain(initial, field.transforms ?? [], env)
      row.value = isEmpty(value) ? null : value
      for (const f of validateField(field, row.value, ctx)) fail(f.code, f.message)
      const segs = parsePath(field.target)
      if (nested && segs[0] === 'custom' && segs.length === 2) {
        const decl = customFields.get(segs[1] as string)
        const bad = decl ? checkCustomType(decl, row.value) : { code: 'schema', message: `custom field '${segs[1]}' is not declared in this set` }
        if (bad) fail(bad.code, bad.message)
      }
      if (issues.length === 0 && row.value !== null) write(output, field.target, row.value, nested)
    } catch (e) {
      if (e instanceof FieldFailure) fail(e.code, e.message)
      else if (e instanceof PathConflictError) fail('target_conflict', e.message)
      else fail('transform_error', 'the transform chain failed on this value')
      row.value = null
    }
    if (issues[0]) row.error = issues[0]
    result.errors.push(...issues)
    result.fields.push(row)
  }

  if (set.direction === 'inbound' && nested) result.errors.push(...recordIssues(set, output))
  result.ok = result.errors.length === 0
  return result
}

function write(output: Record<string, unknown>, target: string, value: unknown, nested: boolean): void {
  if (nested) return setAt(output, target, value)
  if (FORBIDDEN_KEYS.has(target)) throw new PathConflictError('target not allowed')
  output[target] = value
}

/** The built record against the canonical zod schema; each issue is pinned to the row that wrote it. */
function recordIssues(set: MappingSet, output: Record<string, unknown>): FieldIssue[] {
  const schema = RECORD_SCHEMAS[set.record]
  if (!schema) return []
  const parsed = schema.safeParse(output)
  if (parsed.success) return []
  return parsed.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.')
    const owner = [...set.fields]
      .reverse()
      .find((f) => {
        const t = parsePath(f.target).join('.')
        return t === path || t.startsWith(`${path}.`) || path.startsWith(`${t}.`)
      })
    return { fieldId: owner?.id ?? '', target: owner?.target ?? path, code: 'schema', message: issue.message }
  })
}
