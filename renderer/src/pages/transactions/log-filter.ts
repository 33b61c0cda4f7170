/**
 * The transaction log's filter as the operator sets it, what it means for the engine, and what a
 * saved search keeps of it. Pure (unit-tested); filter-storage.ts keeps it per practice.
 */
import type { SavedFilter } from '../../../../shared/api/saved-searches'
import type { TX_DIRECTIONS, TxFilter, TxStatus } from '../../../../shared/api/transactions'
import { resolveRange, type TimePreset, type TimeRange } from '../../components/console/time-presets'

export interface LogFilter {
  q: string
  statuses: TxStatus[]
  connector: string | null
  channel: string | null
  direction: (typeof TX_DIRECTIONS)[number] | null
  messageType: string
  range: TimeRange
}

export const EMPTY_FILTER: LogFilter = { q: '', statuses: [], connector: null, channel: null, direction: null, messageType: '', range: { preset: 'all' } }

export function toTxFilter(practiceId: string, f: LogFilter, now: number): TxFilter & { practiceId: string } {
  const { from, to } = resolveRange(f.range, now)
  return {
    practiceId,
    ...(f.q.trim() ? { q: f.q.trim() } : {}),
    ...(f.statuses.length ? { statuses: f.statuses } : {}),
    ...(f.connector ? { connector: f.connector } : {}),
    ...(f.channel ? { channel: f.channel } : {}),
    ...(f.direction ? { direction: f.direction } : {}),
    ...(f.messageType.trim() ? { messageType: f.messageType.trim() } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
  }
}

/** What a saved search keeps: relative ranges as presets; a custom range is not saved. */
export function toSaved(f: LogFilter): SavedFilter {
  return {
    ...(f.q.trim() ? { q: f.q.trim() } : {}),
    ...(f.statuses.length ? { statuses: f.statuses } : {}),
    ...(f.connector ? { connector: f.connector } : {}),
    ...(f.channel ? { channel: f.channel } : {}),
    ...(f.direction ? { direction: f.direction } : {}),
    ...(f.messageType.trim() ? { messageType: f.messageType.trim() } : {}),
    ...(f.range.preset !== 'all' && f.range.preset !== 'custom' ? { range: f.range.preset } : {}),
  }
}

export function fromSaved(s: SavedFilter): LogFilter {
  return {
    q: s.q ?? '',
    statuses: s.statuses ?? [],
    connector: s.connector ?? null,
    channel: s.channel ?? null,
    direction: s.direction ?? null,
    messageType: s.messageType ?? '',
    range: s.range ? { preset: s.range as TimePreset } : { preset: 'all' },
  }
}
