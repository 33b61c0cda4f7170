/** The files a job took, refused or dropped: where each was and went, its hash and its transaction. */
import type { Db } from '../../../store/database'
import { listWhere } from '../../../store/list-where'

export type PickupStatus = 'claimed' | 'received' | 'processed' | 'duplicate' | 'error' | 'refused' | 'dropped'

export interface FilePickup {
  id: number
  jobId: string
  practiceId: string
  runId: number | null
  txId: number | null
  direction: 'inbound' | 'outbound'
  name: string
  size: number | null
  sha256: string | null
  claimedPath: string | null
  finalPath: string | null
  status: PickupStatus
  detail: string | null
  createdAt: number
  updatedAt: number
}

interface Row {
  id: number
  job_id: string
  practice_id: string
  run_id: number | null
  tx_id: number | null
  direction: 'inbound' | 'outbound'
  name: string
  size: number | null
  sha256: string | null
  claimed_path: string | null
  final_path: string | null
  status: PickupStatus
  detail: string | null
  created_at: number
  updated_at: number
}

const toPickup = (r: Row): FilePickup => ({
  id: r.id,
  jobId: r.job_id,
  practiceId: r.practice_id,
  runId: r.run_id,
  txId: r.tx_id,
  direction: r.direction,
  name: r.name,
  size: r.size,
  sha256: r.sha256,
  claimedPath: r.claimed_path,
  finalPath: r.final_path,
  status: r.status,
  detail: r.detail,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

export class PickupRepo {
  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  add(p: { jobId: string; practiceId: string; runId: number | null; direction: 'inbound' | 'outbound'; name: string; size?: number | null; claimedPath?: string | null; status: PickupStatus; detail?: string | null; txId?: number | null; sha256?: string | null; finalPath?: string | null }): number {
    const now = this.now()
    const info = this.db
      .prepare(`INSERT INTO file_pickups (job_id, practice_id, run_id, tx_id, direction, name, size, sha256, claimed_path, final_path, status, detail, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(p.jobId, p.practiceId, p.runId, p.txId ?? null, p.direction, p.name, p.size ?? null, p.sha256 ?? null, p.claimedPath ?? null, p.finalPath ?? null, p.status, p.detail ?? null, now, now)
    return Number(info.lastInsertRowid)
  }

  /**
   * Retention (`logsDays` of the `files` connector): up to `limit` entries of files refused or failed
   * before anything was stored (no transaction) and last touched before `before`. Entries with a
   * transaction go with it (transactionsDays); a claimed file is never forgotten.
   */
  pruneUnstored(practiceId: string, before: number, limit: number): number {
    return this.db
      .prepare("DELETE FROM file_pickups WHERE id IN (SELECT id FROM file_pickups WHERE practice_id = ? AND tx_id IS NULL AND status IN ('refused','error','dropped') AND updated_at < ? ORDER BY id LIMIT ?)")
      .run(practiceId, before, limit).changes
  }

  update(id: number, p: Partial<{ txId: number | null; sha256: string; size: number; finalPath: string; status: PickupStatus; detail: string | null }>): void {
    const cur = this.get(id)
    if (!cur) return
    this.db
      .prepare('UPDATE file_pickups SET tx_id = ?, sha256 = ?, size = ?, final_path = ?, status = ?, detail = ?, updated_at = ? WHERE id = ?')
      .run(p.txId !== undefined ? p.txId : cur.txId, p.sha256 ?? cur.sha256, p.size ?? cur.size, p.finalPath ?? cur.finalPath, p.status ?? cur.status, p.detail !== undefined ? p.detail : cur.detail, this.now(), id)
  }

  get(id: number): FilePickup | null {
    const r = this.db.prepare('SELECT * FROM file_pickups WHERE id = ?').get(id) as Row | undefined
    return r ? toPickup(r) : null
  }

  /** The latest pickup of a claimed path still in progress (a crash left it in processing/). */
  openClaim(jobId: string, claimedPath: string): FilePickup | null {
    const r = this.db.prepare("SELECT * FROM file_pickups WHERE job_id = ? AND claimed_path = ? AND status IN ('claimed','received') ORDER BY id DESC LIMIT 1").get(jobId, claimedPath) as Row | undefined
    return r ? toPickup(r) : null
  }

  byTx(txId: number): FilePickup | null {
    const r = this.db.prepare('SELECT * FROM file_pickups WHERE tx_id = ? ORDER BY id LIMIT 1').get(txId) as Row | undefined
    return r ? toPickup(r) : null
  }

  list(filter: { jobId?: string; practiceId?: string; practiceIds?: readonly string[]; limit?: number; before?: number }): FilePickup[] {
    const { where, args } = listWhere([['job_id = ?', filter.jobId], ['practice_id = ?', filter.practiceId], ['id < ?', filter.before]], filter.practiceIds)
    const sql = `SELECT * FROM file_pickups ${where} ORDER BY id DESC LIMIT ?`
    return (this.db.prepare(sql).all(...args, Math.min(filter.limit ?? 100, 500)) as Row[]).map(toPickup)
  }
}
