/**
 * What an edit changed in a payload: for HL7, field by field (segments matched by id and
 * occurrence: `PID-7`, `OBX[2]-5`, a segment added or removed as a whole); for anything else, line
 * by line. Pure; shown in the edit dialog and the inspector's "Changes to the original".
 */
export interface PayloadChange {
  path: string
  change: 'added' | 'removed' | 'changed'
  before: string | null
  after: string | null
}

const lines = (t: string): string[] => t.split(/\r\n|\r|\n/).filter((l) => l.trim() !== '')
const isHl7 = (t: string): boolean => /^\s*(MSH|FHS|BHS)./.test(t)

function keyed(text: string): Map<string, string> {
  const seen = new Map<string, number>()
  const out = new Map<string, string>()
  for (const l of lines(text)) {
    const id = l.slice(0, 3)
    const n = (seen.get(id) ?? 0) + 1
    seen.set(id, n)
    out.set(n === 1 ? id : `${id}[${n}]`, l)
  }
  return out
}

function fieldsOf(seg: string, fs: string): string[] {
  const parts = seg.split(fs)
  // MSH-1 is the separator itself; MSH-2 the encoding characters: number them as HL7 does.
  if (seg.startsWith('MSH') || seg.startsWith('FHS') || seg.startsWith('BHS')) return [parts[0] as string, fs, ...parts.slice(1)]
  return parts
}

export function diffPayload(before: string, after: string): PayloadChange[] {
  if (!(isHl7(before) && isHl7(after))) {
    const a = lines(before)
    const b = lines(after)
    const out: PayloadChange[] = []
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const x = a[i] ?? null
      const y = b[i] ?? null
      if (x === y) continue
      out.push({ path: `line ${i + 1}`, change: x === null ? 'added' : y === null ? 'removed' : 'changed', before: x, after: y })
    }
    return out
  }
  const fs = after.trimStart().charAt(3) || '|'
  const a = keyed(before)
  const b = keyed(after)
  const out: PayloadChange[] = []
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key)
    const y = b.get(key)
    if (x === y) continue
    if (x === undefined || y === undefined) {
      out.push({ path: key, change: x === undefined ? 'added' : 'removed', before: x ?? null, after: y ?? null })
      continue
    }
    const fa = fieldsOf(x, fs)
    const fb = fieldsOf(y, fs)
    for (let n = 1; n < Math.max(fa.length, fb.length); n++) {
      const u = fa[n] ?? ''
      const v = fb[n] ?? ''
      if (u === v) continue
      out.push({ path: `${key}-${n}`, change: u === '' ? 'added' : v === '' ? 'removed' : 'changed', before: u === '' ? null : u, after: v === '' ? null : v })
    }
  }
  return out
}
