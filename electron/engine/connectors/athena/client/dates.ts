/**
 * athena's date spellings (reference §3.5, H): dates `MM/DD/YYYY` (sometimes unpadded or with
 * escaped slashes on output), appointment times `HH:MM` local to the department, audit stamps and
 * changed-feed replay parameters `MM/DD/YYYY HH:MM:SS` in US Eastern.
 */
export const EASTERN = 'America/New_York'

function parts(epochMs: number, zone: string): Record<string, string> {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })
  const out: Record<string, string> = {}
  for (const p of f.formatToParts(new Date(epochMs))) out[p.type] = p.value
  return out
}

/** `MM/DD/YYYY` of an instant in `zone`. */
export function athenaDate(epochMs: number, zone: string = EASTERN): string {
  const p = parts(epochMs, zone)
  return `${p.month}/${p.day}/${p.year}`
}

/** `MM/DD/YYYY HH:MM:SS` in US Eastern (feed replay windows, lastmodified filters). */
export function easternStamp(epochMs: number): string {
  const p = parts(epochMs, EASTERN)
  return `${p.month}/${p.day}/${p.year} ${p.hour}:${p.minute}:${p.second}`
}

/** `MM/DD/YYYY` (also `M/D/YYYY`, `MM\/DD\/YYYY`) → `YYYY-MM-DD`, or null. */
export function isoFromAthenaDate(s: unknown): string | null {
  if (typeof s !== 'string') return null
  const m = /^(\d{1,2})\\?\/(\d{1,2})\\?\/(\d{4})/.exec(s.trim())
  if (!m) return null
  const mo = Number(m[1])
  const d = Number(m[2])
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return null
  return `${m[3]}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`
}

/** `YYYY-MM-DD` → `MM/DD/YYYY` (inputs from the console are ISO dates). */
export function athenaFromIsoDate(s: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s.trim())
  if (!m) throw new Error('not an ISO date')
  return `${m[2]}/${m[3]}/${m[1]}`
}

/** Adds whole days to `YYYY-MM-DD`. */
export function addDaysIso(iso: string, days: number): string {
  const t = Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000
  return new Date(t).toISOString().slice(0, 10)
}

/** Today's `YYYY-MM-DD` in `zone`. */
export function isoToday(epochMs: number, zone: string = EASTERN): string {
  const p = parts(epochMs, zone)
  return `${p.year}-${p.month}-${p.day}`
}
