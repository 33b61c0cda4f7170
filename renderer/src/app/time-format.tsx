/** Times as every page shows them: the zone the person chose (practice / this computer / UTC), always named. */
import { useMemo } from 'react'
import { formatClock, formatDay, formatInstant, localZone, readableHl7Timestamp, resolveZone, type ZoneChoice } from '../components/time'
import { usePractice } from './practice-context'
import { useZonePreference } from './zone-preference'

export interface TimeFormat {
  choice: ZoneChoice
  /** The IANA zone in use. */
  zone: string
  format(ms: number | null | undefined): string
  /** With milliseconds (engine log). */
  precise(ms: number): string
  clock(ms: number): string
  day(ms: number): string
  hl7(raw: string): string | null
}

export function useTimeFormat(): TimeFormat {
  const [choice] = useZonePreference()
  const { practice } = usePractice()
  const zone = resolveZone(choice, practice?.timeZone, localZone())
  return useMemo(
    () => ({
      choice,
      zone,
      format: (ms) => formatInstant(ms, zone),
      precise: (ms) => formatInstant(ms, zone, { millis: true }),
      clock: (ms) => formatClock(ms, zone),
      day: (ms) => formatDay(ms, zone),
      hl7: (raw) => readableHl7Timestamp(raw, zone),
    }),
    [choice, zone],
  )
}

/** One instant, in the chosen zone; the machine-readable UTC instant rides along for copy and tests. */
export function Time({ value }: { value: number | null | undefined }) {
  const t = useTimeFormat()
  if (value === null || value === undefined) return <>—</>
  return (
    <time dateTime={new Date(value).toISOString()} data-zone={t.zone} style={{ whiteSpace: 'nowrap' }}>
      {t.format(value)}
    </time>
  )
}
