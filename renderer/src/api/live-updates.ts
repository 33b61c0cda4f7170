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
  // Every audited action appends: only the audit page's list follows it (security alerts below).
  'audit.appended': ['audit.list'],
  'notifications.raised': ['alerts.', 'system.status'],
  'files.changed': ['files.', 'matching.'],
}

/** The security banner (audit.alerts, on every page) changes only when an alert is raised or acknowledged. */
function extra(name: string, payload: unknown): string[] {
  const action = (payload as { action?: unknown } | null | undefined)?.action
  return name === 'audit.appended' && typeof action === 'string' && action.startsWith('security_alert.') ? ['audit.alerts'] : []
}

export function applyEvent(qc: QueryClient, name: string, payload?: unknown): void {
  const prefixes = [...(INVALIDATES[name] ?? []), ...extra(name, payload)]
  if (!prefixes.length) return
  void qc.invalidateQueries({
    predicate: (q) => {
      const m = q.queryKey[0] as Method | string
      return typeof m === 'string' && prefixes.some((p) => m.startsWith(p))
    },
  })
}
