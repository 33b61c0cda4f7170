/** Reading HL7 TS/DTM values: `YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]`. Used by the engine and the console. */

const TS_RE = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?)?)?([+-]\d{4})?$/

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/**
 * ISO 8601 text at the precision the sender gave: `1980`, `1980-01`, `1980-01-31`,
 * `1980-01-31T08:30`, `…T08:30:15.250+01:00`. Undefined for anything that is not a valid date.
 */
export function hl7TimestampToIso(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const m = TS_RE.exec(value.trim())
  if (!m) return undefined
  const [, y, mo, d, h, mi, s, frac, tz] = m
  const year = Number(y)
  let out = y as string
  if (mo === undefined) return out
  const month = Number(mo)
  if (month < 1 || month > 12) return undefined
  out += '-' + mo
  if (d === undefined) return out
  const day = Number(d)
  if (day < 1 || day > daysIn(year, month)) return undefined
  out += '-' + d
  if (h === undefined) return out
  if (Number(h) > 23) return undefined
  if (mi === undefined) {
    out += `T${h}:00`
  } else {
    if (Number(mi) > 59) return undefined
    out += `T${h}:${mi}`
    if (s !== undefined) {
      if (Number(s) > 59) return undefined
      out += ':' + s
      if (frac !== undefined) out += '.' + frac.padEnd(3, '0').slice(0, 3)
    }
  }
  if (tz !== undefined) {
    const hh = Number(tz.slice(1, 3))
    const mm = Number(tz.slice(3, 5))
    if (hh > 14 || mm > 59) return undefined
    out += `${tz[0]}${tz.slice(1, 3)}:${tz.slice(3, 5)}`
  }
  return out
}
