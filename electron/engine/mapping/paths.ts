/**
 * Dotted paths over plain JSON (`address.line1`, `insurance.0.member_id`, `name[0].given`):
 * reading for the JSON accessor and writing for the engine's nested output.
 */

const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor'])

/** Parsed paths by text: a mapping set has a few dozen targets and a file runs it for every row. */
const PARSED = new Map<string, readonly string[]>()

export function parsePath(path: string): string[] {
  let segs = PARSED.get(path)
  if (!segs) {
    segs = path
      .replace(/\[(\d+)\]/g, '.$1')
      .split('.')
      .map((s) => s.trim())
      .filter((s) => s !== '')
    // Bounded: paths typed live in the mapping studio must not grow it forever.
    if (PARSED.size >= 10_000) PARSED.clear()
    PARSED.set(path, segs)
  }
  return segs.slice()
}

const isIndex = (seg: string): boolean => /^\d+$/.test(seg)

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v) as unknown
  return proto === Object.prototype || proto === null
}

/** Empty for mapping purposes: nothing a record field should hold. */
export function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true
  if (typeof v === 'string') return v.trim() === ''
  if (Array.isArray(v)) return v.length === 0 || v.every(isEmpty)
  if (typeof v === 'number') return Number.isNaN(v)
  return false
}

/**
 * Every value at `segs`, fanning out over arrays met on the way (a non-index segment applied to
 * an array applies to each element) and flattening arrays found at the end. Only own properties
 * are read, so a path like `constructor` never reaches into the prototype.
 */
export function getAllAt(root: unknown, segs: readonly string[]): unknown[] {
  const out: unknown[] = []
  const walk = (node: unknown, i: number, depth: number): void => {
    if (node === undefined || node === null || depth > 64) return
    if (i === segs.length) {
      if (Array.isArray(node)) node.forEach((el) => walk(el, i, depth + 1))
      else out.push(node)
      return
    }
    const seg = segs[i] as string
    if (Array.isArray(node)) {
      if (isIndex(seg)) walk(node[Number(seg)], i + 1, depth + 1)
      else node.forEach((el) => walk(el, i, depth + 1))
      return
    }
    if (typeof node === 'object' && !FORBIDDEN.has(seg) && Object.prototype.hasOwnProperty.call(node, seg)) {
      walk((node as Record<string, unknown>)[seg], i + 1, depth + 1)
    }
  }
  walk(root, 0, 0)
  return out
}

export class PathConflictError extends Error {}

/** Whether setAtPath may write at these segments. */
export const writablePath = (segs: readonly string[]): boolean => segs.length > 0 && !segs.some((s) => FORBIDDEN.has(s))

/** Writes `value` at the parsed path `segs` in `root`, creating objects (or arrays for index segments) on the way. */
export function setAtPath(root: Record<string, unknown>, segs: readonly string[], value: unknown): void {
  if (!writablePath(segs)) throw new PathConflictError('path not allowed')
  let node: Record<string, unknown> | unknown[] = root
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i] as string
    const next = segs[i + 1] as string
    const key: string | number = Array.isArray(node) ? indexOf(seg) : seg
    let child = (node as Record<string | number, unknown>)[key]
    if (child === undefined || child === null) {
      child = isIndex(next) ? [] : {}
      ;(node as Record<string | number, unknown>)[key] = child
    } else if (typeof child !== 'object') {
      throw new PathConflictError('a parent of this target already holds a value')
    }
    node = child as Record<string, unknown> | unknown[]
  }
  const last = segs[segs.length - 1] as string
  if (Array.isArray(node)) node[indexOf(last)] = value
  else {
    const existing = node[last]
    if (existing !== undefined && existing !== null && typeof existing === 'object' && !(typeof value === 'object' && value !== null)) {
      throw new PathConflictError('another target already writes below this one')
    }
    node[last] = value
  }
}

function indexOf(seg: string): number {
  // Arrays grow one element at a time from targets like insurance.0.*; a huge index is a typo.
  if (!isIndex(seg) || Number(seg) > 1000) throw new PathConflictError('array index expected (0-1000)')
  return Number(seg)
}

/** Leaf paths of a plain object, for comparing partial expectations. */
export function leafPaths(obj: unknown, prefix = ''): { path: string; value: unknown }[] {
  if (Array.isArray(obj)) {
    // Arrays of scalars (diagnosis codes) are one value; arrays of objects compare element by element.
    if (obj.length === 0 || obj.every((v) => v === null || typeof v !== 'object')) return [{ path: prefix, value: obj }]
    return obj.flatMap((v, i) => leafPaths(v, prefix ? `${prefix}.${i}` : String(i)))
  }
  if (isPlainObject(obj)) {
    const entries = Object.entries(obj)
    if (entries.length === 0 && prefix) return [{ path: prefix, value: obj }]
    return entries.flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k))
  }
  return [{ path: prefix, value: obj }]
}
