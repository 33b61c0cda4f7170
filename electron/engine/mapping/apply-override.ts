/**
 * Per-practice overrides on a shipped (or shared) mapping set. The override stores only the
 * practice's differences, so a new shipped version flows through to every practice except where
 * the practice chose otherwise, and the editor can show where each row comes from.
 */
import { AppError } from '../../../shared/errors'
import {
  mappingOverrideSchema,
  mappingSetSchema,
  type CodeMap,
  type CodeMapEntry,
  type CodeMapOverride,
  type FieldMap,
  type MappingOverride,
  type MappingSet,
  type Provenance,
} from '../../../shared/mapping'
import { codeKey, sameJson } from '../../../shared/mapping-overrides'

export interface OverrideResult {
  set: MappingSet
  /** Per field id, and per `codeMap:<name>`. Removed rows are listed as 'removed'. */
  provenance: Record<string, Provenance>
  /** Per code map name, per `from` code: where each entry comes from. */
  codeMapEntries: Record<string, Record<string, Provenance>>
}


function invalid(message: string, details?: unknown): AppError {
  return new AppError('config_invalid', message, { details })
}

export function applyOverride(base: MappingSet, override: MappingOverride): OverrideResult {
  const parsed = mappingOverrideSchema.safeParse(override)
  if (!parsed.success) {
    throw invalid('mapping override is not valid', { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) })
  }
  const o = parsed.data
  if (o.baseKey !== base.key) throw invalid(`override is for '${o.baseKey}', not '${base.key}'`)

  const provenance: Record<string, Provenance> = {}
  const removed = new Set(o.removeFields ?? [])
  const replacements = new Map((o.fields ?? []).map((f) => [f.id, f]))
  for (const id of removed) if (replacements.has(id)) throw invalid(`field '${id}' is both replaced and removed`)

  const fields: FieldMap[] = []
  for (const f of base.fields) {
    if (removed.has(f.id)) {
      provenance[f.id] = 'removed'
      continue
    }
    const r = replacements.get(f.id)
    fields.push(r ?? f)
    provenance[f.id] = r && !sameJson(r, f) ? 'overridden' : 'inherited'
  }
  const baseIds = new Set(base.fields.map((f) => f.id))
  for (const f of o.fields ?? []) {
    if (baseIds.has(f.id)) continue
    fields.push(f)
    provenance[f.id] = 'added'
  }

  const codeMapEntries: Record<string, Record<string, Provenance>> = {}
  const byName = new Map((o.codeMaps ?? []).map((m) => [m.name, m]))
  const codeMaps: CodeMap[] = base.codeMaps.map((m) => {
    const mo = byName.get(m.name)
    const merged = mo ? mergeCodeMap(m, mo) : { map: m, entries: inheritedEntries(m) }
    provenance[`codeMap:${m.name}`] = mo && !sameJson(merged.map, m) ? 'overridden' : 'inherited'
    codeMapEntries[m.name] = merged.entries
    return merged.map
  })
  for (const mo of o.codeMaps ?? []) {
    if (base.codeMaps.some((m) => m.name === mo.name)) continue
    const empty: CodeMap = { name: mo.name, entries: [], onMiss: mo.onMiss ?? 'passthrough' }
    const merged = mergeCodeMap(empty, mo)
    provenance[`codeMap:${mo.name}`] = 'added'
    codeMapEntries[mo.name] = merged.entries
    codeMaps.push(merged.map)
  }

  const customFields = [...base.customFields]
  for (const c of o.customFields ?? []) {
    const i = customFields.findIndex((x) => x.key === c.key)
    if (i >= 0) customFields[i] = c
    else customFields.push(c)
  }
  const tests = [...base.tests.filter((t) => !(o.tests ?? []).some((x) => x.name === t.name)), ...(o.tests ?? [])]

  const set: MappingSet = {
    ...base,
    ...(o.name !== undefined ? { name: o.name } : {}),
    ...(o.description !== undefined ? { description: o.description } : {}),
    fields,
    codeMaps,
    customFields,
    tests,
  }
  // The merged set must be as valid as any set (duplicate codes after a case-insensitivity switch, ...).
  const check = mappingSetSchema.safeParse(set)
  if (!check.success) {
    throw invalid('override produces an invalid mapping set', { issues: check.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) })
  }
  return { set, provenance, codeMapEntries }
}

function inheritedEntries(m: CodeMap): Record<string, Provenance> {
  return Object.fromEntries(m.entries.map((e) => [e.from, 'inherited' as Provenance]))
}

function mergeCodeMap(base: CodeMap, mo: CodeMapOverride): { map: CodeMap; entries: Record<string, Provenance> } {
  const settings: CodeMap = { ...base }
  if (mo.description !== undefined) settings.description = mo.description
  if (mo.onMiss !== undefined) settings.onMiss = mo.onMiss
  if (mo.caseInsensitive !== undefined) settings.caseInsensitive = mo.caseInsensitive
  if (mo.default === null) delete settings.default
  else if (mo.default !== undefined) settings.default = mo.default

  const prov: Record<string, Provenance> = {}
  const removed = new Set((mo.removeEntries ?? []).map((f) => codeKey(settings, f)))
  const practice = new Map<string, CodeMapEntry>()
  for (const e of mo.entries ?? []) {
    const k = codeKey(settings, e.from)
    if (practice.has(k)) throw invalid(`code map '${mo.name}' override lists code '${e.from}' twice`)
    practice.set(k, e)
  }
  const entries: CodeMapEntry[] = []
  for (const e of base.entries) {
    const k = codeKey(settings, e.from)
    if (removed.has(k) && !practice.has(k)) {
      prov[e.from] = 'removed'
      continue
    }
    // Per-practice entries win over shipped ones.
    const p = practice.get(k)
    if (p) practice.delete(k)
    entries.push(p ?? e)
    prov[(p ?? e).from] = p && !sameJson(p, e) ? 'overridden' : 'inherited'
  }
  for (const e of practice.values()) {
    entries.push(e)
    prov[e.from] = 'added'
  }
  return { map: { ...settings, entries }, entries: prov }
}
