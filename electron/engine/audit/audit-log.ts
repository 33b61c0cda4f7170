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
}

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
  hash: string
}

/** A row of audit_log as stored. */
export interface AuditRow {
  seq: number
  at: number
  actor: string
  action: string
  practice_id: string | null
  target_type: string | null
  target_id: string | null
  outcome: string
  details: string
  prev_hash: string
  hash: string
}

/** The chain's hash of one row: SHA-256 of the previous hash and the row's canonical content. */
export function rowHash(prev: string, r: Omit<AuditRow, 'prev_hash' | 'hash'>): string {
  const canonical = JSON.stringify([r.seq, r.at, r.actor, r.action, r.practice_id, r.target_type, r.target_id, r.outcome, r.details])
  return createHash('sha256').update(prev).update('\n').update(canonical).digest('hex')
}

export interface AuditQuery {
  practiceId?: string
  action?: string
  targetType?: string
  targetId?: string
  actor?: string
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
  ) {
    this.last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1')
    this.insert = db.prepare(
      `INSERT INTO audit_log (seq, at, actor, action, practice_id, target_type, target_id, outcome, details, prev_hash, hash)
       VALUES (@seq, @at, @actor, @action, @practice_id, @target_type, @target_id, @outcome, @details, @prev_hash, @hash)`,
    )
  }

  onAppend(fn: (e: AuditEntry) => void): void {
    this.listeners.push(fn)
  }

  /** Appends one entry. Call inside the same DB transaction as the change it records, when there is one. */
  append(input: AuditInput): AuditEntry {
    const prev = this.last.get() as { seq: number; hash: string } | undefined
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
    add('seq < ?', q.beforeSeq)
    const sql = `SELECT * FROM audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT ?`
    params.push(Math.min(q.limit ?? 100, 1000))
    return (this.db.prepare(sql).all(...params) as AuditRow[]).map(toEntry)
  }

  /** The newest entry's sequence number and hash (null: the trail is empty). */
  head(): ChainHead | null {
    return (this.last.get() as ChainHead | undefined) ?? null
  }

  /**
   * A checkpoint of `head`, HMAC'd with the key from the secret store. Callers sign only a head
   * they have just verified from the previous checkpoint forward (audit-integrity.ts): signing
   * whatever is in the table would bless tampering.
   */
  sign(head: ChainHead): Checkpoint {
    if (!this.checkpointKey) throw new Error('no audit checkpoint key')
    const body = { seq: head.seq, hash: head.hash, at: this.clock.now() }
    return { ...body, mac: this.mac(body) }
  }

  /** Whether `cp` was signed with this trail's key. */
  signatureValid(cp: Checkpoint): boolean {
    if (!this.checkpointKey) return false
    const expected = Buffer.from(this.mac(cp), 'hex')
    const given = Buffer.from(String(cp.mac), 'hex')
    return given.length === expected.length && timingSafeEqual(given, expected)
  }

  /** The copy of the latest checkpoint kept in the database (the one outside it, in the secret store, is what is trusted). */
  storedCheckpoint(): Checkpoint | null {
    const r = this.db.prepare("SELECT value FROM settings WHERE key = 'audit.checkpoint'").get() as { value: string } | undefined
    return r ? parseCheckpoint(r.value) : null
  }

  storeCheckpoint(cp: Checkpoint): void {
    this.db.prepare("INSERT INTO settings (key, value) VALUES ('audit.checkpoint', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(JSON.stringify(cp))
  }

  private mac(body: { seq: number; hash: string; at: number }): string {
    return createHmac('sha256', this.checkpointKey!).update(`${body.seq}\n${body.hash}\n${body.at}`).digest('hex')
  }

  /**
   * Walks the whole chain, then checks it against `anchor` (the checkpoint kept outside the
   * database; without one, the copy in the database). Reports the first sequence number that
   * does not verify.
   */
  verify(anchor?: Checkpoint | null): VerifyResult {
    const walk = this.walker()
    while (!walk.step(Infinity)) {
      /* one step walks everything */
    }
    return this.against(walk.result(), anchor)
  }

  /**
   * The same walk in slices of `slice` rows on the thread that answers peers, resting after each
   * slice at least as long as it took, so a long trail takes at most half of the thread
   * (~35 µs an entry: 200,000 entries ≈ 7 s of walking, spread over ~14 s).
   */
  async verifyAsync(anchor?: Checkpoint | null, slice = 500): Promise<VerifyResult> {
    const walk = this.walker()
    for (;;) {
      const t = performance.now()
      if (walk.step(slice)) break
      await new Promise<void>((r) => setTimeout(r, Math.max(1, performance.now() - t)))
    }
    return this.against(walk.result(), anchor)
  }

  private against(chain: ChainWalk, given: Checkpoint | null | undefined): VerifyResult {
    const head = chain.head
    const out = (r: Omit<VerifyResult, 'head'>): VerifyResult => ({ ...r, head })
    if (!chain.ok) return out({ ok: false, checked: chain.checked, firstBrokenSeq: chain.firstBrokenSeq, reason: chain.reason })
    const cp = given === undefined ? this.storedCheckpoint() : given
    const ok = out({ ok: true, checked: chain.checked, firstBrokenSeq: null })
    if (!cp || !this.checkpointKey) return ok
    if (!this.signatureValid(cp)) return out({ ok: false, checked: chain.checked, firstBrokenSeq: cp.seq, reason: 'checkpoint signature does not verify' })
    const headSeq = head?.seq ?? 0
    if (cp.seq > headSeq) return out({ ok: false, checked: chain.checked, firstBrokenSeq: headSeq + 1, reason: `entries ${headSeq + 1}..${cp.seq} were removed` })
    const row = this.db.prepare('SELECT hash FROM audit_log WHERE seq = ?').get(cp.seq) as { hash: string } | undefined
    if (!row || row.hash !== cp.hash) {
      return out({ ok: false, checked: chain.checked, firstBrokenSeq: cp.seq, reason: `the chain was rewritten (entry ${cp.seq} does not match its signed checkpoint)` })
    }
    return ok
  }

  /** A resumable walk from the first entry: rows are read in keyset pages, so no statement stays open between steps. */
  private walker(): { step(n: number): boolean; result(): ChainWalk } {
    const page = this.db.prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?')
    let prev = GENESIS_HASH
    let expectedSeq = 1
    let checked = 0
    let lastSeq = 0
    let head: ChainHead | null = null
    let broken: { seq: number; reason: string } | null = null
    let done = false
    return {
      step(n) {
        if (done) return true
        const rows = page.all(lastSeq, Number.isFinite(n) ? n : -1) as AuditRow[]
        for (const r of rows) {
          if (r.seq !== expectedSeq) broken = { seq: expectedSeq, reason: 'missing row' }
          else if (r.prev_hash !== prev) broken = { seq: r.seq, reason: 'chain link broken' }
          else {
            const { prev_hash: _p, hash: _h, ...content } = r
            if (rowHash(prev, content) !== r.hash) broken = { seq: r.seq, reason: 'row content changed' }
          }
          if (broken) break
          prev = r.hash
          head = { seq: r.seq, hash: r.hash }
          lastSeq = r.seq
          expectedSeq++
          checked++
        }
        done = broken !== null || !Number.isFinite(n) || rows.length < n
        return done
      },
      result: () => (broken ? { ok: false, checked, firstBrokenSeq: broken.seq, reason: broken.reason, head } : { ok: true, checked, firstBrokenSeq: null, head }),
    }
  }
}

export interface ChainHead {
  seq: number
  hash: string
}

export interface Checkpoint extends ChainHead {
  at: number
  mac: string
}

export interface VerifyResult {
  ok: boolean
  checked: number
  firstBrokenSeq: number | null
  reason?: string
  /** The last entry that verified (the head of an intact chain). */
  head: ChainHead | null
}

type ChainWalk = { ok: true; checked: number; firstBrokenSeq: null; head: ChainHead | null } | { ok: false; checked: number; firstBrokenSeq: number; reason: string; head: ChainHead | null }

export function parseCheckpoint(text: string): Checkpoint | null {
  try {
    const v = JSON.parse(text) as Partial<Checkpoint>
    if (typeof v.seq !== 'number' || typeof v.hash !== 'string' || typeof v.at !== 'number' || typeof v.mac !== 'string') return null
    return { seq: v.seq, hash: v.hash, at: v.at, mac: v.mac }
  } catch {
    return null
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
    hash: r.hash,
  }
}
