/**
 * Code maps as CSV (`from,to,note`), the way practices keep department → location or local
 * appointment-type tables in spreadsheets. Import is merge (add and replace codes) or replace (the
 * file becomes the whole table); problems are reported per line and nothing is applied then.
 */
import { parse as parseCsv } from 'csv-parse/sync'
import type { CodeMap, CodeMapEntry } from '../../../shared/mapping'
import { csvLine, unneutralise } from '../../../shared/csv'
import { codeKey } from './override-edits'


export function codeMapToCsv(map: CodeMap): string {
  const lines = ['from,to,note']
  for (const e of map.entries) lines.push(csvLine([e.from, e.to, e.note ?? '']))
  return lines.join('\r\n') + '\r\n'
}

export interface CsvImportResult {
  ok: boolean
  map: CodeMap | null
  added: number
  changed: number
  removed: number
  issues: { line: number; message: string }[]
}

const FROM = new Set(['from', 'code', 'source', 'value', 'local code', 'local'])
const TO = new Set(['to', 'target', 'maps to', 'mapped', 'standard', 'standard code'])
const NOTE = new Set(['note', 'notes', 'comment', 'description'])

export function codeMapFromCsv(current: CodeMap, csv: string, mode: 'merge' | 'replace'): CsvImportResult {
  const issues: CsvImportResult['issues'] = []
  let rows: { record: string[]; info: { lines: number } }[]
  try {
    rows = parseCsv(csv, { bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: false }) as unknown as typeof rows
  } catch (e) {
    const line = (e as { lines?: number }).lines ?? 1
    return { ok: false, map: null, added: 0, changed: 0, removed: 0, issues: [{ line, message: (e as Error).message.slice(0, 200) }] }
  }
  let col = { from: 0, to: 1, note: 2 as number | -1 }
  const first = rows[0]?.record.map((c) => c.trim().toLowerCase())
  if (first && first.some((c) => FROM.has(c)) && first.some((c) => TO.has(c))) {
    col = { from: first.findIndex((c) => FROM.has(c)), to: first.findIndex((c) => TO.has(c)), note: first.findIndex((c) => NOTE.has(c)) }
    rows = rows.slice(1)
  }
  const incoming: CodeMapEntry[] = []
  const seen = new Map<string, number>()
  for (const { record, info } of rows) {
    const line = info.lines
    // Our own export neutralises formula-looking cells ('=…); the apostrophe is not part of the code.
    const from = unneutralise((record[col.from] ?? '').trim())
    const to = unneutralise((record[col.to] ?? '').trim())
    const note = col.note >= 0 ? unneutralise((record[col.note] ?? '').trim()) : ''
    if (from === '') {
      issues.push({ line, message: 'the code (from) is empty' })
      continue
    }
    if (record.length <= col.to) {
      issues.push({ line, message: `no target (to) for code '${from.slice(0, 40)}'` })
      continue
    }
    if (from.length > 200 || to.length > 200) issues.push({ line, message: 'codes are at most 200 characters' })
    if (note.length > 500) issues.push({ line, message: 'notes are at most 500 characters' })
    const k = codeKey(current, from)
    const dup = seen.get(k)
    if (dup !== undefined) {
      issues.push({ line, message: `code '${from.slice(0, 40)}' is already on line ${dup}${current.caseInsensitive ? ' (the map ignores case)' : ''}` })
      continue
    }
    seen.set(k, line)
    incoming.push(note ? { from, to, note } : { from, to })
  }
  if (incoming.length === 0 && issues.length === 0) issues.push({ line: 1, message: 'the file holds no codes' })
  if (issues.length) return { ok: false, map: null, added: 0, changed: 0, removed: 0, issues }

  const byKey = new Map(current.entries.map((e) => [codeKey(current, e.from), e]))
  let added = 0
  let changed = 0
  for (const e of incoming) {
    const cur = byKey.get(codeKey(current, e.from))
    if (!cur) added++
    else if (cur.to !== e.to || (cur.note ?? '') !== (e.note ?? '')) changed++
  }
  let entries: CodeMapEntry[]
  let removed = 0
  if (mode === 'replace') {
    entries = incoming
    removed = current.entries.filter((e) => !seen.has(codeKey(current, e.from))).length
  } else {
    const replaced = new Map(incoming.map((e) => [codeKey(current, e.from), e]))
    entries = current.entries.map((e) => replaced.get(codeKey(current, e.from)) ?? e)
    const existing = new Set(current.entries.map((e) => codeKey(current, e.from)))
    entries.push(...incoming.filter((e) => !existing.has(codeKey(current, e.from))))
  }
  return { ok: true, map: { ...current, entries }, added, changed, removed, issues: [] }
}
