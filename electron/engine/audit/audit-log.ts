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
  person_id: string | null
  permission: string | null
  breakglass_id: string | null
  prev_hash: string
  hash: string
}

/** The chain's hash of one row: SHA-256 of the previous hash and the row's canonical content. */
export function rowHash(prev: string, r: Omit<AuditRow, 'prev_hash' | 'hash' | 'person_id' | 'permission' | 'breakglass_id'> & Partial<Pick<AuditRow, 'person_id' | 'permission' | 'breakglass_id'>>): string {
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

  /** The newest entry's sequence number and hash (null: the trail is empty). */
  head(): ChainHead | null {
    return (this.last.get() as ChainHead | undefined) ?? null
  }

  /**
   * A checkpoint of `head`, HMAC'd with the key from the secret store. Callers sign only a head
   * they have just verified from the previous checkpoint forward (audit-integrity.ts): signing
   * whatever is in the table would bless tampering.
   */
  sign(head: ChainHead, base?: ChainHead | null): Checkpoint {
    if (!this.checkpointKey) throw new Error('no audit checkpoint key')
    const body = { seq: head.seq, hash: head.hash, at: this.clock.now(), ...(base ? { base: { seq: base.seq, hash: base.hash } } : {}) }
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

  private mac(body: { seq: number; hash: string; at: number; base?: ChainHead }): string {
    // A checkpoint without a series start is signed as before, so existing anchors keep verifying.
    const series = body.base ? `\n${body.base.seq}\n${body.base.hash}` : ''
    return createHmac('sha256', this.checkpointKey!).update(`${body.seq}\n${body.hash}\n${body.at}${series}`).digest('hex')
  }

  /**
   * Where a full walk starts: the first entry, or the start of the series a person began by
   * accepting a break (audit-integrity.ts), as named by a checkpoint signed with the key outside the
   * database. A series start named only in the database is never trusted.
   */
  private seriesStart(cp: Checkpoint | null | undefined): ChainHead | null {
    return cp?.base && this.checkpointKey && this.signatureValid(cp) ? cp.base : null
  }

  /**
   * Walks the whole chain, then checks it against `anchor` (the checkpoint kept outside the
   * database; without one, the copy in the database). Reports the first sequence number that
   * does not verify.
   */
  verify(anchor?: Checkpoint | null): VerifyResult {
    const walk = this.walker(this.seriesStart(anchor === undefined ? this.storedCheckpoint() : anchor), 'full')
    while (!walk.step(Infinity)) {
      /* one step walks everything */
    }
    return this.against(walk.result(), anchor)
  }

  /**
   * The same walk in slices of `slice` rows on the thread that answers peers, resting after each
   * slice at least as long as it took, so a long trail takes at most half of the thread
   * (~35 µs an entry: 200,000 entries ≈ 7 s of walking, spread over ~14 s).
   *
   * With `since` (a checkpoint that verified before), only the entries from it to the head are
   * read: the checkpoint's own entry must still be there with the hash it signed and its content,
   * and each later entry must chain from it. Entries below the checkpoint are not read, so an edit
   * there is found by the next full walk only (audit-integrity.ts runs one hourly).
   */
  async verifyAsync(anchor?: Checkpoint | null, slice = 500, since: Checkpoint | null = null): Promise<VerifyResult> {
    const cp = anchor === undefined ? this.storedCheckpoint() : anchor
    // A checkpoint that no longer reaches or matches the chain is reported the way a full walk reports it.
    const from = since && cp && this.checkpointKey && this.signatureValid(cp) && cp.seq === since.seq && cp.hash === since.hash ? since : null
    if (from) {
      const early = this.against({ ok: true, checked: 0, firstBrokenSeq: null, head: this.head(), scope: 'since_checkpoint' }, cp)
      if (!early.ok) return early
    }
    const walk = from ? this.walker(from) : this.walker(this.seriesStart(cp), 'full')
    for (;;) {
      const t = performance.now()
      if (walk.step(slice)) break
      await new Promise<void>((r) => setTimeout(r, Math.max(1, performance.now() - t)))
    }
    return this.against(walk.result(), cp)
  }

  private against(chain: ChainWalk, cp: Checkpoint | null | undefined): VerifyResult {
    const head = chain.head
    const scope = chain.scope
    const out = (r: Omit<VerifyResult, 'head' | 'scope'>): VerifyResult => ({ ...r, head, scope })
    if (!chain.ok) return out({ ok: false, checked: chain.checked, firstBrokenSeq: chain.firstBrokenSeq, reason: chain.reason })
    if (cp === undefined) cp = this.storedCheckpoint()
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

  /**
   * A resumable walk from the first entry, or from `from` (its entry is read and checked, then
   * every later one): rows are read in keyset pages, so no statement stays open between steps.
   * `checked` counts the rows that verified (every row read, when the walk ends intact).
   */
  private walker(from: ChainHead | null, scope: VerifyScope = from ? 'since_checkpoint' : 'full'): { step(n: number): boolean; result(): ChainWalk } {
    const page = this.db.prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?')
    let prev = GENESIS_HASH
    let expectedSeq = from?.seq ?? 1
    let checked = 0
    let lastSeq = expectedSeq - 1
    let head: ChainHead | null = null
    let broken: { seq: number; reason: string } | null = null
    let done = false
    return {
      step(n) {
        if (done) return true
        const rows = page.all(lastSeq, Number.isFinite(n) ? n : -1) as AuditRow[]
        for (const r of rows) {
          const { prev_hash: _p, hash: _h, ...content } = r
          if (r.seq !== expectedSeq) broken = { seq: expectedSeq, reason: 'missing row' }
          else if (from && r.seq === from.seq) {
            // The checkpoint's entry: what links it to earlier entries was verified when it was signed.
            if (r.hash !== from.hash) broken = { seq: r.seq, reason: 'chain link broken' }
            else if (rowHash(r.prev_hash, content) !== r.hash) broken = { seq: r.seq, reason: 'row content changed' }
          } else if (r.prev_hash !== prev) broken = { seq: r.seq, reason: 'chain link broken' }
          else if (rowHash(prev, content) !== r.hash) broken = { seq: r.seq, reason: 'row content changed' }
          if (broken) break
          checked++
          prev = r.hash
          head = { seq: r.seq, hash: r.hash }
          lastSeq = r.seq
          expectedSeq++
        }
        done = broken !== null || !Number.isFinite(n) || rows.length < n
        return done
      },
      result: () => (broken ? { ok: false, checked, firstBrokenSeq: broken.seq, reason: broken.reason, head, scope } : { ok: true, checked, firstBrokenSeq: null, head, scope }),
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
  /** The entry a person started a new series at by accepting a break (audit.break_accepted); full walks start there. */
  base?: ChainHead
}

export interface VerifyResult {
  ok: boolean
  checked: number
  firstBrokenSeq: number | null
  reason?: string
  /** The last entry that verified (the head of an intact chain). */
  head: ChainHead | null
  /** Whether every entry was read, or only those from the last verified checkpoint on. */
  scope: VerifyScope
}

export type VerifyScope = 'full' | 'since_checkpoint'

type ChainWalk = { ok: true; checked: number; firstBrokenSeq: null; head: ChainHead | null; scope: VerifyScope } | { ok: false; checked: number; firstBrokenSeq: number; reason: string; head: ChainHead | null; scope: VerifyScope }

export function parseCheckpoint(text: string): Checkpoint | null {
  try {
    const v = JSON.parse(text) as Partial<Checkpoint>
    if (typeof v.seq !== 'number' || typeof v.hash !== 'string' || typeof v.at !== 'number' || typeof v.mac !== 'string') return null
    const base = v.base && typeof v.base.seq === 'number' && typeof v.base.hash === 'string' ? { base: { seq: v.base.seq, hash: v.base.hash } } : {}
    return { seq: v.seq, hash: v.hash, at: v.at, mac: v.mac, ...base }
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
    personId: r.person_id,
    permission: r.permission,
    breakglassId: r.breakglass_id,
    hash: r.hash,
  }
}
