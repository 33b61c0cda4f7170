/**
 * Security alerts: raised by the engine (a failed audit verification), kept until a person
 * acknowledges them, never cleared by "mark all read". The same failure found again (same kind
 * and signature) raises nothing new while a row for it exists; if someone deletes that row, the
 * next check raises it again. Raising and acknowledging are both audited.
 */
import { randomUUID } from 'node:crypto'
import { AppError } from '../../../shared/errors'
import type { Clock } from '../core/clock'
import type { Db } from '../store/database'
import type { AuditLog } from './audit-log'

export interface SecurityAlert {
  id: string
  kind: string
  title: string
  message: string
  raisedAt: number
  acknowledgedAt: number | null
  acknowledgedBy: string | null
  note: string | null
}

interface Row {
  id: string
  kind: string
  signature: string
  title: string
  message: string
  raised_at: number
  acknowledged_at: number | null
  acknowledged_by: string | null
  note: string | null
}

const toAlert = (r: Row): SecurityAlert => ({
  id: r.id,
  kind: r.kind,
  title: r.title,
  message: r.message,
  raisedAt: r.raised_at,
  acknowledgedAt: r.acknowledged_at,
  acknowledgedBy: r.acknowledged_by,
  note: r.note,
})

export class SecurityAlerts {
  private listeners: ((a: SecurityAlert) => void)[] = []

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  onRaise(fn: (a: SecurityAlert) => void): void {
    this.listeners.push(fn)
  }

  /** Raises an alert unless one with this kind and signature exists; returns it when new. */
  raise(kind: string, signature: string, title: string, message: string, details: Record<string, unknown>): SecurityAlert | null {
    const alert = this.db.transaction(() => {
      if (this.db.prepare('SELECT 1 FROM security_alerts WHERE kind = ? AND signature = ?').get(kind, signature)) return null
      const row: Row = { id: randomUUID(), kind, signature, title, message, raised_at: this.clock.now(), acknowledged_at: null, acknowledged_by: null, note: null }
      this.db.prepare('INSERT INTO security_alerts (id, kind, signature, title, message, raised_at) VALUES (@id, @kind, @signature, @title, @message, @raised_at)').run(row)
      this.audit.append({ actor: 'system', action: `security_alert.raise`, targetType: 'security_alert', targetId: row.id, outcome: 'error', details: { kind, ...details } })
      return toAlert(row)
    })()
    if (alert) for (const l of this.listeners) l(alert)
    return alert
  }

  list(q: { openOnly?: boolean; limit?: number } = {}): SecurityAlert[] {
    const rows = this.db
      .prepare(`SELECT * FROM security_alerts ${q.openOnly ? 'WHERE acknowledged_at IS NULL' : ''} ORDER BY raised_at DESC, rowid DESC LIMIT ?`)
      .all(Math.min(q.limit ?? 100, 1000)) as Row[]
    return rows.map(toAlert)
  }

  openCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM security_alerts WHERE acknowledged_at IS NULL').get() as { n: number }).n
  }

  acknowledge(id: string, actor: string, note: string | null): SecurityAlert {
    return this.db.transaction(() => {
      const r = this.db.prepare('SELECT * FROM security_alerts WHERE id = ?').get(id) as Row | undefined
      if (!r) throw new AppError('not_found', `Security alert ${id} does not exist.`)
      if (r.acknowledged_at !== null) throw new AppError('conflict', `Security alert ${id} was already acknowledged by ${r.acknowledged_by}.`)
      const now = this.clock.now()
      this.db.prepare('UPDATE security_alerts SET acknowledged_at = ?, acknowledged_by = ?, note = ? WHERE id = ?').run(now, actor, note, id)
      this.audit.append({ actor, action: 'security_alert.acknowledge', targetType: 'security_alert', targetId: id, details: { kind: r.kind, note: note !== null } })
      return toAlert({ ...r, acknowledged_at: now, acknowledged_by: actor, note })
    })()
  }
}
