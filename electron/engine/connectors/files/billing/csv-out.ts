/**
 * CSV we write: RFC 4180 quoting, CRLF, and formula-injection safety (a cell starting with
 * = + - @ or a tab/CR is prefixed with an apostrophe so a spreadsheet shows it as text).
 * Numbers we produce ourselves are passed as numbers and never neutralised.
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'number') return String(v)
  let s = String(v)
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function toCsv(header: string[], rows: unknown[][]): string {
  return [header.map(csvCell).join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\r\n') + '\r\n'
}
