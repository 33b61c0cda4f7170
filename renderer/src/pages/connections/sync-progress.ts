/** Words for a running sync's estimate (athena.syncStatus `progress`), kept apart from the card so they are tested alone. */
import type { SyncEstimate } from '../../../../shared/api/athena'

/** "about 40 s left", "about 12 min left", "about 2 h 5 min left": rounded, never "0". */
export function timeLeft(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000))
  if (s < 60) return `about ${s < 10 ? s : Math.round(s / 5) * 5} s left`
  const min = Math.max(1, Math.round(s / 60))
  if (min < 120) return `about ${min} min left`
  return `about ${Math.floor(min / 60)} h ${min % 60} min left`
}

const n = (x: number): string => x.toLocaleString('en-US')

export interface ProgressWords {
  /** "1,200 of about 4,000 records" / "1,200 records so far" / "4,100 records, more than the 4,000 expected". */
  count: string
  /** "about 3 min left" / "estimating…" / null when nothing honest can be said. */
  eta: string | null
  /** Where the total comes from, for the tooltip. */
  basis: string | null
  /** 0–100 for the bar, null when there is no bar (no total, or more than expected). */
  percent: number | null
}

export function progressWords(p: SyncEstimate): ProgressWords {
  const basis = p.basis === 'totalcount' ? "Total from athenaNet's totalcount" : p.basis === 'previous-run' ? 'Total from the last full sync of this stream' : null
  if (p.expected === null) return { count: `${n(p.done)} records so far`, eta: null, basis: 'No total yet: athenaNet sent none and no full sync has finished before, so no estimate', percent: null }
  if (p.state === 'overrun') return { count: `${n(p.done)} records, more than the ${n(p.expected)} expected`, eta: 'no estimate', basis, percent: null }
  const percent = p.expected === 0 ? 100 : Math.min(100, Math.floor((p.done / p.expected) * 100))
  return { count: `${n(p.done)} of about ${n(p.expected)} records`, eta: p.state === 'estimated' && p.remainingMs !== null ? timeLeft(p.remainingMs) : 'estimating…', basis, percent }
}
