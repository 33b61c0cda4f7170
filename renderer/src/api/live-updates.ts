/**
 * Engine events → query invalidation, so every open page stays live without polling.
 */
import type { QueryClient } from '@tanstack/react-query'
import type { Method } from '../../../shared/api'

const INVALIDATES: Record<string, string[]> = {
  'practices.changed': ['practices.', 'connections.', 'system.status'],
  'connections.changed': ['connections.', 'system.status'],
  'listeners.changed': ['system.status', 'connections.', 'dashboard.'],
  'storage.changed': ['system.status', 'alerts.'],
  'transactions.changed': ['transactions.', 'errors.', 'dashboard.', 'inspector.'],
  'audit.appended': ['audit.'],
  'notifications.raised': ['alerts.', 'system.status'],
}

export function applyEvent(qc: QueryClient, name: string): void {
  const prefixes = INVALIDATES[name]
  if (!prefixes) return
  void qc.invalidateQueries({
    predicate: (q) => {
      const m = q.queryKey[0] as Method | string
      return typeof m === 'string' && prefixes.some((p) => m.startsWith(p))
    },
  })
}
