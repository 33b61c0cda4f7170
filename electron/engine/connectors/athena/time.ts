/** athena wall-clock date + time in a department's zone → UTC ISO (the console's slot list). */
import { zoneFromName, wallClockToInstant, toUtcIso } from '../../mapping/time-zones'

export function wallClockToUtcIso(date: string, time: string, zoneName: string): string | null {
  const d = /^(\d{1,2})\\?\/(\d{1,2})\\?\/(\d{4})$/.exec(date.trim())
  const t = /^(\d{1,2}):(\d{2})$/.exec(time.trim())
  const zone = zoneFromName(zoneName)
  if (!d || !t || !zone) return null
  return toUtcIso(wallClockToInstant({ year: Number(d[3]), month: Number(d[1]), day: Number(d[2]), hour: Number(t[1]), minute: Number(t[2]), precision: 'time' }, zone))
}
