/**
 * Pairs of patient records a source said are one person (an HL7 ADT merge: A40, A34, A18), and
 * what was done about them. Both records are always kept. `merge` moves the prior patient's
 * children (appointments, results, charges, documents) and external ids to the survivor and
 * remembers exactly what it moved, so `undo` puts back that and nothing else; `link` only records
 * the pair for a person to review. The duplicate-patient worklist reads `list()` (status and both
 * record ids) and may call `undo`.
 */
import { AppError } from '../../../shared/errors'
import type { Db } from '../store/database'
import type { ExternalId } from './record-store'

export type PatientLinkStatus = 'merged' | 'linked' | 'prior_unknown' | 'undone'

export interface PatientLink {
  id: number
  practiceId: string
  survivorId: number
  priorId: number | null
  priorIds: ExternalId[]
  source: string
  txId: number | null
  action: 'merge' | 'link'
  status: PatientLinkStatus
  moved: { records: number[]; externalIds: ExternalId[] } | null
  createdAt: number
  updatedAt: number
  undoneAt: number | null
  undoneBy: string | null
}

interface Row {
  id: number
  practice_id: string
  survivor_id: number
  prior_id: number | null
  prior_ids: string
  source: string
  tx_id: number | null
  action: 'merge' | 'link'
  status: PatientLinkStatus
  moved: string | null
  created_at: number
  updated_at: number
  undone_at: number | null
  undone_by: string | null
}

function toLink(r: Row): PatientLink {
  return {
    id: r.id,
    practiceId: r.practice_id,
    survivorId: r.survivor_id,
    priorId: r.prior_id,
    priorIds: JSON.parse(r.prior_ids) as ExternalId[],
    source: r.source,
    txId: r.tx_id,
    action: r.action,
    status: r.status,
    moved: r.moved ? (JSON.parse(r.moved) as PatientLink['moved']) : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    undoneAt: r.undone_at,
    undoneBy: r.undone_by,
  }
}

export interface RecordPairInput {
  practiceId: string
  survivorId: number
  priorId: number | null
  priorIds: ExternalId[]
  source: string
  txId: number | null
  action: 'merge' | 'link'
}

export class PatientLinks {
  private readonly s

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {
    this.s = {
      // The same pair as the message named it (survivor + retired ids): after a merge the retired
      // ids find the survivor itself, so the prior record cannot be what identifies a replay.
      active: db.prepare(`SELECT * FROM patient_links WHERE practice_id = ? AND survivor_id = ? AND prior_ids = ? AND status IN ('merged','linked','prior_unknown')
        ORDER BY id DESC LIMIT 1`),
      insert: db.prepare(`INSERT INTO patient_links (practice_id, survivor_id, prior_id, prior_ids, source, tx_id, action, status, moved, created_at, updated_at)
        VALUES (@practiceId, @survivorId, @priorId, @priorIds, @source, @txId, @action, @status, @moved, @now, @now)`),
      get: db.prepare('SELECT * FROM patient_links WHERE id = ?'),
      children: db.prepare(`SELECT id FROM records WHERE practice_id = ? AND patient_ref = ? ORDER BY id`),
      moveChild: db.prepare('UPDATE records SET patient_ref = ?, updated_at = ? WHERE id = ? AND patient_ref = ?'),
      extIds: db.prepare(`SELECT system, value FROM external_ids WHERE record_id = ? AND kind = 'patient' ORDER BY system, value`),
      moveExt: db.prepare(`UPDATE external_ids SET record_id = ? WHERE practice_id = ? AND kind = 'patient' AND system = ? AND value = ? AND record_id = ?`),
      undo: db.prepare(`UPDATE patient_links SET status = 'undone', undone_at = ?, undone_by = ?, updated_at = ? WHERE id = ?`),
    }
  }

  /**
   * Records what a merge message said, once: the same message processed again (a replay, a
   * reprocess) finds its pair already recorded and changes nothing. Runs inside the caller's
   * transaction (the message's apply step).
   */
  record(input: RecordPairInput): PatientLink {
    const priorIdsJson = JSON.stringify(input.priorIds)
    const existing = this.s.active.get(input.practiceId, input.survivorId, priorIdsJson) as Row | undefined
    if (existing) return toLink(existing)
    const now = this.now()
    let status: PatientLinkStatus = input.priorId === null ? 'prior_unknown' : input.action === 'merge' ? 'merged' : 'linked'
    let moved: PatientLink['moved'] = null
    if (status === 'merged' && input.priorId !== null) {
      if (input.priorId === input.survivorId) status = 'linked'
      else moved = this.move(input.practiceId, input.priorId, input.survivorId, now)
    }
    const info = this.s.insert.run({ ...input, priorIds: priorIdsJson, status, moved: moved ? JSON.stringify(moved) : null, now })
    return toLink(this.s.get.get(Number(info.lastInsertRowid)) as Row)
  }

  private move(practiceId: string, from: number, to: number, now: number): NonNullable<PatientLink['moved']> {
    const records: number[] = []
    for (const { id } of this.s.children.all(practiceId, from) as { id: number }[]) {
      if (this.s.moveChild.run(to, now, id, from).changes > 0) records.push(id)
    }
    const externalIds: ExternalId[] = []
    for (const x of this.s.extIds.all(from) as ExternalId[]) {
      if (this.s.moveExt.run(to, practiceId, x.system, x.value, from).changes > 0) externalIds.push(x)
    }
    return { records, externalIds }
  }

  get(id: number): PatientLink | null {
    const r = this.s.get.get(id) as Row | undefined
    return r ? toLink(r) : null
  }

  /** Newest first; `practiceIds` scopes the list to the practices a caller may see. */
  list(q: { practiceId?: string; practiceIds?: readonly string[]; statuses?: readonly PatientLinkStatus[]; patientId?: number; before?: number; limit: number }): PatientLink[] {
    const where: string[] = []
    const params: Record<string, unknown> = { limit: q.limit }
    if (q.practiceId) {
      where.push('practice_id = @practiceId')
      params.practiceId = q.practiceId
    }
    if (q.practiceIds) {
      where.push('practice_id IN (SELECT value FROM json_each(@practiceIds))')
      params.practiceIds = JSON.stringify(q.practiceIds)
    }
    if (q.statuses?.length) {
      where.push('status IN (SELECT value FROM json_each(@statuses))')
      params.statuses = JSON.stringify(q.statuses)
    }
    if (q.patientId !== undefined) {
      where.push('(survivor_id = @patientId OR prior_id = @patientId)')
      params.patientId = q.patientId
    }
    if (q.before !== undefined) {
      where.push('id < @before')
      params.before = q.before
    }
    const sql = `SELECT * FROM patient_links${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit`
    return (this.db.prepare(sql).all(params) as Row[]).map(toLink)
  }

  /**
   * Puts back what a merge moved: each child record and external id that still points at the
   * survivor goes back to the prior patient (one moved on since by another change stays). A link
   * that moved nothing is just marked undone. The caller audits.
   */
  undo(id: number, actor: string): PatientLink {
    return this.db.transaction(() => {
      const link = this.get(id)
      if (!link) throw new AppError('not_found', `Patient link ${id} does not exist.`)
      if (link.status === 'undone') throw new AppError('conflict', `Patient link ${id} was already undone.`)
      const now = this.now()
      if (link.moved && link.priorId !== null) {
        for (const r of link.moved.records) this.s.moveChild.run(link.priorId, now, r, link.survivorId)
        for (const x of link.moved.externalIds) this.s.moveExt.run(link.priorId, link.practiceId, x.system, x.value, link.survivorId)
      }
      this.s.undo.run(now, actor, now, id)
      return this.get(id) as PatientLink
    })()
  }
}
