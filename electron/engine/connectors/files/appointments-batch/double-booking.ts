/**
 * Double-booking: one provider (optionally per department) in two appointments at once. Intervals
 * are half-open [start, end): one ending at 10:00 and one starting at 10:00 do not overlap.
 * Cancelled and no-show appointments free their time; overbook types may overlap anything.
 */
export interface Slot {
  recordId: number
  appointmentId: string
  provider: string
  department: string
  start: number
  end: number
  type: string
  status: string
}

const DAY = 86_400_000
const FREE = new Set(['cancelled', 'no_show', 'open'])

export class BookingIndex {
  private readonly buckets = new Map<string, Slot[]>()
  private readonly byRecord = new Map<number, Slot>()

  constructor(
    private readonly scope: 'provider' | 'provider_department',
    private readonly overbookTypes: ReadonlySet<string>,
  ) {}

  private key(s: Pick<Slot, 'provider' | 'department'>, day: number): string {
    return `${s.provider}|${this.scope === 'provider_department' ? s.department : ''}|${day}`
  }

  private days(s: Slot): number[] {
    const out: number[] = []
    for (let d = Math.floor(s.start / DAY); d <= Math.floor(Math.max(s.start, s.end - 1) / DAY); d++) out.push(d)
    return out
  }

  /** Adds or moves a stored appointment. */
  put(s: Slot): void {
    this.remove(s.recordId)
    if (!(s.end > s.start) || s.provider === '' || FREE.has(s.status)) return
    this.byRecord.set(s.recordId, s)
    for (const d of this.days(s)) {
      const k = this.key(s, d)
      const list = this.buckets.get(k)
      if (list) list.push(s)
      else this.buckets.set(k, [s])
    }
  }

  remove(recordId: number): void {
    const s = this.byRecord.get(recordId)
    if (!s) return
    this.byRecord.delete(recordId)
    for (const d of this.days(s)) {
      const k = this.key(s, d)
      const list = this.buckets.get(k)
      if (list) this.buckets.set(k, list.filter((x) => x.recordId !== recordId))
    }
  }

  /** The appointments `s` would overlap (excluding itself), unless either side is an overbook type. */
  overlaps(s: Slot): Slot[] {
    if (!(s.end > s.start) || s.provider === '' || FREE.has(s.status) || this.overbookTypes.has(s.type)) return []
    const seen = new Set<number>()
    const out: Slot[] = []
    for (const d of this.days(s)) {
      for (const o of this.buckets.get(this.key(s, d)) ?? []) {
        if (o.recordId === s.recordId || seen.has(o.recordId) || this.overbookTypes.has(o.type)) continue
        seen.add(o.recordId)
        if (s.start < o.end && o.start < s.end) out.push(o)
      }
    }
    return out
  }
}
