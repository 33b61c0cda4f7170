/**
 * Version diffs between two mapping sets: row by row (by stable field id), code maps entry by
 * entry (by `from` code), plus set-level properties, custom fields and tests. Content equality is
 * key-order independent.
 */
import type {
  CodeMap,
  CodeMapDiff,
  CodeMapEntry,
  CodeMapEntryDiff,
  FieldDiff,
  FieldMap,
  MappingSet,
  MappingSetDiff,
  ValueDiff,
} from '../../../shared/mapping'
import { sameJson } from '../../../shared/mapping-overrides'

const META_KEYS = ['schemaVersion', 'key', 'name', 'description', 'format', 'direction', 'record', 'output'] as const

function byKey<T, K extends string>(
  before: readonly T[],
  after: readonly T[],
  keyOf: (t: T) => string,
  keyName: K,
): (ValueDiff<T> & Record<K, string>)[] {
  const a = new Map(before.map((x) => [keyOf(x), x]))
  const b = new Map(after.map((x) => [keyOf(x), x]))
  const out: (ValueDiff<T> & Record<K, string>)[] = []
  const mk = (k: string, d: ValueDiff<T>): ValueDiff<T> & Record<K, string> => ({ [keyName]: k, ...d }) as ValueDiff<T> & Record<K, string>
  for (const [k, x] of a) {
    const y = b.get(k)
    if (y === undefined) out.push(mk(k, { change: 'removed', before: x }))
    else if (!sameJson(x, y)) out.push(mk(k, { change: 'changed', before: x, after: y }))
  }
  for (const [k, y] of b) if (!a.has(k)) out.push(mk(k, { change: 'added', after: y }))
  return out
}

function fieldDiffs(a: readonly FieldMap[], b: readonly FieldMap[]): FieldDiff[] {
  return byKey(a, b, (f) => f.id, 'id').map((d) => {
    if (d.change !== 'changed' || !d.before || !d.after) return d
    const keys = new Set([...Object.keys(d.before), ...Object.keys(d.after)])
    const changedKeys = [...keys]
      .filter((k) => !sameJson((d.before as Record<string, unknown>)[k], (d.after as Record<string, unknown>)[k]))
      .sort()
    return { ...d, changedKeys }
  })
}

const settingsOf = ({ entries: _entries, ...rest }: CodeMap): Omit<CodeMap, 'entries'> => rest

function codeMapDiffs(a: readonly CodeMap[], b: readonly CodeMap[]): CodeMapDiff[] {
  const out: CodeMapDiff[] = []
  for (const d of byKey(a, b, (m) => m.name, 'name')) {
    const before = d.before?.entries ?? []
    const after = d.after?.entries ?? []
    const entries: CodeMapEntryDiff[] = byKey<CodeMapEntry, 'from'>(before, after, (e) => e.from, 'from')
    const sb = d.before && settingsOf(d.before)
    const sa = d.after && settingsOf(d.after)
    const diff: CodeMapDiff = { name: d.name, change: d.change, entries }
    if (!sameJson(sb, sa)) diff.settings = { ...(sb ? { before: sb } : {}), ...(sa ? { after: sa } : {}) }
    out.push(diff)
  }
  return out
}

export function diffMappingSets(a: MappingSet, b: MappingSet): MappingSetDiff {
  const meta = META_KEYS.filter((k) => !sameJson(a[k], b[k])).map((k) => ({ key: k, before: a[k], after: b[k] }))
  const fields = fieldDiffs(a.fields, b.fields)
  const common = new Set(b.fields.map((f) => f.id))
  const orderA = a.fields.map((f) => f.id).filter((id) => common.has(id))
  const inA = new Set(orderA)
  const orderB = b.fields.map((f) => f.id).filter((id) => inA.has(id))
  const fieldOrderChanged = orderA.join('\u0000') !== orderB.join('\u0000')
  const codeMaps = codeMapDiffs(a.codeMaps, b.codeMaps)
  const customFields = byKey(a.customFields, b.customFields, (c) => c.key, 'key')
  const tests = byKey(a.tests, b.tests, (t) => t.name, 'name')
  return {
    identical: meta.length === 0 && fields.length === 0 && !fieldOrderChanged && codeMaps.length === 0 && customFields.length === 0 && tests.length === 0,
    meta,
    fields,
    fieldOrderChanged,
    codeMaps,
    customFields,
    tests,
  }
}
