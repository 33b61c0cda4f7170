/**
 * Mapping tests: sample input → expected (partial) output, per field pass/fail with expected vs
 * actual. Shipped sets carry their own tests; practices add theirs in overrides.
 */
import { parse as parseCsv } from 'csv-parse/sync'
import { AppError, isAppError } from '../../../shared/errors'
import type { FieldIssue, MappingSet, MappingTest, MappingTestInput, MappingTestResult } from '../../../shared/mapping'
import { sameJson } from '../../../shared/mapping-overrides'
import { evaluateMapping } from './evaluate-mapping'
import { csvRowAccessor, jsonAccessor } from './json-accessor'
import type { MappingContext } from './mapping-context'
import { isEmpty, isPlainObject, leafPaths, parsePath } from './paths'
import type { SourceAccessor } from './source'

/** Turns a test input into an accessor; connectors with their own parsers (HL7) supply one. */
export type AccessorFor = (input: MappingTestInput, set: MappingSet) => SourceAccessor

/** JSON values, JSON text, and CSV text (header line + first data row). */
export const defaultAccessorFor: AccessorFor = (input) => {
  if (input.kind === 'json') return jsonAccessor(input.value)
  if (input.format === 'csv') {
    const rows = parseCsv(input.text, { columns: true, skip_empty_lines: true, bom: true, relax_column_count: true }) as Record<string, string>[]
    if (!rows[0]) throw new AppError('parse_error', 'CSV test input has no data row')
    return csvRowAccessor(rows[0])
  }
  if (input.format === 'athena' || input.format === 'fhir' || input.format === 'studio') {
    try {
      return jsonAccessor(JSON.parse(input.text) as unknown)
    } catch {
      throw new AppError('parse_error', 'test input is not valid JSON')
    }
  }
  throw new AppError('unsupported_message', `no reader for ${input.format} test input here`)
}

function contextFor(test: MappingTest, ctx: MappingContext): MappingContext {
  const c = test.context
  if (!c) return ctx
  const zones = c.departmentTimeZones
  const now = c.now !== undefined ? Date.parse(c.now) : undefined
  return {
    ...ctx,
    defaultTimeZone: c.defaultTimeZone ?? ctx.defaultTimeZone,
    lookupDepartmentTimeZone: zones
      ? (id) => (Object.prototype.hasOwnProperty.call(zones, id) ? zones[id] : ctx.lookupDepartmentTimeZone?.(id))
      : ctx.lookupDepartmentTimeZone,
    now: now !== undefined && Number.isFinite(now) ? () => now : ctx.now,
  }
}

function valueAt(output: Record<string, unknown>, path: string, flat: boolean): unknown {
  if (flat) return Object.prototype.hasOwnProperty.call(output, path) ? output[path] : undefined
  let node: unknown = output
  for (const seg of parsePath(path)) {
    if (Array.isArray(node)) node = node[Number(seg)]
    else if (isPlainObject(node) && Object.prototype.hasOwnProperty.call(node, seg)) node = node[seg]
    else return undefined
  }
  return node
}

const matches = (e: FieldIssue, x: { target?: string; code?: string }): boolean =>
  (x.target === undefined || x.target === e.target) && (x.code === undefined || x.code === e.code)

export function runMappingTest(set: MappingSet, test: MappingTest, ctx: MappingContext, accessorFor: AccessorFor = defaultAccessorFor): MappingTestResult {
  const base: MappingTestResult = { name: test.name, passed: false, fields: [], unexpectedErrors: [], missingErrors: [], codeMisses: [] }
  let accessor: SourceAccessor
  try {
    accessor = accessorFor(test.input, set)
  } catch (e) {
    return { ...base, inputError: isAppError(e) ? e.message : 'could not read the test input' }
  }
  const result = evaluateMapping(set, accessor, contextFor(test, ctx))
  const flat = set.output === 'flat'
  const expected = flat ? Object.entries(test.expected).map(([path, value]) => ({ path, value })) : leafPaths(test.expected)
  const fields = expected.map(({ path, value }) => {
    const actual = valueAt(result.output, path, flat)
    const owner = [...set.fields].reverse().find((f) => (flat ? f.target === path : parsePath(f.target).join('.') === path))
    const passed = value === null ? isEmpty(actual) : sameJson(value, actual)
    return { ...(owner ? { fieldId: owner.id } : {}), target: path, expected: value, actual: actual ?? null, passed }
  })
  const expectErrors = test.expectErrors ?? []
  const unexpectedErrors = result.errors.filter((e) => !expectErrors.some((x) => matches(e, x)))
  const missingErrors = expectErrors.filter((x) => !result.errors.some((e) => matches(e, x)))
  return {
    ...base,
    passed: fields.every((f) => f.passed) && unexpectedErrors.length === 0 && missingErrors.length === 0,
    fields,
    unexpectedErrors,
    missingErrors,
    codeMisses: result.codeMisses,
  }
}

export function runMappingTests(
  set: MappingSet,
  tests: readonly MappingTest[],
  ctx: MappingContext,
  accessorFor: AccessorFor = defaultAccessorFor,
): MappingTestResult[] {
  return tests.map((t) => runMappingTest(set, t, ctx, accessorFor))
}
