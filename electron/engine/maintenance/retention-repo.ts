/**
 * The store side of retention: what may be pruned, and the pruning itself, one small batch per
 * call (each its own short transaction, so the write lock is never held for long). Only finished
 * transactions (done, filtered, discarded) are touched, never one a mapping sample reads.
 *
 * `pruneRawPayloads` is the one place that knows where raw payloads live (`transaction_raw`, the
 * edited versions in transaction_payloads, the full-text index, the parsed/mapped snapshots):
 * moving payloads elsewhere changes this function and nothing else.
 */
import type { Db } from '../store/database'

export interface PruneBatch {
  rows: number
  bytes: number
  /** Keyset position of the last row looked at, to continue from (null: nothing more before the cutoff). */
  next: { receivedAt: number; id: number } | null
}

export interface RunCounts {
  payloadsPruned: number
  payloadBytes: number
  transactionsDeleted: number
  transactionBytes: number
  logsDeleted: number
  batches: number
}

export interface PruneRun extends RunCounts {
  id: number
  trigger: 'schedule' | 'manual'
  startedAt: number
  finishedAt: number | null
  durationMs: number | null
  error: string | null
}

/** The retention rule that removed a raw payload: its period and whose rule it was. */
export interface PruneRule {
  days: number
  scope: 'practice' | 'connector'
}

interface Candidate {
  id: number
  received_at: number
  bytes: number
  eligible: number
}

/** A row's raw bytes: in transaction_raw since migration 0160 (the old column is empty). */
const RAW_BYTES = `coalesce((SELECT length(r.raw) FROM transaction_raw AS r WHERE r.tx_id = t.id), 0) + length(t.raw)`

const FINISHED = `status IN ('done','filtered','discarded') AND NOT EXISTS (SELECT 1 FROM mapping_samples s WHERE s.tx_id = t.id)`

export class RetentionRepo {
  private readonly s

  constructor(private readonly db: Db) {
    this.s = {
      // Loose index scan: the connectors a practice has rows for, one index seek each.
      nextConnector: db.prepare('SELECT connector FROM transactions INDEXED BY tx_retention WHERE practice_id = ? AND connector > ? ORDER BY practice_id, connector LIMIT 1'),
      rawCandidates: db.prepare(`SELECT t.id, t.received_at, (${RAW_BYTES} + coalesce(length(t.parsed), 0) + coalesce(length(t.mapped), 0) + coalesce(length(t.outbound), 0)) AS bytes, ${FINISHED} AS eligible
        FROM transactions AS t INDEXED BY tx_prune_raw
        WHERE t.raw_pruned_at IS NULL AND t.practice_id = @p AND t.connector = @c AND t.received_at < @before AND (t.received_at, t.id) > (@fromAt, @fromId)
        ORDER BY t.received_at, t.id LIMIT @limit`),
      txCandidates: db.prepare(`SELECT t.id, t.received_at, (${RAW_BYTES} + coalesce(length(t.parsed), 0) + coalesce(length(t.mapped), 0) + coalesce(length(t.outbound), 0) + coalesce(length(t.response), 0)) AS bytes, ${FINISHED} AS eligible
        FROM transactions AS t INDEXED BY tx_retention
        WHERE t.practice_id = @p AND t.connector = @c AND t.received_at < @before AND (t.received_at, t.id) > (@fromAt, @fromId)
        ORDER BY t.received_at, t.id LIMIT @limit`),
      payloadBytes: db.prepare('SELECT coalesce(sum(length(raw)), 0) AS n FROM transaction_payloads WHERE tx_id = ?'),
      clearRaw: db.prepare(`UPDATE transactions SET raw = x'', parsed = NULL, mapped = NULL, outbound = NULL, raw_pruned_at = @now, raw_pruned_days = @days, raw_pruned_scope = @scope WHERE id = @id`),
      deleteRaw: db.prepare('DELETE FROM transaction_raw WHERE tx_id = ?'),
      deletePayloads: db.prepare('DELETE FROM transaction_payloads WHERE tx_id = ?'),
      deleteFts: db.prepare('DELETE FROM transactions_fts WHERE rowid = ?'),
      deleteSteps: db.prepare('DELETE FROM transaction_steps WHERE tx_id = ?'),
      deleteMisses: db.prepare('DELETE FROM code_miss_transactions WHERE tx_id = ?'),
      // A file's row ledger (lines, outcomes, patient ids) and its pickup entry go with its transaction.
      deleteFileRows: db.prepare('DELETE FROM file_rows WHERE tx_id = ?'),
      deletePickups: db.prepare('DELETE FROM file_pickups WHERE tx_id = ?'),
      deleteTx: db.prepare('DELETE FROM transactions WHERE id = ?'),
      orphanBodies: db.prepare('SELECT sha256, bytes FROM bodies AS b WHERE stored_at < ? AND NOT EXISTS (SELECT 1 FROM record_bodies AS r WHERE r.sha256 = b.sha256) LIMIT ?'),
      deleteBody: db.prepare('DELETE FROM bodies WHERE sha256 = ?'),
      startRun: db.prepare('INSERT INTO prune_runs (trigger, started_at) VALUES (?, ?)'),
      finishRun: db.prepare(`UPDATE prune_runs SET finished_at = @finishedAt, duration_ms = @durationMs, payloads_pruned = @payloadsPruned, payload_bytes = @payloadBytes,
        transactions_deleted = @transactionsDeleted, transaction_bytes = @transactionBytes, logs_deleted = @logsDeleted, batches = @batches, error = @error WHERE id = @id`),
      runs: db.prepare('SELECT * FROM prune_runs ORDER BY id DESC LIMIT ?'),
    }
  }

  connectorsOf(practiceId: string): string[] {
    const out: string[] = []
    let after = ''
    for (;;) {
      const r = this.s.nextConnector.get(practiceId, after) as { connector: string } | undefined
      if (!r) return out
      out.push(r.connector)
      after = r.connector
    }
  }

  /**
   * Empties the raw payload (and the parsed/mapped snapshots and edited versions, which hold the
   * same data) of up to `limit` finished transactions received before `before`; the row, its
   * metadata and the payload's SHA-256 stay, with when and by which rule (the inspector says so).
   * Returns what was freed and where to continue.
   */
  pruneRawPayloads(q: { practiceId: string; connector: string; before: number; limit: number; from?: PruneBatch['next']; now: number; rule: PruneRule }): PruneBatch {
    return this.relaxed(() => {
      const rows = this.s.rawCandidates.all({ p: q.practiceId, c: q.connector, before: q.before, fromAt: q.from?.receivedAt ?? -1, fromId: q.from?.id ?? -1, limit: q.limit }) as Candidate[]
      return this.each(rows, q.limit, (r) => {
        const bytes = r.bytes + (this.s.payloadBytes.get(r.id) as { n: number }).n
        this.s.clearRaw.run({ now: q.now, days: q.rule.days, scope: q.rule.scope, id: r.id })
        this.s.deleteRaw.run(r.id)
        this.s.deletePayloads.run(r.id)
        this.s.deleteFts.run(r.id)
        return bytes
      })
    })
  }

  /** Deletes up to `limit` finished transactions received before `before`, with their steps, payload versions and index entries. */
  deleteTransactions(q: { practiceId: string; connector: string; before: number; limit: number; from?: PruneBatch['next'] }): PruneBatch {
    return this.relaxed(() => {
      const rows = this.s.txCandidates.all({ p: q.practiceId, c: q.connector, before: q.before, fromAt: q.from?.receivedAt ?? -1, fromId: q.from?.id ?? -1, limit: q.limit }) as Candidate[]
      return this.each(rows, q.limit, (r) => {
        const bytes = r.bytes + (this.s.payloadBytes.get(r.id) as { n: number }).n
        this.s.deleteRaw.run(r.id)
        this.s.deletePayloads.run(r.id)
        this.s.deleteFts.run(r.id)
        this.s.deleteSteps.run(r.id)
        this.s.deleteMisses.run(r.id)
        this.s.deleteFileRows.run(r.id)
        this.s.deletePickups.run(r.id)
        this.s.deleteTx.run(r.id)
        return bytes
      })
    })
  }

  /**
   * Deletes up to `limit` document bodies (migration 0240) that no record refers to and that were
   * stored before `before`: replaced or cleared ones, those of deleted records, and those stored
   * for a group that never committed (pipeline/big-payloads.ts). The grace period spares a body
   * stored for a write that has not committed yet; a write that finds its body gone stores it
   * again (RecordStore.writeBody checks inside its own transaction), so no interleaving loses one.
   */
  deleteOrphanBodies(before: number, limit: number): { rows: number; bytes: number } {
    return this.relaxed(() => {
      const rows = this.s.orphanBodies.all(before, limit) as { sha256: string; bytes: number }[]
      for (const r of rows) this.s.deleteBody.run(r.sha256)
      return { rows: rows.length, bytes: rows.reduce((n, r) => n + r.bytes, 0) }
    })
  }

  /**
   * One batch, committed without its own fsync (synchronous=NORMAL, as the WriteBatcher's lazy
   * commits): a prune lost to a power cut is simply done again by the next run, and the fsync would
   * otherwise be most of a small batch's time on the thread that answers peers.
   */
  private relaxed<T>(fn: () => T): T {
    this.db.pragma('synchronous = NORMAL')
    try {
      return this.db.transaction(fn)()
    } finally {
      this.db.pragma('synchronous = FULL')
    }
  }

  /** Applies `fn` (which returns the bytes it freed) to the eligible candidates; the next batch continues after the last. */
  private each(rows: Candidate[], limit: number, fn: (r: Candidate) => number): PruneBatch {
    let n = 0
    let bytes = 0
    for (const r of rows) {
      if (!r.eligible) continue
      bytes += fn(r)
      n++
    }
    const last = rows[rows.length - 1]
    return { rows: n, bytes, next: rows.length < limit || !last ? null : { receivedAt: last.received_at, id: last.id } }
  }

  startRun(trigger: PruneRun['trigger'], now: number): number {
    return Number(this.s.startRun.run(trigger, now).lastInsertRowid)
  }

  finishRun(id: number, counts: RunCounts, finishedAt: number, durationMs: number, error: string | null): void {
    this.s.finishRun.run({ id, ...counts, finishedAt, durationMs, error })
  }

  runs(limit = 20): PruneRun[] {
    return (this.s.runs.all(limit) as Record<string, number | string | null>[]).map((r) => ({
      id: r.id as number,
      trigger: r.trigger as PruneRun['trigger'],
      startedAt: r.started_at as number,
      finishedAt: r.finished_at as number | null,
      durationMs: r.duration_ms as number | null,
      payloadsPruned: r.payloads_pruned as number,
      payloadBytes: r.payload_bytes as number,
      transactionsDeleted: r.transactions_deleted as number,
      transactionBytes: r.transaction_bytes as number,
      logsDeleted: r.logs_deleted as number,
      batches: r.batches as number,
      error: r.error as string | null,
    }))
  }
}
