/**
 * Numbered, forward-only migrations. Each runs in its own transaction and is recorded with a
 * SHA-256 of its SQL: a shipped migration that was edited afterwards is refused (its checksum no
 * longer matches), and a database written by a newer build (unknown higher version) is refused
 * rather than half-understood. Add a migration: new file NNNN-name.ts, append it here, add a test.
 */
import { createHash } from 'node:crypto'
import { AppError } from '../../../../shared/errors'
import type { Db } from '../database'
import { migration0001 } from './0001-core'
import { migration0010 } from './0010-mapping'
import { migration0011 } from './0011-mapping-studio'
import { migration0020 } from './0020-hl7'
import { migration0030 } from './0030-athena'
import { migration0040 } from './0040-operator-console'
import { migration0050 } from './0050-athena-push'
import { migration0060 } from './0060-inbox'
import { migration0100 } from './0100-access'
import { migration0070 } from './0070-audit-retention-backups'
import { migration0130 } from './0130-fhir'
import { migration0140 } from './0140-file-jobs'
import { migration0141 } from './0141-demographics'
import { migration0142 } from './0142-patient-matching'
import { migration0110 } from './0110-feeds'
import { migration0111 } from './0111-alert-delivery'
import { migration0112 } from './0112-pending-patient-links'
import { migration0150 } from './0150-billing-files'
import { migration0151 } from './0151-appointment-batches'
import { migration0160 } from './0160-transaction-raw'
import { migration0170 } from './0170-raw-pruned-rule'
import { migration0180 } from './0180-athena-call-detail'
import { migration0190 } from './0190-tx-hourly'
import { migration0200 } from './0200-athena-sync-totals'
import { migration0230 } from './0230-record-bodies'
import { migration0240 } from './0240-bodies-by-hash'

export interface Migration {
  version: number
  name: string
  sql: string
}

export const MIGRATIONS: readonly Migration[] = [migration0001, migration0010, migration0011, migration0020, migration0030, migration0040, migration0050, migration0060, migration0070, migration0100, migration0110, migration0111, migration0112, migration0130, migration0140, migration0141, migration0142, migration0150, migration0151, migration0160, migration0170, migration0180, migration0190, migration0200, migration0230, migration0240]

export function checksum(m: Migration): string {
  return createHash('sha256').update(m.sql).digest('hex')
}

export interface MigrationReport {
  applied: number[]
  current: number
}

export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS, now: () => number = Date.now): MigrationReport {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`)
  const rows = db.prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version').all() as {
    version: number
    name: string
    checksum: string
  }[]
  const known = new Map(migrations.map((m) => [m.version, m]))
  for (const row of rows) {
    const m = known.get(row.version)
    if (!m) {
      throw new AppError(
        'db_open_failed',
        `The database was written by a newer version of Practice Studio (schema ${row.version} "${row.name}"). Upgrade the app to open it.`,
      )
    }
    if (checksum(m) !== row.checksum) {
      throw new AppError('db_open_failed', `Migration ${row.version} "${row.name}" was changed after it was applied; refusing to continue.`)
    }
  }
  const done = new Set(rows.map((r) => r.version))
  const applied: number[] = []
  const ordered = [...migrations].sort((a, b) => a.version - b.version)
  // Numbers are reserved per area (see docs/ARCHITECTURE.md), so gaps are allowed; duplicates are not.
  ordered.forEach((m, i) => {
    if (i > 0 && m.version === ordered[i - 1].version) throw new AppError('internal', `Two migrations share version ${m.version}.`)
  })
  const highestApplied = rows.length ? rows[rows.length - 1].version : 0
  for (const m of ordered) {
    if (!done.has(m.version) && m.version < highestApplied) {
      throw new AppError('db_open_failed', `Migration ${m.version} "${m.name}" is older than the newest applied one (${highestApplied}); migrations are forward-only.`)
    }
  }
  for (const m of ordered) {
    if (done.has(m.version)) continue
    db.transaction(() => {
      db.exec(m.sql)
      db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)').run(m.version, m.name, checksum(m), now())
    }).immediate()
    applied.push(m.version)
  }
  return { applied, current: ordered.length === 0 ? 0 : ordered[ordered.length - 1].version }
}
