/**
 * JSON documents (athenaNet / FHIR payloads, parsed and mapped stages) and CSV rows as the
 * inspector's tree. Paths are JSON Pointers (`/patient/name/0/given`), unambiguous for any key.
 * Members whose name marks PHI (phi.ts) are masked with everything under them.
 */
import type { InspectorNode } from '../../../shared/api/inspector'
import { isPhiKey, MASK } from './phi'

const MAX_NODES = 5000
const MAX_VALUE_CHARS = 4000

const escapePointer = (k: string): string => k.replace(/~/g, '~0').replace(/\//g, '~1')
const unescapePointer = (k: string): string => k.replace(/~1/g, '/').replace(/~0/g, '~')

function display(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v)
  return s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS)}… (${s.length} characters)` : s
}

export interface JsonTree {
  tree: InspectorNode[]
  maskedCount: number
  truncated: boolean
}

export function jsonTree(value: unknown): JsonTree {
  const state = { nodes: 0, masked: 0, truncated: false }
  const build = (key: string, v: unknown, path: string): InspectorNode => {
    state.nodes++
    if (isPhiKey(key)) {
      state.masked++
      return { path, label: key, masked: true }
    }
    if (v !== null && typeof v === 'object') {
      const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v as Record<string, unknown>)
      const children: InspectorNode[] = []
      for (const [k, x] of entries) {
        if (state.nodes >= MAX_NODES) {
          state.truncated = true
          break
        }
        // An array's items are named by their index; an array under a PHI name was masked whole above.
        children.push(build(Array.isArray(v) ? `[${k}]` : k, x, `${path}/${escapePointer(k)}`))
      }
      return { path, label: key, value: Array.isArray(v) ? `[${v.length}]` : `{${entries.length}}`, children }
    }
    return { path, label: key, value: display(v) }
  }
  if (value === null || typeof value !== 'object') return { tree: [build('(value)', value, '')], maskedCount: state.masked, truncated: false }
  const root = build('', value, '')
  return { tree: root.children ?? [], maskedCount: state.masked, truncated: state.truncated }
}

/** The document with every PHI member's value replaced, for the masked text view. */
export function maskJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskJson)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = isPhiKey(k) ? MASK : maskJson(v)
    return out
  }
  return value
}

/** The node at a JSON Pointer, in clear. */
export function revealJson(value: unknown, pointer: string): InspectorNode | null {
  if (!pointer.startsWith('/')) return null
  const keys = pointer.slice(1).split('/').map(unescapePointer)
  let cur: unknown = value
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, k)) return null
    cur = (cur as Record<string, unknown>)[k]
  }
  return unmaskedNode(keys[keys.length - 1] ?? '', cur, pointer)
}

function unmaskedNode(key: string, v: unknown, path: string): InspectorNode {
  if (v !== null && typeof v === 'object') {
    const entries: [string, unknown][] = Array.isArray(v) ? v.map((x, i) => [String(i), x]) : Object.entries(v as Record<string, unknown>)
    return {
      path,
      label: key,
      value: Array.isArray(v) ? `[${v.length}]` : `{${entries.length}}`,
      children: entries.slice(0, MAX_NODES).map(([k, x]) => unmaskedNode(Array.isArray(v) ? `[${k}]` : k, x, `${path}/${escapePointer(k)}`)),
    }
  }
  return { path, label: key, value: display(v) }
}

/** Splits one CSV line (RFC 4180 quoting). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"'
        i++
      } else if (c === '"') quoted = false
      else cur += c
    } else if (c === '"' && cur === '') quoted = true
    else if (c === ',') {
      out.push(cur)
      cur = ''
    } else cur += c
  }
  out.push(cur)
  return out
}

/** CSV rows carry no field names the engine can trust, so every cell is masked until revealed. */
export function csvTree(text: string): JsonTree & { maskedText: string } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '')
  let masked = 0
  const tree = lines.slice(0, 1000).map((line, r) => {
    const cells = splitCsvLine(line)
    return {
      path: `/${r}`,
      label: `row ${r + 1}`,
      value: `${cells.length} cells`,
      children: cells.map((_, c) => {
        masked++
        return { path: `/${r}/${c}`, label: `column ${c + 1}`, masked: true }
      }),
    }
  })
  const maskedText = lines.map((l) => splitCsvLine(l).map(() => MASK).join(',')).join('\n')
  return { tree, maskedCount: masked, truncated: lines.length > 1000, maskedText }
}

export function revealCsvCell(text: string, pointer: string): InspectorNode | null {
  const m = /^\/(\d+)\/(\d+)$/.exec(pointer)
  if (!m) return null
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '')
  const cell = splitCsvLine(lines[Number(m[1])] ?? '')[Number(m[2])]
  if (cell === undefined) return null
  return { path: pointer, label: `column ${Number(m[2]) + 1}`, value: display(cell) }
}
