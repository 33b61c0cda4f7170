/**
 * Prepared statements kept per connection for queries built at call sites that run for every
 * message (connection and practice lookups, the live mapping version): preparing costs more than
 * running them. Keyed by the SQL text, so only constant SQL belongs here.
 */
import type { Statement } from 'better-sqlite3-multiple-ciphers'
import type { Db } from './database'

const byDb = new WeakMap<Db, Map<string, Statement>>()

export function cachedStatement(db: Db, sql: string): Statement {
  let m = byDb.get(db)
  if (!m) byDb.set(db, (m = new Map()))
  let s = m.get(sql)
  if (!s) m.set(sql, (s = db.prepare(sql)))
  return s
}
