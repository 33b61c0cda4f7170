/**
 * Restores a backup file into a data folder that holds no database yet (`serve --restore FILE
 * --backup-key-file KEY`). The backup key (the recovery key the operator exported) authenticates
 * the file before anything is written; the secrets it carries (the database key among them) go
 * into the new folder's secret store; both database files must pass `PRAGMA integrity_check`;
 * and the audit chain must verify against the checkpoint the backup carried. The inbox's id
 * sequence is raised to the move cursor, so rows the main copy already holds are only deleted at
 * the first start, never moved twice. The restore itself is the first new audit entry.
 */
import { existsSync } from 'node:fs'
import { rename } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError } from '../../../shared/errors'
import { AuditLog, parseCheckpoint, type VerifyResult } from '../audit/audit-log'
import { systemClock, type Clock } from '../core/clock'
import { DB_FILE } from '../core/data-dir'
import type { SecretName, SecretStore } from '../secrets/secret-store'
import { openDatabase, type Db } from '../store/database'
import { INBOX_FILE } from '../store/inbox-db'
import { extractPart, readArchiveHeader, readSealed } from './backup-archive'

export interface RestoreReport {
  createdAt: number
  version: string
  files: { name: string; bytes: number }[]
  integrity: { database: string; inbox: string }
  audit: Omit<VerifyResult, 'head'> & { head: number }
}

function integrityCheck(db: Db): string {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[]
  return rows.map((r) => r.integrity_check).join('; ')
}

export async function restoreBackup(o: { file: string; dataDir: string; backupKey: Buffer; secrets: SecretStore; actor: string; clock?: Clock }): Promise<RestoreReport> {
  const clock = o.clock ?? systemClock
  for (const f of [DB_FILE, INBOX_FILE]) {
    if (existsSync(join(o.dataDir, f))) throw new AppError('conflict', `${o.dataDir} already holds ${f}: a backup is restored only into a data folder without a database.`)
  }
  const header = await readArchiveHeader(o.file, o.backupKey)
  const sealed = await readSealed(o.file, header, o.backupKey)
  const keyHex = sealed.secrets['db-key']
  if (!keyHex) throw new AppError('invalid_input', `${o.file} carries no database key.`)
  for (const part of header.files) {
    if (part.name !== DB_FILE && part.name !== INBOX_FILE) throw new AppError('invalid_input', `${o.file} holds an unexpected part "${part.name}".`)
    const target = join(o.dataDir, part.name)
    await extractPart(o.file, part, `${target}.restoring`)
    await rename(`${target}.restoring`, target)
  }
  for (const [name, value] of Object.entries(sealed.secrets)) await o.secrets.set(name as SecretName, value)

  const db = openDatabase({ file: join(o.dataDir, DB_FILE), keyHex })
  const inbox = openDatabase({ file: join(o.dataDir, INBOX_FILE), keyHex })
  try {
    const integrity = { database: integrityCheck(db), inbox: integrityCheck(inbox) }
    if (integrity.database !== 'ok' || integrity.inbox !== 'ok') {
      throw new AppError('db_open_failed', `The restored database does not pass its integrity check (database: ${integrity.database}; inbox: ${integrity.inbox}).`)
    }
    // The inbox copy was taken before the main copy: rows moved in between are in both. Ids at or
    // below the cursor count as moved; the sequence must not restart below it (store/inbox-db.ts).
    const cursor = (db.prepare('SELECT moved_upto FROM inbox_moves WHERE id = 1').get() as { moved_upto: number } | undefined)?.moved_upto ?? 0
    const seq = (inbox.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'inbox'").get() as { seq: number } | undefined)?.seq
    if (seq === undefined) inbox.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('inbox', ?)").run(cursor)
    else if (seq < cursor) inbox.prepare("UPDATE sqlite_sequence SET seq = ? WHERE name = 'inbox'").run(cursor)

    const auditKey = sealed.secrets['audit-key']
    const audit = new AuditLog(db, clock, auditKey ? Buffer.from(auditKey, 'hex') : null)
    const anchorText = sealed.secrets['audit-anchor']
    const verified = audit.verify(anchorText ? parseCheckpoint(anchorText) : undefined)
    audit.append({
      actor: o.actor,
      action: 'backup.restore',
      targetType: 'backup',
      targetId: o.file.split(/[\\/]/).pop() ?? o.file,
      outcome: verified.ok ? 'ok' : 'error',
      details: { createdAt: header.createdAt, version: header.version, auditHead: verified.head?.seq ?? 0, auditOk: verified.ok },
    })
    const { head, ...rest } = verified
    return { createdAt: header.createdAt, version: header.version, files: header.files.map((f) => ({ name: f.name, bytes: f.bytes })), integrity, audit: { ...rest, head: head?.seq ?? 0 } }
  } finally {
    inbox.close()
    db.close()
  }
}
