/**
 * Builds the transaction log export (CSV or JSON) from pages of summaries. Pure, so the rules are
 * unit-tested: CSV cells are quoted when needed, and a cell that a spreadsheet would run as a
 * formula (starting with = + - @, a tab or a carriage return) gets a leading apostrophe.
 */
import type { TxSummary } from '../../../../shared/api/transactions'
import { csvCell } from '../../../../shared/csv'

export const EXPORT_COLUMNS: { key: keyof TxSummary; header: string }[] = [
  { key: 'id', header: 'id' },
  { key: 'receivedAt', header: 'received_at' },
  { key: 'practiceId', header: 'practice' },
  { key: 'connector', header: 'connector' },
  { key: 'channel', header: 'interface' },
  { key: 'direction', header: 'direction' },
  { key: 'messageType', header: 'message_type' },
  { key: 'controlId', header: 'control_id' },
  { key: 'mrn', header: 'mrn' },
  { key: 'patientId', header: 'patient_id' },
  { key: 'appointmentId', header: 'appointment_id' },
  { key: 'status', header: 'status' },
  { key: 'attempts', header: 'attempts' },
  { key: 'durationMs', header: 'duration_ms' },
  { key: 'errorCode', header: 'error_code' },
  { key: 'errorMessage', header: 'error_message' },
  { key: 'triageState', header: 'triage' },
]

/** One CSV cell: formula-looking text neutralised, then quoted if it holds a comma, quote or line break (shared/csv.ts, like every CSV we write). */
export { csvCell }

export function csvHeader(): string {
  return EXPORT_COLUMNS.map((c) => c.header).join(',') + '\r\n'
}

export function csvRows(items: TxSummary[]): string {
  return items
    .map((t) => EXPORT_COLUMNS.map((c) => csvCell(c.key === 'receivedAt' ? new Date(t.receivedAt).toISOString() : t[c.key])).join(',') + '\r\n')
    .join('')
}

/** JSON export as chunks of one array, so a large export is never one giant string. */
export function jsonChunk(items: TxSummary[], first: boolean): string {
  return items.map((t, i) => (first && i === 0 ? '[\n' : ',\n') + JSON.stringify({ ...t, receivedAt: new Date(t.receivedAt).toISOString() })).join('')
}

export function jsonEnd(empty: boolean): string {
  return empty ? '[]\n' : '\n]\n'
}

export function exportFileName(practiceId: string, format: 'csv' | 'json', at: Date): string {
  const stamp = at.toISOString().replace(/[:.]/g, '-').slice(0, 19)
  return `transactions-${practiceId}-${stamp}.${format}`
}
