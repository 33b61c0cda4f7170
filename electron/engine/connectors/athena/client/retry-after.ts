/**
 * Retry-After (RFC 9110 §10.2.3): either delay-seconds or an HTTP-date. Returns milliseconds to
 * wait from `nowMs`, or null when the header is absent or unreadable. A date in the past means
 * "now" (0). Negative or fractional seconds are not valid delay-seconds and are ignored.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value === null || value === undefined) return null
  const v = value.trim()
  if (v === '') return null
  if (/^\d+$/.test(v)) {
    const s = Number(v)
    return Number.isSafeInteger(s) ? s * 1000 : null
  }
  // IMF-fixdate, plus the obsolete RFC 850 / asctime forms Date.parse also reads.
  if (!/[a-z]/i.test(v)) return null
  const at = Date.parse(v)
  if (Number.isNaN(at)) return null
  return Math.max(0, at - nowMs)
}
