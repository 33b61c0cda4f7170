/**
 * The last connectivity result of each connection, wherever it was run (Connections page,
 * Connectivity page, the API), so every page shows the same answer and a restart keeps it. Kept in
 * the settings table (one key per connection); results carry steps, codes and timings, never secrets.
 */
import { connectivityResultSchema, type ConnectivityResult } from '../../../shared/api/connections'
import type { Db } from '../store/database'

const PREFIX = 'connectivity.last:'

export class LastTests {
  constructor(private readonly db: Db) {}

  record(r: ConnectivityResult): void {
    this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(PREFIX + r.connectionId, JSON.stringify(r))
  }

  /** Results for these connections (absent: never tested, or the stored one no longer reads). */
  forConnections(ids: string[]): ConnectivityResult[] {
    const get = this.db.prepare('SELECT value FROM settings WHERE key = ?')
    const out: ConnectivityResult[] = []
    for (const id of ids) {
      const row = get.get(PREFIX + id) as { value: string } | undefined
      if (!row) continue
      const parsed = connectivityResultSchema.safeParse(JSON.parse(row.value))
      if (parsed.success) out.push(parsed.data)
    }
    return out
  }

  forget(id: string): void {
    this.db.prepare('DELETE FROM settings WHERE key = ?').run(PREFIX + id)
  }
}
