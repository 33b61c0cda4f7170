/**
 * Counts what the engine writes, for proving that a raw payload is written once: triggers that log
 * every INSERT, UPDATE and DELETE of `transaction_raw` and every status change of `transactions`,
 * whichever connection makes them (the inbox mover's thread, the lanes, the operator's actions).
 * Installed by a test or a bench in its own database (instrumentation, not a migration).
 */
import type { Db } from '../../electron/engine/store/database'

export function installWriteCounters(db: Db): void {
  db.exec(`
    CREATE TABLE test_raw_writes (tx_id INTEGER NOT NULL, op TEXT NOT NULL, bytes INTEGER);
    CREATE TABLE test_status_changes (seq INTEGER PRIMARY KEY, tx_id INTEGER NOT NULL, status TEXT NOT NULL);
    CREATE TRIGGER test_raw_ins AFTER INSERT ON transaction_raw BEGIN INSERT INTO test_raw_writes VALUES (new.tx_id, 'insert', length(new.raw)); END;
    CREATE TRIGGER test_raw_upd AFTER UPDATE ON transaction_raw BEGIN INSERT INTO test_raw_writes VALUES (new.tx_id, 'update', length(new.raw)); END;
    CREATE TRIGGER test_raw_del AFTER DELETE ON transaction_raw BEGIN INSERT INTO test_raw_writes VALUES (old.tx_id, 'delete', NULL); END;
    CREATE TRIGGER test_status_upd AFTER UPDATE OF status ON transactions BEGIN INSERT INTO test_status_changes (tx_id, status) VALUES (new.id, new.status); END;
  `)
}

export interface PayloadWrites {
  /** Rows of `transaction_raw` written for these transactions, by operation. */
  inserts: number
  updates: number
  deletes: number
  insertedBytes: number
  /** Their status changes, in order. */
  statuses: string[]
  /** The largest `transactions` row among them (every column but the key), bytes: a status change rewrites this much. */
  maxRowBytes: number
}

/** What was written for the transactions `where` selects (a condition on `transactions`, aliased t). */
export function payloadWrites(db: Db, where: string): PayloadWrites {
  const ids = `SELECT t.id FROM transactions AS t WHERE ${where}`
  const n = (op: string): number => db.prepare(`SELECT count(*) FROM test_raw_writes WHERE op = ? AND tx_id IN (${ids})`).pluck().get(op) as number
  return {
    inserts: n('insert'),
    updates: n('update'),
    deletes: n('delete'),
    insertedBytes: (db.prepare(`SELECT coalesce(sum(bytes), 0) FROM test_raw_writes WHERE op = 'insert' AND tx_id IN (${ids})`).pluck().get() as number) ?? 0,
    statuses: db.prepare(`SELECT status FROM test_status_changes WHERE tx_id IN (${ids}) ORDER BY seq`).pluck().all() as string[],
    maxRowBytes:
      (db
        .prepare(`SELECT coalesce(max(length(t.raw) + coalesce(length(t.parsed), 0) + coalesce(length(t.mapped), 0) + coalesce(length(t.outbound), 0) + coalesce(length(t.response), 0)), 0) FROM transactions AS t WHERE ${where}`)
        .pluck()
        .get() as number) ?? 0,
  }
}
