/**
 * A schedule file's rows with their line numbers: CSV (header row, BOM, quoting; csv-parse) or
 * JSON (an array of objects, or one object per line). Values stay text; the mapping set reads them.
 */
import { parse as parseCsv } from 'csv-parse/sync'
import { AppError } from '../../../../../shared/errors'

export interface FileRow {
  /** 1-based line of the file where the row starts (the CSV header is line 1). */
  line: number
  values: Record<string, string>
}

export function detectFormat(fileName: string, text: string): 'csv' | 'json' {
  if (/\.(json|ndjson|jsonl)$/i.test(fileName)) return 'json'
  if (/\.csv$/i.test(fileName)) return 'csv'
  return /^\s*[[{]/.test(text) ? 'json' : 'csv'
}

const asText = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v))

export function readRows(text: string, format: 'csv' | 'json'): { columns: string[]; rows: FileRow[] } {
  const body = text.replace(/^\uFEFF/, '')
  if (format === 'json') {
    const trimmed = body.trim()
    let items: Array<{ line: number; value: unknown }>
    try {
      if (trimmed.startsWith('[')) {
        const arr = JSON.parse(trimmed) as unknown[]
        // An array has no lines per element worth trusting; its position (1-based) is the row's number.
        items = arr.map((value, i) => ({ line: i + 1, value }))
      } else {
        items = body.split('\n').flatMap((l, i) => (l.trim() === '' ? [] : [{ line: i + 1, value: JSON.parse(l) as unknown }]))
      }
    } catch (e) {
      throw new AppError('parse_error', `The JSON schedule file cannot be read: ${(e as Error).message}`, { retryable: false })
    }
    const columns = new Set<string>()
    const rows = items.map(({ line, value }) => {
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new AppError('parse_error', `Row ${line} of the JSON schedule file is not an object.`, { retryable: false })
      const values: Record<string, string> = {}
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        columns.add(k)
        values[k] = asText(v)
      }
      return { line, values }
    })
    return { columns: [...columns], rows }
  }
  let records: Array<{ record: Record<string, string>; info: { lines: number } }>
  try {
    records = parseCsv(body, { columns: true, skip_empty_lines: true, trim: false, relax_column_count: true, info: true }) as typeof records
  } catch (e) {
    throw new AppError('parse_error', `The CSV schedule file cannot be read: ${(e as Error).message}`, { retryable: false })
  }
  const firstLine = body.split(/\r?\n/, 1)[0] ?? ''
  const columns = firstLine === '' ? [] : (parseCsv(firstLine, { trim: true })[0] as string[])
  return { columns, rows: records.map((r) => ({ line: r.info.lines, values: r.record })) }
}
