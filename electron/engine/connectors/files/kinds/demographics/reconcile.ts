/**
 * Field-level reconciliation of one incoming row with the stored patient, three-way: the file's
 * value, Practice Studio's value, and what this source sent last time. The practice's policy per
 * field decides (shared/files.ts FIELD_POLICIES). An empty incoming value never erases anything.
 */
import { RECONCILED_FIELDS, type FieldPolicy, type ReconciledField, type ReconciliationPolicy } from '../../../../../../shared/files'

export interface FieldDecision {
  field: ReconciledField
  action: 'apply' | 'hold' | 'keep'
  policy: FieldPolicy
  before: unknown
  after: unknown
  /** Why a differing value was kept (no change). */
  reason?: string
}

export function isEmptyValue(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true
  if (Array.isArray(v)) return v.length === 0 || v.every(isEmptyValue)
  if (typeof v === 'object') return Object.values(v as Record<string, unknown>).every(isEmptyValue)
  return false
}

/** Canonical form for comparing: keys sorted, empty members dropped. */
export function canonical(v: unknown): string {
  const norm = (x: unknown): unknown => {
    if (isEmptyValue(x)) return null
    if (Array.isArray(x)) return x.map(norm)
    if (x && typeof x === 'object') {
      const o: Record<string, unknown> = {}
      for (const k of Object.keys(x as object).sort()) {
        const n = norm((x as Record<string, unknown>)[k])
        if (n !== null) o[k] = n
      }
      return o
    }
    return x
  }
  return JSON.stringify(norm(v))
}

export function sameValue(a: unknown, b: unknown): boolean {
  // Most fields are strings: two different strings are different values, with no canonical form built.
  if (a === b) return true
  if (typeof a === 'string' && typeof b === 'string' && a !== '' && b !== '') return false
  return sameCanonical(a, b)
}

/**
 * `canonical(a) === canonical(b)` without building either string: an address and the insurance
 * list of every row of a file were stringified twice for this (~10 µs a row of updates).
 */
function sameCanonical(a: unknown, b: unknown): boolean {
  const ea = isEmptyValue(a)
  const eb = isEmptyValue(b)
  if (ea || eb) return ea && eb
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!sameCanonical(a[i], b[i])) return false
    return true
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const x = a as Record<string, unknown>
    const y = b as Record<string, unknown>
    // Members that are empty are dropped by the canonical form: compare the others, both ways.
    for (const k of Object.keys(x)) if (!isEmptyValue(x[k]) && !sameCanonical(x[k], y[k])) return false
    for (const k of Object.keys(y)) if (!isEmptyValue(y[k]) && isEmptyValue(x[k])) return false
    return true
  }
  // An object or list against a scalar: their JSON never agrees.
  if (typeof a === 'object' || typeof b === 'object') return false
  return a === b || JSON.stringify(a) === JSON.stringify(b)
}

export function policyFor(p: ReconciliationPolicy, field: ReconciledField): FieldPolicy {
  return p.fields[field] ?? p.default
}

export function reconcile(incoming: Record<string, unknown>, stored: Record<string, unknown>, lastSent: Record<string, unknown> | null, policy: ReconciliationPolicy, pendingHeld: ReadonlySet<string> = new Set()): FieldDecision[] {
  const out: FieldDecision[] = []
  for (const field of RECONCILED_FIELDS) {
    const inc = incoming[field]
    if (isEmptyValue(inc)) continue
    const cur = stored[field]
    if (sameValue(inc, cur)) continue
    const pol = policyFor(policy, field)
    const base = { field, policy: pol, before: cur ?? null, after: inc }
    if (isEmptyValue(cur)) {
      // Nothing to overrule: filling an empty field is never a conflict.
      out.push({ ...base, action: 'apply' })
      continue
    }
    const sourceUnchanged = lastSent !== null && sameValue(inc, lastSent[field])
    switch (pol) {
      case 'source':
        out.push({ ...base, action: 'apply' })
        break
      case 'studio':
        out.push({ ...base, action: 'keep', reason: 'Practice Studio owns this field' })
        break
      case 'newest':
        if (sourceUnchanged) out.push({ ...base, action: 'keep', reason: 'changed in Practice Studio after the source last sent it' })
        else out.push({ ...base, action: 'apply' })
        break
      case 'review':
        if (sourceUnchanged) out.push({ ...base, action: 'keep', reason: 'the source sent this value before and it was not taken' })
        else if (pendingHeld.has(`${field}\u0000${canonical(inc)}`)) out.push({ ...base, action: 'keep', reason: 'already held for review' })
        else out.push({ ...base, action: 'hold' })
        break
    }
  }
  return out
}
