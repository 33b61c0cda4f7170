/**
 * Code-map lookup. Every miss is recorded, whatever onMiss does with it, because the console's
 * unmapped-codes worklist counts misses even when a default quietly filled the field.
 */
import type { CodeMap, Transform } from '../../../shared/mapping'
import { FieldFailure, type TransformEnv } from './mapping-context'
import { isEmpty } from './paths'
import { asText } from './text-transforms'

const indexes = new WeakMap<CodeMap, Map<string, string>>()

const keyOf = (map: CodeMap, code: string): string => (map.caseInsensitive ? code.trim().toLowerCase() : code.trim())

function indexOf(map: CodeMap): Map<string, string> {
  let idx = indexes.get(map)
  if (!idx) {
    idx = new Map()
    for (const e of map.entries) idx.set(keyOf(map, e.from), e.to)
    indexes.set(map, idx)
  }
  return idx
}

export function lookupCode(map: CodeMap, code: string): string | undefined {
  return indexOf(map).get(keyOf(map, code))
}

export function codeMap(value: unknown, t: Extract<Transform, { op: 'code_map' }>, env: TransformEnv): unknown {
  if (isEmpty(value)) return value
  const map = env.codeMaps.get(t.map)
  if (!map) throw new FieldFailure('unknown_code_map', `no code map named '${t.map}' in this set`)
  const code = asText(value).trim()
  const hit = lookupCode(map, code)
  if (hit !== undefined) return hit
  env.codeMisses.push({ map: map.name, value: code, fieldId: env.fieldId, resolution: map.onMiss })
  switch (map.onMiss) {
    case 'passthrough':
      return code
    case 'default':
      return map.default
    case 'error':
      throw new FieldFailure('code_map_miss', `code not in code map '${map.name}'`)
  }
}
