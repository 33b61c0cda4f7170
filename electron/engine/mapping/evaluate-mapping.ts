/**
 * The mapping engine: evaluates a mapping set against one source record. Bad data never throws;
 * it becomes field errors, so the pipeline can park the transaction in the error queue with a
 * precise reason and the editor can show each row's value and problem live.
 *
 * A set is compiled once into per-field closures (source paths listed, target parsed and checked,
 * transform chain and validations built, code maps indexed) and the compiled form is remembered
 * per set object: a lane or a file runs the same set for every record. Sets are values: the
 * mapping store hands out a new object for every published version (and the studio one per draft
 * it evaluates), so a published change takes effect on the next record. A set changed in place
 * after it was evaluated is not seen, beyond its list of fields and its code maps being replaced.
 */
import type { CodeMap, CustomField, FieldIssue, FieldMap, FieldResult, MappingResult, MappingSet } from '../../../shared/mapping'
import { RECORD_SCHEMAS } from '../../../shared/records'
import { FieldFailure, readSource, type MappingContext, type TransformEnv } from './mapping-context'
import { isEmpty, parsePath, PathConflictError, setAtPath, writablePath } from './paths'
import { compileChain, type CompiledChain } from './run-transforms'
import type { SourceAccessor } from './source'
import { checkCustomType, compileValidations, type ValidationFailure } from './validate-field'

const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor'])

export const sourcesOf = (field: FieldMap): string[] =>
  field.source === undefined ? [] : Array.isArray(field.source) ? field.source : [field.source]

interface CompiledField {
  id: string
  target: string
  sources: readonly string[]
  chain: CompiledChain
  validate: ((value: unknown, ctx: MappingContext) => ValidationFailure[]) | null
  /** The custom-field type check of a `custom.<key>` target (nested output only). */
  custom: ((value: unknown) => ValidationFailure | undefined) | null
  /** Writes the value into the output; throws PathConflictError when the target cannot hold it. */
  write: (output: Record<string, unknown>, value: unknown) => void
}

export interface CompiledSet {
  evaluate(accessor: SourceAccessor, ctx: MappingContext): MappingResult
}

/** What a compiled form was built from; a set whose fields or code maps were replaced is compiled again. */
interface Entry {
  compiled: CompiledSet
  fields: unknown
  fieldCount: number
  codeMaps: unknown
  customFields: unknown
  output: unknown
  direction: unknown
  record: unknown
}

const compiledSets = new WeakMap<MappingSet, Entry>()

export function compileMappingSet(set: MappingSet): CompiledSet {
  const hit = compiledSets.get(set)
  if (
    hit && hit.fields === set.fields && hit.fieldCount === set.fields?.length && hit.codeMaps === set.codeMaps &&
    hit.customFields === set.customFields && hit.output === set.output && hit.direction === set.direction && hit.record === set.record
  ) return hit.compiled
  const compiled = compile(set)
  compiledSets.set(set, {
    compiled, fields: set.fields, fieldCount: set.fields?.length, codeMaps: set.codeMaps,
    customFields: set.customFields, output: set.output, direction: set.direction, record: set.record,
  })
  return compiled
}

export function evaluateMapping(set: MappingSet, accessor: SourceAccessor, ctx: MappingContext): MappingResult {
  return compileMappingSet(set).evaluate(accessor, ctx)
}

function compile(set: MappingSet): CompiledSet {
  const codeMaps: ReadonlyMap<string, CodeMap> = new Map((set.codeMaps ?? []).map((m) => [m.name, m]))
  const customFields = new Map((set.customFields ?? []).map((c) => [c.key, c]))
  const nested = (set.output ?? 'nested') === 'nested'
  const checkRecord = set.direction === 'inbound' && nested
  const fields: CompiledField[] = []
  for (const field of set.fields ?? []) fields.push(compileField(field, nested, customFields))

  return {
    evaluate(accessor, ctx) {
      const output: Record<string, unknown> = {}
      const result: MappingResult = { ok: true, output, fields: [], errors: [], warnings: [], codeMisses: [] }
      // One environment for the whole record; the per-field parts are set as each field runs.
      const env: TransformEnv = { accessor, ctx, codeMaps, sources: [], fieldId: '', target: '', codeMisses: result.codeMisses, warnings: result.warnings }
      const errors = result.errors
      for (const f of fields) {
        env.sources = f.sources
        env.fieldId = f.id
        env.target = f.target
        const row: FieldResult = { fieldId: f.id, target: f.target, sourceValues: [], value: null }
        // A field's issues are the errors it adds; nothing else adds errors while it runs.
        const before = errors.length
        try {
          let initial: unknown
          for (const p of f.sources) {
            const v = readSource(accessor, p) ?? null
            row.sourceValues.push(v)
            if (initial === undefined && !isEmpty(v)) initial = v
          }
          const value = f.chain(initial, env)
          row.value = isEmpty(value) ? null : value
          if (f.validate) for (const x of f.validate(row.value, ctx)) errors.push(issue(f, x.code, x.message))
          if (f.custom) {
            const bad = f.custom(row.value)
            if (bad) errors.push(issue(f, bad.code, bad.message))
          }
          if (errors.length === before && row.value !== null) f.write(output, row.value)
        } catch (e) {
          if (e instanceof FieldFailure) errors.push(issue(f, e.code, e.message))
          else if (e instanceof PathConflictError) errors.push(issue(f, 'target_conflict', e.message))
          else errors.push(issue(f, 'transform_error', 'the transform chain failed on this value'))
          row.value = null
        }
        if (errors.length > before) row.error = errors[before]
        result.fields.push(row)
      }
      if (checkRecord) errors.push(...recordIssues(set, output))
      result.ok = errors.length === 0
      return result
    },
  }
}

const issue = (f: CompiledField, code: string, message: string): FieldIssue => ({ fieldId: f.id, target: f.target, code, message })

const malformed = (): never => {
  throw new Error('field definition is malformed')
}

function compileField(field: FieldMap, nested: boolean, customFields: ReadonlyMap<string, CustomField>): CompiledField {
  const id = field.id
  const target = field.target
  // A definition that skipped the schema fails its field when a record reaches the broken part.
  const sources = sourcesOf(field)
  let chain: CompiledChain
  try {
    chain = compileChain(field.transforms ?? [])
  } catch {
    chain = malformed
  }
  let validate: CompiledField['validate']
  try {
    validate = compileValidations(field)
  } catch {
    validate = malformed
  }
  let segs: readonly string[] | undefined
  try {
    segs = parsePath(target)
  } catch {
    segs = undefined
  }
  if (!segs) return { id, target, sources, chain, validate, custom: malformed, write: malformed }

  let custom: CompiledField['custom'] = null
  if (nested && segs[0] === 'custom' && segs.length === 2) {
    const key = segs[1] as string
    const decl = customFields.get(key)
    custom = decl ? (value) => checkCustomType(decl, value) : () => ({ code: 'schema', message: `custom field '${key}' is not declared in this set` })
  }
  let write: CompiledField['write']
  if (nested) {
    const path = segs
    write = writablePath(path)
      ? (output, value) => setAtPath(output, path, value)
      : () => {
          throw new PathConflictError('path not allowed')
        }
  } else {
    write = FORBIDDEN_KEYS.has(target)
      ? () => {
          throw new PathConflictError('target not allowed')
        }
      : (output, value) => {
          output[target] = value
        }
  }
  return { id, target, sources, chain, validate, custom, write }
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
