/**
 * Settings of the installation rather than of one practice (audit checkpoint export, backups, the
 * pruner's window): one JSON document in the `settings` table, validated with the shared schema on
 * every read and write. Every change is audited with what changed.
 */
import { AppError } from '../../../shared/errors'
import { systemSettingsSchema, type SystemSettings } from '../../../shared/config'
import type { AuditLog } from '../audit/audit-log'
import type { Db } from '../store/database'

const KEY = 'system.settings'

export class SystemSettingsRepo {
  private listeners: ((s: SystemSettings) => void)[] = []

  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
  ) {}

  get(): SystemSettings {
    const r = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(KEY) as { value: string } | undefined
    const parsed = systemSettingsSchema.safeParse(r ? JSON.parse(r.value) : {})
    // A stored document this build cannot read (edited by hand) falls back to the defaults rather than stopping the engine.
    return parsed.success ? parsed.data : systemSettingsSchema.parse({})
  }

  /** Replaces the settings (validated); `check` may refuse values the schema cannot judge (a cron expression). */
  save(input: unknown, actor: string, check?: (s: SystemSettings) => void): SystemSettings {
    const r = systemSettingsSchema.safeParse(input)
    if (!r.success) {
      throw new AppError('invalid_input', 'The system settings are invalid.', { details: { issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) } })
    }
    check?.(r.data)
    const before = this.get()
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(KEY, JSON.stringify(r.data))
      const changed: Record<string, { from: unknown; to: unknown }> = {}
      for (const k of Object.keys(r.data) as (keyof SystemSettings)[]) {
        if (JSON.stringify(before[k]) !== JSON.stringify(r.data[k])) changed[k] = { from: before[k], to: r.data[k] }
      }
      this.audit.append({ actor, action: 'system.settings.update', targetType: 'system', targetId: 'settings', details: { changed } })
    })()
    for (const l of this.listeners) l(r.data)
    return r.data
  }

  onChange(fn: (s: SystemSettings) => void): void {
    this.listeners.push(fn)
  }
}
