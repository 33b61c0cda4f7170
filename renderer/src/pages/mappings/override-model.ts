/**
 * Editing a practice's override in the studio. The editor shows the effective set (shipped + the
 * practice's changes) and every edit is written back as the smallest override: a row edited back
 * to its shipped form stops being an override, a code deleted from a shipped map becomes a
 * `removeEntries` item, and so on. The engine applies the same rules (apply-override.ts) and has
 * the last word when the draft is saved.
 */
import type { CodeMap, CodeMapEntry, CodeMapOverride, CustomField, FieldMap, MappingOverride, MappingSet, MappingTest, Provenance } from '../../../../shared/mapping'
import { codeKey, codeMapOverrideFor, sameJson } from '../../../../shared/mapping-overrides'

export { sameJson } from '../../../../shared/mapping-overrides'

/** Drops empty lists so the override stays minimal and diff-friendly. */
function tidy(o: MappingOverride): MappingOverride {
  const out: MappingOverride = { ...o }
  for (const k of ['fields', 'removeFields', 'codeMaps', 'customFields', 'tests'] as const) {
    const v = out[k] as unknown[] | undefined
    if (v && v.length === 0) delete out[k]
  }
  return out
}

// ---- fields ----------------------------------------------------------------------------------

export interface RowView {
  field: FieldMap
  provenance: Provenance
  /** The shipped row (inherited, overridden, removed). */
  base?: FieldMap
}

export function effectiveRows(shipped: MappingSet, o: MappingOverride): RowView[] {
  const removed = new Set(o.removeFields ?? [])
  const replaced = new Map((o.fields ?? []).map((f) => [f.id, f]))
  const rows: RowView[] = shipped.fields.map((f) => {
    if (removed.has(f.id)) return { field: f, provenance: 'removed', base: f }
    const r = replaced.get(f.id)
    return r && !sameJson(r, f) ? { field: r, provenance: 'overridden', base: f } : { field: f, provenance: 'inherited', base: f }
  })
  const ids = new Set(shipped.fields.map((f) => f.id))
  for (const f of o.fields ?? []) if (!ids.has(f.id)) rows.push({ field: f, provenance: 'added' })
  return rows
}

/** Writes a row (edited or new); `previousId` when the id of an added row changed. */
export function setField(shipped: MappingSet, o: MappingOverride, field: FieldMap, previousId = field.id): MappingOverride {
  const base = shipped.fields.find((f) => f.id === field.id)
  const list = o.fields ?? []
  const at = list.findIndex((f) => f.id === previousId || f.id === field.id)
  const others = list.filter((f) => f.id !== field.id && f.id !== previousId)
  let fields: FieldMap[]
  if (base && sameJson(base, field)) fields = others
  else if (at >= 0) {
    // Keep the position of an existing override row, so added rows do not jump around.
    fields = [...others]
    fields.splice(Math.min(at, others.length), 0, field)
  } else fields = [...others, field]
  return tidy({ ...o, fields, removeFields: (o.removeFields ?? []).filter((id) => id !== field.id) })
}

export function removeField(shipped: MappingSet, o: MappingOverride, id: string): MappingOverride {
  const fields = (o.fields ?? []).filter((f) => f.id !== id)
  const isShipped = shipped.fields.some((f) => f.id === id)
  return tidy({ ...o, fields, removeFields: isShipped ? [...new Set([...(o.removeFields ?? []), id])] : o.removeFields })
}

/** Back to the shipped row (undoes an override or a removal). */
export function revertField(o: MappingOverride, id: string): MappingOverride {
  return tidy({ ...o, fields: (o.fields ?? []).filter((f) => f.id !== id), removeFields: (o.removeFields ?? []).filter((x) => x !== id) })
}

export function newFieldId(rows: RowView[], stem = 'field'): string {
  const ids = new Set(rows.map((r) => r.field.id))
  for (let i = 1; ; i++) if (!ids.has(`${stem}_${i}`)) return `${stem}_${i}`
}

// ---- code maps -------------------------------------------------------------------------------

export interface EntryView {
  entry: CodeMapEntry
  provenance: Provenance
  base?: CodeMapEntry
}

export interface CodeMapView {
  map: CodeMap
  provenance: Provenance
  base?: CodeMap
  entries: EntryView[]
}

function mergeMap(base: CodeMap, mo: CodeMapOverride | undefined): CodeMap {
  if (!mo) return base
  const m: CodeMap = { ...base }
  if (mo.description !== undefined) m.description = mo.description
  if (mo.onMiss !== undefined) m.onMiss = mo.onMiss
  if (mo.caseInsensitive !== undefined) m.caseInsensitive = mo.caseInsensitive
  if (mo.default === null) delete m.default
  else if (mo.default !== undefined) m.default = mo.default
  const removed = new Set((mo.removeEntries ?? []).map((f) => codeKey(m, f)))
  const practice = new Map((mo.entries ?? []).map((e) => [codeKey(m, e.from), e]))
  const entries: CodeMapEntry[] = []
  for (const e of base.entries) {
    const k = codeKey(m, e.from)
    const p = practice.get(k)
    if (removed.has(k) && !p) continue
    if (p) practice.delete(k)
    entries.push(p ?? e)
  }
  entries.push(...practice.values())
  m.entries = entries
  return m
}

export function codeMapViews(shipped: MappingSet, o: MappingOverride): CodeMapView[] {
  const byName = new Map((o.codeMaps ?? []).map((m) => [m.name, m]))
  const views: CodeMapView[] = shipped.codeMaps.map((base) => {
    const map = mergeMap(base, byName.get(base.name))
    return { map, base, provenance: sameJson(map, base) ? 'inherited' : 'overridden', entries: entryViews(base, map) }
  })
  for (const mo of o.codeMaps ?? []) {
    if (shipped.codeMaps.some((m) => m.name === mo.name)) continue
    const map = mergeMap({ name: mo.name, entries: [], onMiss: mo.onMiss ?? 'passthrough' }, mo)
    views.push({ map, provenance: 'added', entries: map.entries.map((entry) => ({ entry, provenance: 'added' })) })
  }
  return views
}

function entryViews(base: CodeMap, map: CodeMap): EntryView[] {
  const baseByKey = new Map(base.entries.map((e) => [codeKey(map, e.from), e]))
  const out: EntryView[] = map.entries.map((entry) => {
    const b = baseByKey.get(codeKey(map, entry.from))
    return { entry, provenance: !b ? 'added' : sameJson(b, entry) ? 'inherited' : 'overridden', ...(b ? { base: b } : {}) }
  })
  const present = new Set(map.entries.map((e) => codeKey(map, e.from)))
  for (const b of base.entries) if (!present.has(codeKey(map, b.from))) out.push({ entry: b, provenance: 'removed', base: b })
  return out
}

export function setCodeMap(shipped: MappingSet, o: MappingOverride, desired: CodeMap): MappingOverride {
  const mo = codeMapOverrideFor(
    shipped.codeMaps.find((m) => m.name === desired.name),
    desired,
  )
  const rest = (o.codeMaps ?? []).filter((m) => m.name !== desired.name)
  return tidy({ ...o, codeMaps: mo ? [...rest, mo] : rest })
}

function currentMap(shipped: MappingSet, o: MappingOverride, name: string): CodeMap {
  const v = codeMapViews(shipped, o).find((m) => m.map.name === name)
  if (!v) throw new Error(`no code map ${name}`)
  return v.map
}

/** Adds or replaces a code (`previousFrom` when the code itself was renamed). */
export function setCodeMapEntry(shipped: MappingSet, o: MappingOverride, mapName: string, entry: CodeMapEntry, previousFrom?: string): MappingOverride {
  const map = currentMap(shipped, o, mapName)
  const k = codeKey(map, previousFrom ?? entry.from)
  const exists = map.entries.some((e) => codeKey(map, e.from) === k)
  const entries = exists ? map.entries.map((e) => (codeKey(map, e.from) === k ? entry : e)) : [...map.entries, entry]
  return setCodeMap(shipped, o, { ...map, entries })
}

export function removeCodeMapEntry(shipped: MappingSet, o: MappingOverride, mapName: string, from: string): MappingOverride {
  const map = currentMap(shipped, o, mapName)
  return setCodeMap(shipped, o, { ...map, entries: map.entries.filter((e) => codeKey(map, e.from) !== codeKey(map, from)) })
}

export function restoreCodeMapEntry(shipped: MappingSet, o: MappingOverride, mapName: string, from: string): MappingOverride {
  const base = shipped.codeMaps.find((m) => m.name === mapName)?.entries.find((e) => e.from === from)
  return base ? setCodeMapEntry(shipped, o, mapName, base) : o
}

export function setCodeMapSettings(
  shipped: MappingSet,
  o: MappingOverride,
  mapName: string,
  settings: Partial<Pick<CodeMap, 'description' | 'onMiss' | 'caseInsensitive'>> & { default?: string | null },
): MappingOverride {
  const map = { ...currentMap(shipped, o, mapName) }
  if (settings.description !== undefined) map.description = settings.description
  if (settings.onMiss !== undefined) map.onMiss = settings.onMiss
  if (settings.caseInsensitive !== undefined) map.caseInsensitive = settings.caseInsensitive
  if (settings.default === null || settings.default === '') delete map.default
  else if (settings.default !== undefined) map.default = settings.default
  return setCodeMap(shipped, o, map)
}

export function addCodeMap(shipped: MappingSet, o: MappingOverride, name: string): MappingOverride {
  return setCodeMap(shipped, o, { name, entries: [], onMiss: 'passthrough' })
}

/** Only maps the practice added can go; shipped maps stay (their entries can be removed). */
export function removeAddedCodeMap(o: MappingOverride, name: string): MappingOverride {
  return tidy({ ...o, codeMaps: (o.codeMaps ?? []).filter((m) => m.name !== name) })
}

// ---- custom fields, tests --------------------------------------------------------------------

export function customFieldViews(shipped: MappingSet, o: MappingOverride): { field: CustomField; provenance: Provenance }[] {
  const out = shipped.customFields.map((c) => {
    const r = (o.customFields ?? []).find((x) => x.key === c.key)
    return { field: r ?? c, provenance: (r && !sameJson(r, c) ? 'overridden' : 'inherited') as Provenance }
  })
  for (const c of o.customFields ?? []) if (!shipped.customFields.some((x) => x.key === c.key)) out.push({ field: c, provenance: 'added' })
  return out
}

export function setCustomField(shipped: MappingSet, o: MappingOverride, field: CustomField): MappingOverride {
  const base = shipped.customFields.find((c) => c.key === field.key)
  const rest = (o.customFields ?? []).filter((c) => c.key !== field.key)
  return tidy({ ...o, customFields: base && sameJson(base, field) ? rest : [...rest, field] })
}

export function removeCustomField(o: MappingOverride, key: string): MappingOverride {
  return tidy({ ...o, customFields: (o.customFields ?? []).filter((c) => c.key !== key) })
}

export function addTest(o: MappingOverride, test: MappingTest): MappingOverride {
  return tidy({ ...o, tests: [...(o.tests ?? []).filter((t) => t.name !== test.name), test] })
}

export function removeTest(o: MappingOverride, name: string): MappingOverride {
  return tidy({ ...o, tests: (o.tests ?? []).filter((t) => t.name !== name) })
}

export function isEmptyOverride(o: MappingOverride): boolean {
  return Object.keys(tidy(o)).every((k) => k === 'baseKey' || k === 'practiceId')
}
