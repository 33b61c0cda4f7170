/**
 * Turning sample text into records the mapping engine can read: HL7 v2 (one message or a batch),
 * JSON (one document, a list, an athenaNet list response or a FHIR Bundle) and CSV (header + rows).
 * Which reader a set needs follows from its format and direction: inbound sets read their external
 * format, outbound sets read a canonical Practice Studio record (JSON).
 */
import { parse as parseCsv } from 'csv-parse/sync'
import { AppError, isAppError } from '../../../shared/errors'
import type { SampleKind } from '../../../shared/api/mappings'
import type { MappingSet, MappingTestInput } from '../../../shared/mapping'
import { hl7Accessor, parseHl7, parseHl7Batch, type Hl7Message } from '../connectors/hl7'
import { csvRowAccessor, defaultAccessorFor, jsonAccessor, type AccessorFor, type SourceAccessor } from '../mapping'
import { fhirAccessor } from './fhir-accessor'

export type SampleRecord =
  | { kind: 'hl7'; message: Hl7Message }
  | { kind: 'json'; value: unknown }
  | { kind: 'csv'; headers: string[]; row: Record<string, string> }

export interface ParsedSample {
  kind: SampleKind
  rows: number
  rowLabels: string[]
  record(row: number): SampleRecord
}

const MAX_ROW_LABELS = 500

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

export function detectSampleKind(text: string): SampleKind {
  const t = stripBom(text).trimStart()
  if (/^(MSH|FHS|BHS)/.test(t)) return 'hl7'
  if (t.startsWith('{') || t.startsWith('[')) return 'json'
  return 'csv'
}

/** The sample kind a set reads. */
export function kindForSet(set: Pick<MappingSet, 'format' | 'direction'>): SampleKind {
  if (set.direction === 'outbound') return 'json'
  if (set.format === 'hl7') return 'hl7'
  if (set.format === 'csv') return 'csv'
  return 'json'
}

function parseError(e: unknown, what: string): AppError {
  if (isAppError(e) && (e.code === 'parse_error' || e.code === 'unsupported_message')) return new AppError('parse_error', `${what}: ${e.message}`)
  return new AppError('parse_error', `${what}: ${(e as Error)?.message ?? 'unreadable'}`.slice(0, 300))
}

function jsonRows(value: unknown): unknown[] | null {
  if (Array.isArray(value)) return value
  if (value === null || typeof value !== 'object') return null
  const o = value as Record<string, unknown>
  if (o.resourceType === 'Bundle' && Array.isArray(o.entry)) {
    return (o.entry as { resource?: unknown }[]).map((e) => e?.resource).filter((r) => r !== undefined && r !== null)
  }
  // athenaNet list responses: { "patients": [...], "totalcount": 2 }
  const lists = Object.entries(o).filter(([, v]) => Array.isArray(v) && v.length > 0 && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x)))
  const scalarsOnly = Object.entries(o).every(([k, v]) => lists.some(([l]) => l === k) || v === null || typeof v !== 'object')
  if (lists.length === 1 && scalarsOnly && ('totalcount' in o || 'next' in o || 'previous' in o)) return lists[0]![1] as unknown[]
  return null
}

function jsonLabel(v: unknown, i: number): string {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>
    if (typeof o.resourceType === 'string') return `${i + 1}: ${o.resourceType}/${typeof o.id === 'string' ? o.id : '?'}`
    for (const k of ['patientid', 'appointmentid', 'id', 'external_id']) {
      if (typeof o[k] === 'string' || typeof o[k] === 'number') return `${i + 1}: ${k} ${String(o[k])}`
    }
  }
  return `${i + 1}`
}

export function parseSample(kind: SampleKind, text: string): ParsedSample {
  const body = stripBom(text)
  if (kind === 'hl7') {
    let messages: Hl7Message[]
    try {
      const t = body.trimStart()
      messages = /^(FHS|BHS)/.test(t) || (t.match(/(^|[\r\n])MSH/g)?.length ?? 0) > 1 ? parseHl7Batch(t).messages : [parseHl7(t)]
    } catch (e) {
      throw parseError(e, 'not a readable HL7 v2 message')
    }
    if (messages.length === 0) throw new AppError('parse_error', 'the HL7 file holds no message')
    return {
      kind,
      rows: messages.length,
      rowLabels: messages.slice(0, MAX_ROW_LABELS).map((m, i) => `${i + 1}: ${m.messageType} ${m.controlId}`.trim()),
      record: (row) => ({ kind: 'hl7', message: messages[Math.min(row, messages.length - 1)] as Hl7Message }),
    }
  }
  if (kind === 'json') {
    let value: unknown
    try {
      value = JSON.parse(body) as unknown
    } catch (e) {
      throw parseError(e, 'not valid JSON')
    }
    const rows = jsonRows(value)
    if (!rows || rows.length === 0) return { kind, rows: 1, rowLabels: [jsonLabel(value, 0)], record: () => ({ kind: 'json', value }) }
    return {
      kind,
      rows: rows.length,
      rowLabels: rows.slice(0, MAX_ROW_LABELS).map(jsonLabel),
      record: (row) => ({ kind: 'json', value: rows[Math.min(row, rows.length - 1)] }),
    }
  }
  let records: Record<string, string>[]
  let headers: string[] = []
  try {
    records = parseCsv(body, {
      columns: (h: string[]) => (headers = h),
      skip_empty_lines: true,
      relax_column_count: true,
      bom: true,
    }) as Record<string, string>[]
  } catch (e) {
    throw parseError(e, 'not readable CSV')
  }
  if (records.length === 0) throw new AppError('parse_error', 'the CSV file has a header but no data row')
  const labelCols = headers.slice(0, 3)
  return {
    kind,
    rows: records.length,
    rowLabels: records.slice(0, MAX_ROW_LABELS).map((r, i) => `${i + 2}: ${labelCols.map((c) => r[c] ?? '').join(' ').trim()}`.slice(0, 80)),
    record: (row) => ({ kind: 'csv', headers, row: records[Math.min(row, records.length - 1)] as Record<string, string> }),
  }
}

/** FHIR inbound sets read with FHIRPath; other JSON with dotted paths. */
export function usesFhirPath(set: Pick<MappingSet, 'format' | 'direction'>): boolean {
  return set.format === 'fhir' && set.direction === 'inbound'
}

export function accessorForRecord(rec: SampleRecord, set: Pick<MappingSet, 'format' | 'direction'>): SourceAccessor {
  switch (rec.kind) {
    case 'hl7':
      return hl7Accessor(rec.message)
    case 'csv':
      return csvRowAccessor(rec.row)
    case 'json':
      return usesFhirPath(set) ? fhirAccessor(rec.value) : jsonAccessor(rec.value)
  }
}

/** Mapping-test inputs for every shipped format: HL7 text, FHIR (FHIRPath), JSON and CSV. */
export const studioAccessorFor: AccessorFor = (input: MappingTestInput, set: MappingSet) => {
  if (input.kind === 'json') return usesFhirPath(set) ? fhirAccessor(input.value) : jsonAccessor(input.value)
  if (input.format === 'hl7') {
    try {
      return hl7Accessor(parseHl7(stripBom(input.text)))
    } catch (e) {
      throw parseError(e, 'test input is not a readable HL7 v2 message')
    }
  }
  if (input.format === 'fhir' && usesFhirPath(set)) {
    try {
      return fhirAccessor(JSON.parse(stripBom(input.text)) as unknown)
    } catch (e) {
      throw parseError(e, 'test input is not valid JSON')
    }
  }
  return defaultAccessorFor(input, set)
}

/** A mapping-test input that reproduces one sample record. */
export function testInputFor(rec: SampleRecord): MappingTestInput {
  switch (rec.kind) {
    case 'hl7':
      return { kind: 'text', format: 'hl7', text: rec.message.toString() }
    case 'json':
      return { kind: 'json', value: rec.value }
    case 'csv': {
      const esc = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
      const text = `${rec.headers.map(esc).join(',')}\n${rec.headers.map((h) => esc(rec.row[h] ?? '')).join(',')}\n`
      return { kind: 'text', format: 'csv', text }
    }
  }
}
