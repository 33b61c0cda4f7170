/**
 * Every CSV the product writes goes through `csvCell`: a text cell that a spreadsheet would run as
 * a formula (starting with = + - @, or a tab or carriage return before one) gets a leading
 * apostrophe (OWASP "CSV injection"), then the cell is quoted when it holds a delimiter, quote or
 * line break. Numbers and booleans are written as they are (a negative amount stays a number).
 * Readers of our own CSVs take the apostrophe off again with `unneutralise`.
 */
const FORMULA_START = /^[=+\-@\t\r]/

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return ''
  let s = typeof value === 'string' ? value : String(value)
  if (typeof value === 'string' && FORMULA_START.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function csvLine(values: readonly unknown[]): string {
  return values.map(csvCell).join(',')
}

/** A cell we neutralised on the way out, back to its text ("'=1+2" → "=1+2"). */
export function unneutralise(s: string): string {
  return s.length > 1 && s[0] === "'" && FORMULA_START.test(s.slice(1)) ? s.slice(1) : s
}
