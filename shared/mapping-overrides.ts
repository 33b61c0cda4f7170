/**
 * The override rules the engine's studio operations (electron/engine/mapping-store/override-edits.ts)
 * and the console's editor (renderer/src/pages/mappings/override-model.ts) share: one copy, so the
 * console shows exactly what the engine will store. Pure functions over the shared mapping types.
 */
import type { CodeMap, CodeMapOverride } from './mapping'

/** Key-order-independent JSON, so "changed" in overrides and diffs means changed content, not reordered keys. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeys(v))
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k]
      if (x !== undefined) out[k] = sortKeys(x)
    }
    return out
  }
  return v
}

export const sameJson = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b)

/** A code's identity within a map (trimmed; lower-cased when the map ignores case). */
export const codeKey = (map: Pick<CodeMap, 'caseInsensitive'>, from: string): string => (map.caseInsensitive ? from.trim().toLowerCase() : from.trim())

/** The smallest code-map override that turns `base` (absent = a map the practice adds) into `desired`. */
export function codeMapOverrideFor(base: CodeMap | undefined, desired: CodeMap): CodeMapOverride | null {
  if (!base) {
    const o: CodeMapOverride = { name: desired.name, entries: desired.entries, onMiss: desired.onMiss }
    if (desired.description !== undefined) o.description = desired.description
    if (desired.default !== undefined) o.default = desired.default
    if (desired.caseInsensitive !== undefined) o.caseInsensitive = desired.caseInsensitive
    return o
  }
  const o: CodeMapOverride = { name: desired.name }
  if (desired.description !== base.description && desired.description !== undefined) o.description = desired.description
  if (desired.onMiss !== base.onMiss) o.onMiss = desired.onMiss
  if ((desired.caseInsensitive ?? false) !== (base.caseInsensitive ?? false)) o.caseInsensitive = desired.caseInsensitive ?? false
  if (desired.default !== base.default) o.default = desired.default ?? null
  const baseByKey = new Map(base.entries.map((e) => [codeKey(desired, e.from), e]))
  const desiredKeys = new Set(desired.entries.map((e) => codeKey(desired, e.from)))
  const entries = desired.entries.filter((e) => {
    const b = baseByKey.get(codeKey(desired, e.from))
    return !b || !sameJson(b, e)
  })
  const removeEntries = base.entries.filter((e) => !desiredKeys.has(codeKey(desired, e.from))).map((e) => e.from)
  if (entries.length) o.entries = entries
  if (removeEntries.length) o.removeEntries = removeEntries
  return Object.keys(o).length > 1 ? o : null
}
