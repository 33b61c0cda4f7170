/**
 * What the data folder holds, for Settings and the dashboard: the database and its WAL, the inbox
 * and its WAL, the engine logs, the backups (wherever they are kept) and the rest.
 */
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import type { DataFolderSize } from '../../../shared/api/system'

function fileSize(f: string): number {
  try {
    return statSync(f).size
  } catch {
    return 0
  }
}

function treeSize(dir: string): number {
  let total = 0
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return 0
  }
  for (const n of names) {
    const p = join(dir, n)
    try {
      const st = statSync(p)
      total += st.isDirectory() ? treeSize(p) : st.size
    } catch {
      /* removed meanwhile */
    }
  }
  return total
}

export function dataFolderSize(o: { dataDir: string; dbFile: string; inboxFile: string; backupsDir: string }): DataFolderSize {
  const database = fileSize(o.dbFile)
  const databaseWal = fileSize(`${o.dbFile}-wal`)
  const inbox = fileSize(o.inboxFile)
  const inboxWal = fileSize(`${o.inboxFile}-wal`)
  const logs = treeSize(join(o.dataDir, 'logs'))
  const backups = treeSize(o.backupsDir)
  const total = treeSize(o.dataDir)
  const rel = relative(o.dataDir, o.backupsDir)
  const backupsInside = rel !== '' && !rel.startsWith('..') && !/^[A-Za-z]:|^\//.test(rel)
  const other = Math.max(0, total - database - databaseWal - inbox - inboxWal - logs - (backupsInside ? backups : 0))
  return { database, databaseWal, inbox, inboxWal, logs, backups, other, total, backupsDir: o.backupsDir }
}
