/** Time range presets of the transaction log and dashboard, computed in the console at the moment of use. */
export const TIME_PRESETS = [
  { value: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { value: '1h', label: 'Last hour', ms: 3_600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { value: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
] as const

export type TimePreset = (typeof TIME_PRESETS)[number]['value']

export interface TimeRange {
  /** A preset, 'all', or 'custom' (then from/to are used). */
  preset: TimePreset | 'all' | 'custom'
  from?: number
  to?: number
}

/** The absolute bounds a range stands for now; undefined means unbounded. */
export function resolveRange(r: TimeRange, now: number): { from?: number; to?: number } {
  if (r.preset === 'all') return {}
  if (r.preset === 'custom') return { ...(r.from !== undefined ? { from: r.from } : {}), ...(r.to !== undefined ? { to: r.to } : {}) }
  const p = TIME_PRESETS.find((x) => x.value === r.preset)
  return p ? { from: now - p.ms } : {}
}

/** A `datetime-local` input value in the browser's zone, and back. */
export function toLocalInput(ms: number | undefined): string {
  if (ms === undefined) return ''
  const d = new Date(ms)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

export function fromLocalInput(v: string): number | undefined {
  if (!v) return undefined
  const ms = new Date(v).getTime()
  return Number.isNaN(ms) ? undefined : ms
}

/** Chart buckets: the round size (1, 5, 15, 30 min, 1, 2, 6, 12 h, 1 d) nearest to span / target. */
export function bucketCount(spanMs: number, target = 48): number {
  const sizes = [60_000, 5 * 60_000, 15 * 60_000, 30 * 60_000, 3_600_000, 2 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, 86_400_000]
  const ideal = spanMs / target
  const size = sizes.reduce((best, s) => (Math.abs(Math.log(s / ideal)) < Math.abs(Math.log(best / ideal)) ? s : best))
  return Math.max(1, Math.min(500, Math.ceil(spanMs / size)))
}
