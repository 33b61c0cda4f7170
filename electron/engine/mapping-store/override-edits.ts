/**
 * Edits expressed as overrides. The studio never stores a copy of a shipped set: whatever the
 * practice changes (an entry added from the worklist, a CSV of codes, an imported set) becomes the
 * smallest override that turns the shipped set into what the practice wants, so a later shipped
 * version still flows through everywhere the practice did not choose otherwise.
 */
import { AppError } from '../../../shared/errors'
import type { CodeMap, CodeMapEntry, CodeMapOverride, FieldMap, MappingOverride, MappingSet, Transform } from '../../../shared/mapping'
import { codeKey, codeMapOverrideFor, sameJson as same } from '../../../shared/mapping-overrides'
import { applyOverride } from '../mapping'

export { codeKey, codeMapOverrideFor } from '../../../shared/mapping-overrides'

export function emptyOverride(key: string): MappingOverride {
  return { baseKey: key }
}

function replaceCodeMapOverride(override: MappingOverride, name: string, mo: CodeMapOverride | null): MappingOverride {
  const rest = (override.codeMaps ?? []).filter((m) => m.name !== name)
  const codeMaps = mo ? [...rest, mo] : rest
  const next: MappingOverride = { ...override }
  if (codeMaps.length) next.codeMaps = codeMaps
  else delete next.codeMaps
  return next
}

/** The override with the code map of `shipped` changed to `desired` (its effective form). */
export function withCodeMap(shipped: MappingSet, override: MappingOverride, desired: CodeMap): MappingOverride {
  const base = shipped.codeMaps.find((m) => m.name === desired.name)
  return replaceCodeMapOverride(override, desired.name, codeMapOverrideFor(base, desired))
}

/** Adds (or replaces) one code in a map, as an override on top of `override`. */
export function withCodeMapEntry(shipped: MappingSet, override: MappingOverride, mapName: string, entry: CodeMapEntry): MappingOverride {
  const eff = applyOverride(shipped, override).set
  const map = eff.codeMaps.find((m) => m.name === mapName)
  if (!map) throw new AppError('not_found', `There is no code map "${mapName}" in ${shipped.key}.`)
  const k = codeKey(map, entry.from)
  const entries = map.entries.some((e) => codeKey(map, e.from) === k) ? map.entries.map((e) => (codeKey(map, e.from) === k ? entry : e)) : [...map.entries, entry]
  return withCodeMap(shipped, override, { ...map, entries })
}

/**
 * The override that turns `shipped` into `desired` (an exported or hand-edited full set). What an
 * override cannot express is returned as notes: removing a shipped code map or custom field, and
 * reordering shipped rows.
 */
export function overrideFromSet(shipped: MappingSet, desired: MappingSet): { override: MappingOverride; notes: string[] } {
  const notes: string[] = []
  const o: MappingOverride = { baseKey: shipped.key }
  if (desired.name !== shipped.name) o.name = desired.name
  if (desired.description !== shipped.description && desired.description !== undefined) o.description = desired.description

  const baseFields = new Map(shipped.fields.map((f) => [f.id, f]))
  const fields: FieldMap[] = desired.fields.filter((f) => {
    const b = baseFields.get(f.id)
    return !b || !same(b, f)
  })
  const desiredIds = new Set(desired.fields.map((f) => f.id))
  const removeFields = shipped.fields.filter((f) => !desiredIds.has(f.id)).map((f) => f.id)
  if (fields.length) o.fields = fields
  if (removeFields.length) o.removeFields = removeFields
  const keptOrder = shipped.fields.filter((f) => desiredIds.has(f.id)).map((f) => f.id)
  const desiredOrder = desired.fields.filter((f) => baseFields.has(f.id)).map((f) => f.id)
  if (keptOrder.join('\u0000') !== desiredOrder.join('\u0000')) notes.push('shipped rows keep their shipped order; only added rows follow your order')

  const codeMaps: CodeMapOverride[] = []
  for (const m of desired.codeMaps) {
    const mo = codeMapOverrideFor(
      shipped.codeMaps.find((b) => b.name === m.name),
      m,
    )
    if (mo) codeMaps.push(mo)
  }
  for (const b of shipped.codeMaps) if (!desired.codeMaps.some((m) => m.name === b.name)) notes.push(`shipped code map '${b.name}' cannot be removed by a practice; it is kept`)
  if (codeMaps.length) o.codeMaps = codeMaps

  const customFields = desired.customFields.filter((c) => !same(shipped.customFields.find((b) => b.key === c.key), c))
  for (const b of shipped.customFields) if (!desired.customFields.some((c) => c.key === b.key)) notes.push(`shipped custom field '${b.key}' cannot be removed; it is kept`)
  if (customFields.length) o.customFields = customFields
  const tests = desired.tests.filter((t) => !same(shipped.tests.find((b) => b.name === t.name), t))
  if (tests.length) o.tests = tests
  return { override: o, notes }
}

/** Code-map names a chain uses, including inside if/else branches. */
export function codeMapsUsed(chain: readonly Transform[], out: Set<string> = new Set()): Set<string> {
  for (const t of chain) {
    if (t.op === 'code_map') out.add(t.map)
    else if (t.op === 'if') {
      codeMapsUsed(t.then, out)
      codeMapsUsed(t.else ?? [], out)
    }
  }
  return out
}

/** How much an override changes: rows overridden / added / removed, code maps touched. */
export function overrideChanges(shipped: MappingSet, override: MappingOverride | null): { overridden: number; added: number; removed: number; codeMaps: number } {
  if (!override) return { overridden: 0, added: 0, removed: 0, codeMaps: 0 }
  const ids = new Set(shipped.fields.map((f) => f.id))
  const fields = override.fields ?? []
  return {
    overridden: fields.filter((f) => ids.has(f.id) && !same(f, shipped.fields.find((b) => b.id === f.id))).length,
    added: fields.filter((f) => !ids.has(f.id)).length,
    removed: (override.removeFields ?? []).length,
    codeMaps: (override.codeMaps ?? []).length,
  }
}
