/**
 * Bytes of a data file → text → rows with their line numbers. CSV (csv-parse: delimiter, quote,
 * header row, BOM) and JSON (one array of objects, or NDJSON: one object per line). Text is UTF-8
 * (a UTF-8 BOM is dropped; UTF-16 with a BOM is read too) unless the job says Windows-1252; bytes
 * that are not valid UTF-8 are a structural error naming the line, never silently mangled.
 */
import { parse as parseCsv } from 'csv-parse/sync'
import { AppError } from '../../../../../shared/errors'
import type { FileFormat } from '../../../../../shared/files'

export interface DataRow {
  /** 1-based line of the file where the row starts (the header is line 1 in a CSV). */
  line: number
  values: Record<string, string | undefined> | Record<string, unknown>
  /** A row-level problem found while reading (e.g. a CSV row with too many cells). */
  problem?: string
}

export interface ReadResult {
  header: string[]
  rows: DataRow[]
  encoding: string
}

export function decodeText(bytes: Buffer, encoding: FileFormat['encoding']): { text: string; encoding: string } {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    const le = bytes[0] === 0xff
    return { text: new TextDecoder(le ? 'utf-16le' : 'utf-16be').decode(bytes.subarray(2)), encoding: le ? 'utf-16le' : 'utf-16be' }
  }
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf
  const body = bom ? bytes.subarray(3) : bytes
  if (encoding === 'windows-1252') return { text: new TextDecoder('windows-1252').decode(body), encoding: 'windows-1252' }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body), encoding: bom ? 'utf-8 (BOM)' : 'utf-8' }
  } catch {
    const at = firstInvalidUtf8(body)
    let line = 1
    for (let i = 0; i < at; i++) if (body[i] === 0x0a) line++
    throw new AppError('parse_error', `The file is not valid UTF-8 (line ${line}, byte ${at + (bom ? 3 : 0)}). If it comes from a Windows program, set the job's encoding to Windows-1252.`, {
      retryable: false,
      details: { line, byte: at, expected: encoding === 'auto' ? 'utf-8' : encoding },
    })
  }
}

function firstInvalidUtf8(b: Buffer): number {
  let i = 0
  while (i < b.length) {
    const c = b[i]!
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1
    if (n < 0) return i
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i
    i += n + 1
  }
  return b.length
}

export function readRows(bytes: Buffer, format: FileFormat): ReadResult {
  const { text, encoding } = decodeText(bytes, format.encoding)
  if (format.type === 'csv') return { ...readCsv(text, format), encoding }
  return { ...readJson(text, format.type), encoding }
}

function readCsv(text: string, format: FileFormat): Omit<ReadResult, 'encoding'> {
  let records: { record: string[]; info: { lines: number } }[]
  try {
    records = parseCsv(text, { delimiter: format.delimiter, quote: format.quote, info: true, relax_column_count: true, skip_empty_lines: true, relax_quotes: false }) as unknown as typeof records
  } catch (e) {
    const line = (e as { lines?: number }).lines ?? 1
    throw new AppError('parse_error', `The CSV cannot be read at line ${line}: ${csvReason(e)}.`, { retryable: false, details: { line, code: (e as { code?: string }).code } })
  }
  if (!records.length) throw new AppError('parse_error', 'The file is empty: no header row.', { retryable: false, details: { line: 1 } })
  const header = records[0]!.record.map((h) => h.trim())
  const rows: DataRow[] = []
  for (let i = 1; i < records.length; i++) {
    const { record, info } = records[i]!
    // info.lines is the line the record ends on; a quoted line break makes a record span lines.
    const line = info.lines - countBreaks(record)
    const values: Record<string, string | undefined> = {}
    for (let c = 0; c < header.length; c++) values[header[c]!] = record[c]
    const problem = record.length > header.length ? `${record.length} cells, but the header has ${header.length}` : record.length < header.length ? `${record.length} cells, but the header has ${header.length}` : undefined
    rows.push(problem ? { line, values, problem } : { line, values })
  }
  return { header, rows }
}

function countBreaks(cells: string[]): number {
  let n = 0
  for (const c of cells) for (let i = c.indexOf('\n'); i >= 0; i = c.indexOf('\n', i + 1)) n++
  return n
}

function csvReason(e: unknown): string {
  const code = (e as { code?: string }).code ?? ''
  if (code === 'CSV_QUOTE_NOT_CLOSED') return 'a quoted cell is never closed'
  if (code === 'CSV_INVALID_CLOSING_QUOTE') return 'a quote is followed by other characters inside a cell'
  if (code === 'CSV_INVALID_OPENING_QUOTE') return 'a quote appears inside an unquoted cell'
  return code || 'malformed'
}

function readJson(text: string, type: 'json' | 'ndjson'): Omit<ReadResult, 'encoding'> {
  const rows: DataRow[] = []
  if (type === 'ndjson') {
    const lines = text.split('\n')
    lines.forEach((l, i) => {
      if (!l.trim()) return
      try {
        const v = JSON.parse(l) as unknown
        if (v && typeof v === 'object' && !Array.isArray(v)) rows.push({ line: i + 1, values: v as Record<string, unknown> })
        else rows.push({ line: i + 1, values: {}, problem: 'not a JSON object' })
      } catch {
        rows.push({ line: i + 1, values: {}, problem: 'not valid JSON' })
      }
    })
  } else {
    let v: unknown
    try {
      v = JSON.parse(text)
    } catch (e) {
      const pos = /position (\d+)/.exec((e as Error).message)?.[1]
      const line = pos ? text.slice(0, Number(pos)).split('\n').length : 1
      throw new AppError('parse_error', `The file is not valid JSON (near line ${line}).`, { retryable: false, details: { line } })
    }
    if (!Array.isArray(v)) throw new AppError('parse_error', 'The JSON file must be an array of objects (or choose NDJSON: one object per line).', { retryable: false, details: { line: 1 } })
    // Line numbers of a pretty-printed array: where each element starts.
    const starts = elementLines(text)
    v.forEach((el, i) => {
      const line = starts[i] ?? i + 1
      if (el && typeof el === 'object' && !Array.isArray(el)) rows.push({ line, values: el as Record<string, unknown> })
      else rows.push({ line, values: {}, problem: 'not a JSON object' })
    })
  }
  const header = [...new Set(rows.flatMap((r) => Object.keys(r.values)))]
  return { header, rows }
}

/** Line of each top-level element of a JSON array (depth-1 '{' or value starts). */
function elementLines(text: string): number[] {
  const out: number[] = []
  let depth = 0
  let line = 1
  let inStr = false
  let expect = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (ch === '\n') line++
    if (inStr) {
      if (ch === '\\') i++
      else if (ch === '"') inStr = false
      continue
    }
    if (depth === 1 && expect && !/\s/.test(ch) && ch !== ']') {
      out.push(line)
      expect = false
    }
    if (ch === '"') inStr = true
    else if (ch === '[' || ch === '{') {
      depth++
      if (depth === 1) expect = true
    } else if (ch === ']' || ch === '}') depth--
    else if (ch === ',' && depth === 1) expect = true
  }
  return out
}
