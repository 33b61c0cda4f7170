/** HL7 TS/DTM values: `YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]`. */

// The reading half lives in shared/ so the console renders timestamps with the same rules.
export { hl7TimestampToIso } from '../../../../shared/hl7-timestamp'

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0')
}

/** Epoch milliseconds as an HL7 timestamp with an explicit offset (default UTC, `+0000`). */
export function formatHl7Timestamp(epochMs: number, offsetMinutes = 0): string {
  const d = new Date(epochMs + offsetMinutes * 60_000)
  const sign = offsetMinutes < 0 ? '-' : '+'
  const abs = Math.abs(offsetMinutes)
  return (
    `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}` +
    `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  )
}
