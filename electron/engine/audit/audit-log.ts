/**
 * Append-only, hash-chained audit trail. Every row's hash covers the previous row's hash and the
 * row's own canonical content, so editing, deleting or reordering any row breaks the chain from
 * that row on; `verify()` reports the first broken sequence number. Triggers reject UPDATE and
 * DELETE; the chain catches tampering that bypasses them (e.g. with the sqlite CLI and the key).
 * Details carry ids and codes, never payloads or PHI.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { Db } from '../store/database'
import type { Clock } from '../core/clock'

export const GENESIS_HASH = '0'.repeat(64)

export interface AuditInput {
  actor: string
  action: string
  practiceId?: string | null
  targetType?: string | null
  targetId?: string | null
  outcome?: 'ok' | 'error' | 'denied'
  details?: Record<string, unknown>
  /** The person who acted (people.id); taken from the current call when not given. */
  personId?: string | null
  /** The permission the call used (shared/api/permissions.ts); taken from the current call when not given. */
  permission?: string | null
  /** The break-glass session the call ran under, if any; taken from the current call when not given. */
  breakglassId?: string | null
}

/** Who is acting in the current engine call (access/call-scope.ts), so every append names them. */
export type AuditCaller = () => { personId: string | null; permission: string | null; breakglassId: string | null } | undefined

export interface AuditEntry {
  seq: number
  at: number
  actor: string
  action: string
  practiceId: string | null
  targetType: string | null
  targetId: string | null
  outcome: string
  details: Record<string, unknown>
  personId: string | null
  permission: string | null
  breakglassId: string | null
  hash: string
}

interface AuditRow {
  seq: number
  at: number
  actor: string
  action: string
  practice_id: string | null
  target_type: string | null
  target_id: string | null
  outcome: string
  details: string
  person_id: string | null
  permission: string | null
  breakglass_id: string | null
  prev_hash: string
  hash: string
}

function rowHash(prev: string, r: Omit<AuditRow, 'prev_hash' | 'hash'>): string {
  const fields: unknown[] = [r.seq, r.at, r.actor, r.action, r.practice_id, r.target_type, r.target_id, r.outcome, r.details]
  // Rows written before migration 0100 have none of these; their hashes stay as they were.
  if (r.person_id != null || r.permission != null || r.breakglass_id != null) fields.push(r.person_id, r.permission, r.breakglass_id)
  const canonical = JSON.stringify(fields)
  return createHash('sha256').update(prev).update('\n').update(canonical).digest('hex')
}

export interface AuditQuery {
  practiceId?: string
  action?: string
  targetType?: string
  targetId?: string
  actor?: string
  personId?: string
  outcome?: string
  /** Only these practices (and, with includeGlobal, entries about no practice). */
  practiceIds?: readonly string[]
  includeGlobal?: boolean
  from?: number
  to?: number
  beforeSeq?: number
  limit?: number
}

export class AuditLog {
  private readonly last
  private readonly insert
  private listeners: ((e: AuditEntry) => void)[] = []

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    /** Key (from the secret store) for checkpoints; without it only the chain itself is verified. */
    private readonly checkpointKey: Buffer | null = null,
    private readonly caller: AuditCaller = () => undefined,
  ) {
    this.last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1')
    this.insert = db.prepare(
      `INSERT INTO audit_log (seq, at, actor, action, practice_id, target_type, target_id, outcome, details, person_id, permission, breakglass_id, prev_hash, hash)
       VALUES (@seq, @at, @actor, @action, @practice_id, @target_type, @target_id, @outcome, @details, @person_id, @permission, @breakglass_id, @prev_hash, @hash)`,
    )
  }

  onAppend(fn: (e: AuditEntry) => void): void {
    this.listeners.push(fn)
  }

  /** Appends one entry. Call inside the same DB transaction as the change it records, when there is one. */
  append(input: AuditInput): AuditEntry {
    const prev = this.last.get() as { seq: number; hash: string } | undefined
    const call = this.caller()
    const base = {
      seq: (prev?.seq ?? 0) + 1,
      at: this.clock.now(),
      actor: input.actor,
      action: input.action,
      practice_id: input.practiceId ?? null,
      target_type: input.targetType ?? null,
      target_id: input.targetId ?? null,
      outcome: input.outcome ?? 'ok',
      details: JSON.stringify(input.details ?? {}),
      person_id: input.personId !== undefined ? input.personId : (call?.personId ?? null),
      permission: input.permission !== undefined ? input.permission : (call?.permission ?? null),
      breakglass_id: input.breakglassId !== undefined ? input.breakglassId : (call?.breakglassId ?? null),
    }
    const prevHash = prev?.hash ?? GENESIS_HASH
    const hash = rowHash(prevHash, base)
    this.insert.run({ ...base, prev_hash: prevHash, hash })
    const entry = toEntry({ ...base, prev_hash: prevHash, hash })
    for (const l of this.listeners) l(entry)
    return entry
  }

  list(q: AuditQuery = {}): AuditEntry[] {
    const where: string[] = []
    const params: unknown[] = []
    const add = (clause: string, value: unknown): void => {
      if (value === undefined || value === null || value === '') return
      where.push(clause)
      params.push(value)
    }
    add('practice_id = ?', q.practiceId)
    add('action = ?', q.action)
    add('target_type = ?', q.targetType)
    add('target_id = ?', q.targetId)
    add('actor = ?', q.actor)
    add('person_id = ?', q.personId)
    add('outcome = ?', q.outcome)
    add('at >= ?', q.from)
    add('at < ?', q.to)
    add('seq < ?', q.beforeSeq)
    if (q.practiceIds) {
      const inList = q.practiceIds.length ? `practice_id IN (${q.practiceIds.map(() => '?').join(', ')})` : '0'
      where.push(q.includeGlobal ? `(${inList} OR practice_id IS NULL)` : inList)
      params.push(...q.practiceIds)
    }
    const sql = `SELECT * FROM audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT ?`
    params.push(Math.min(q.limit ?? 100, 1000))
    return (this.db.prepare(sql).all(...params) as AuditRow[]).map(toEntry)
  }

  /**
   * Signs the current head (seq, hash) with a key that lives outside the database. The chain alone
   * cannot show that its newest rows were deleted, or that the whole chain was recomputed; a
   * checkpoint can, because forging one needs the key from the OS keychain.
   */
  checkpoint(): void {
    if (!this.checkpointKey) return
    const head = this.last.get() as { seq: number; hash: string } | undefined
    if (!head) return
    const cur = this.readCheckpoint()
    if (cur && cur.seq === head.seq && cur.hash === head.hash) return
    const body = { seq: head.seq, hash: head.hash, at: this.clock.now() }
    const value = JSON.stringify({ ...body, mac: this.mac(body) })
    this.db.prepare("INSERT INTO settings (key, value) VALUES ('audit.checkpoint', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(value)
  }

  private mac(body: { seq: number; hash: string; at: number }): string {
    return createHmac('sha256', this.checkpointKey!).update(`${body.seq}\n${body.hash}\n${body.at}`).digest('hex')
  }

  private readCheckpoint(): { seq: number; hash: string; at: number; mac: string } | null {
    const r = this.db.prepare("SELECT value FROM settings WHERE key = 'audit.checkpoint'").get() as { value: string } | undefined
    return r ? (JSON.parse(r.value) as { seq: number; hash: string; at: number; mac: string }) : null
  }

  /** Walks the whole chain, then checks it against the signed checkpoint. Reports the first sequence number that does not verify. */
  verify(): { ok: boolean; checked: number; firstBrokenSeq: number | null; reason?: string } {
    const chain = this.verifyChain()
    if (!chain.ok || !this.checkpointKey) return chain
    const cp = this.readCheckpoint()
    if (!cp) return chain
    const expected = Buffer.from(this.mac(cp), 'hex')
    const given = Buffer.from(String(cp.mac), 'hex')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, checked: chain.checked, firstBrokenSeq: cp.seq, reason: 'checkpoint signature does not verify' }
    }
    if (cp.seq > chain.checked) return { ok: false, checked: chain.checked, firstBrokenSeq: chain.checked + 1, reason: `entries ${chain.checked + 1}..${cp.seq} were removed` }
    const row = this.db.prepare('SELECT hash FROM audit_log WHERE seq = ?').get(cp.seq) as { hash: string } | undefined
    if (!row || row.hash !== cp.hash) return { ok: false, checked: chain.checked, firstBrokenSeq: 1, reason: `the chain was rewritten (entry ${cp.seq} does not match its signed checkpoint)` }
    return chain
  }

  private verifyChain(): { ok: boolean; checked: number; firstBrokenSeq: number | null; reason?: string } {
    let prev = GENESIS_HASH
    let expectedSeq = 1
    let checked = 0
    for (const r of this.db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as IterableIterator<AuditRow>) {
      if (r.seq !== expectedSeq) return { ok: false, checked, firstBrokenSeq: expectedSeq, reason: 'missing row' }
      if (r.prev_hash !== prev) return { ok: false, checked, firstBrokenSeq: r.seq, reason: 'chain link broken' }
      const { prev_hash: _p, hash: _h, ...content } = r
      if (rowHash(prev, content) !== r.hash) return { ok: false, checked, firstBrokenSeq: r.seq, reason: 'row content changed' }
      prev = r.hash
      expectedSeq++
      checked++
    }
    return { ok: true, checked, firstBrokenSeq: null }
  }
}

function toEntry(r: AuditRow): AuditEntry {
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    practiceId: r.practice_id,
    targetType: r.target_type,
    targetId: r.target_id,
    outcome: r.outcome,
    details: JSON.parse(r.details) as Record<string, unknown>,
    personId: r.person_id,
    permission: r.permission,
    breakglassId: r.breakglass_id,
    hash: r.hash,
  }
}
