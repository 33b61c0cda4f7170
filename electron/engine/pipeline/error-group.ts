/**
 * Groups failures by cause so one fix can clear hundreds: same error code and the same message
 * once the variable parts (numbers, ids, quoted values, dates) are blanked out.
 */
export function errorPattern(message: string): string {
  return message
    .replace(/"[^"]*"|'[^']*'/g, '"…"')
    .replace(/\b\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?\b/g, '<date>')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>')
    .replace(/\d+/g, '#')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 240)
}

export function errorGroupKey(code: string, message: string): string {
  return `${code}|${errorPattern(message)}`
}
