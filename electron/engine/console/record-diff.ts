/**
 * Field-level difference between a record before and after a transaction touched it (from
 * record_changes), for the inspector. Leaves are compared by value; paths use dots and [i]
 * (`address.line1`, `insurance[0].member_id`). PHI values are masked unless revealed.
 */
import type { FieldChange } from '../../../shared/api/inspector'
import { isPhiKey, MASK } from './phi'

interface Leaf {
  value: string
  phi: boolean
}

function flatten(v: unknown, path: string, phi: boolean, out: Map<string, Leaf>): void {
  if (v !== null && typeof v === 'object') {
    const entries = Array.isArray(v) ? v.map((x, i) => [`[${i}]`, x] as const) : Object.entries(v as Record<string, unknown>)
    if (entries.length === 0) out.set(path, { value: Array.isArray(v) ? '[]' : '{}', phi })
    for (const [k, x] of entries) {
      const index = Array.isArray(v)
      const child = index ? `${path}${k}` : path ? `${path}.${k}` : k
      flatten(x, child, phi || (!index && isPhiKey(k)), out)
    }
    return
  }
  if (v === undefined) return
  out.set(path, { value: typeof v === 'string' ? v : JSON.stringify(v), phi })
}

export function leaves(v: unknown): Map<string, Leaf> {
  const out = new Map<string, Leaf>()
  if (v !== null && v !== undefined) flatten(v, '', false, out)
  return out
}

/** Every changed leaf, in path order; `reveal` names one path to show in clear (or all with '*'). */
export function diffRecord(before: unknown, after: unknown, reveal?: string): FieldChange[] {
  const a = leaves(before)
  const b = leaves(after)
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort()
  const out: FieldChange[] = []
  for (const path of paths) {
    const x = a.get(path)
    const y = b.get(path)
    if (x && y && x.value === y.value) continue
    const masked = Boolean(x?.phi || y?.phi) && reveal !== '*' && reveal !== path
    out.push({
      path,
      change: !x ? 'added' : !y ? 'removed' : 'changed',
      before: x ? (masked ? MASK : x.value) : null,
      after: y ? (masked ? MASK : y.value) : null,
      masked,
    })
  }
  return out
}
