/**
 * The transaction log's search as URL query text, so an opened message keeps the search it was
 * found with (previous / next in the inspector; a copied link opens the same walk). Pure.
 */
import { TX_DIRECTIONS, TX_STATUSES, type TxStatus } from '../../../../shared/api/transactions'
import { TIME_PRESETS, type TimePreset } from '../../components/console/time-presets'
import { EMPTY_FILTER, type LogFilter } from './log-filter'

export function filterToSearch(f: LogFilter): string {
  const p = new URLSearchParams()
  if (f.q.trim()) p.set('q', f.q.trim())
  if (f.statuses.length) p.set('status', f.statuses.join(','))
  if (f.connector) p.set('connector', f.connector)
  if (f.channel) p.set('channel', f.channel)
  if (f.direction) p.set('dir', f.direction)
  if (f.messageType.trim()) p.set('type', f.messageType.trim())
  if (f.range.preset !== 'all') p.set('range', f.range.preset)
  if (f.range.preset === 'custom') {
    if (f.range.from !== undefined) p.set('from', String(f.range.from))
    if (f.range.to !== undefined) p.set('to', String(f.range.to))
  }
  return p.toString()
}

/** The filter a query string stands for; null when it names no search (opened from elsewhere). */
export function searchToFilter(search: string): LogFilter | null {
  const p = new URLSearchParams(search)
  const keys = ['q', 'status', 'connector', 'channel', 'dir', 'type', 'range']
  if (!keys.some((k) => p.has(k))) return null
  const num = (k: string) => {
    const v = Number(p.get(k))
    return p.has(k) && Number.isFinite(v) ? v : undefined
  }
  const statuses = (p.get('status') ?? '').split(',').filter((s): s is TxStatus => (TX_STATUSES as readonly string[]).includes(s))
  const dir = p.get('dir')
  const range = p.get('range')
  const preset = TIME_PRESETS.some((x) => x.value === range) ? (range as TimePreset) : range === 'custom' ? 'custom' : 'all'
  const from = num('from')
  const to = num('to')
  return {
    ...EMPTY_FILTER,
    q: p.get('q') ?? '',
    statuses,
    connector: p.get('connector'),
    channel: p.get('channel'),
    direction: dir && (TX_DIRECTIONS as readonly string[]).includes(dir) ? (dir as LogFilter['direction']) : null,
    messageType: p.get('type') ?? '',
    range: preset === 'custom' ? { preset, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) } : { preset },
  }
}

/** Where the current message sits in the search's first page, and its neighbours (newest first). */
export function neighbours(ids: number[], id: number): { index: number; prev: number | null; next: number | null } {
  const index = ids.indexOf(id)
  if (index < 0) return { index, prev: null, next: null }
  return { index, prev: index > 0 ? (ids[index - 1] as number) : null, next: index < ids.length - 1 ? (ids[index + 1] as number) : null }
}
