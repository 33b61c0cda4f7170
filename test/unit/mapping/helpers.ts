/** Small builders so each test states only the transform or rule it is about. */
import type { CodeMap, FieldMap, MappingSet, Transform } from '../../../shared/mapping'
import { evaluateMapping } from '../../../electron/engine/mapping/evaluate-mapping'
import { jsonAccessor } from '../../../electron/engine/mapping/json-accessor'
import type { MappingContext } from '../../../electron/engine/mapping/mapping-context'

export const NOW = Date.parse('2025-06-01T12:00:00Z')
export const baseCtx: MappingContext = { defaultTimeZone: 'America/New_York', now: () => NOW }

export function makeSet(fields: FieldMap[], extra: Partial<MappingSet> = {}): MappingSet {
  return {
    schemaVersion: 1,
    key: 'test.set',
    name: 'Test set',
    format: 'studio',
    direction: 'outbound',
    record: 'patient',
    fields,
    codeMaps: [],
    customFields: [],
    tests: [],
    ...extra,
  }
}

export interface ChainOptions {
  source?: Record<string, unknown>
  codeMaps?: CodeMap[]
  ctx?: Partial<MappingContext>
  departmentTimeZones?: Record<string, string>
}

/** Runs one chain on `value` (read from source path `v`) and returns the field's outcome. */
export function runOn(value: unknown, transforms: Transform[], opts: ChainOptions = {}) {
  const set = makeSet([{ id: 'f', target: 'out', source: 'v', transforms }], { codeMaps: opts.codeMaps ?? [] })
  const zones = opts.departmentTimeZones
  const ctx: MappingContext = {
    ...baseCtx,
    ...(zones ? { lookupDepartmentTimeZone: (id: string) => zones[id] } : {}),
    ...opts.ctx,
  }
  const result = evaluateMapping(set, jsonAccessor({ ...opts.source, v: value }), ctx)
  const field = result.fields[0]!
  return { value: field.value, error: field.error?.code, warnings: result.warnings.map((w) => w.code), result }
}
