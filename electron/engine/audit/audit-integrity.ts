/**
 * Keeps the audit trail tamper-evident across restarts. At start, every minute (the injected
 * clock's) and at stop it checks the chain against the latest checkpoint; only a chain that
 * verifies, including the entry the previous checkpoint signed, gets a new checkpoint of its head.
 * The minute check reads only the entries from the last verified checkpoint to the head (its cost
 * follows what was appended, not the trail's length: a full walk is ~35 µs an entry, 35 s of CPU at
 * a million); the whole chain is walked at start, every `fullCheckIntervalMs` (an hour), on
 * `audit.verify`, and on every check once a break was found (so a break never looks mended). An
 * edit below the last checkpoint is therefore found by the next full walk, within the hour. That checkpoint is kept first in the secret store (`audit-anchor`: the OS keychain
 * or the sealed file, never derived from or stored with the database key), then copied into the
 * database and to the optional syslog / file exports. So someone holding the database key can
 * neither truncate the trail nor rewrite it with recomputed hashes without the next check failing.
 *
 * A failed check raises a security alert that stays until a person acknowledges it (audited), is
 * exported, logged, and shown in `audit.verify` and `system.status`; no checkpoint is written over
 * a broken chain. Entries appended after the last checkpoint (at most one interval's worth) are
 * protected by the chain alone until the next check signs them.
 */
import type { Clock } from '../core/clock'
import type { Logger } from '../core/logger'
import type { Service, ServiceStatus } from '../core/service'
import type { SecretStore } from '../secrets/secret-store'
import type { AnchorExporter } from './anchor-export'
import { AppError } from '../../../shared/errors'
import { parseCheckpoint, type AuditEntry, type AuditLog, type Checkpoint, type VerifyResult, type VerifyScope } from './audit-log'
import type { SecurityAlerts } from './security-alerts'

export const AUDIT_CHECK_INTERVAL_MS = 60_000
export const AUDIT_FULL_CHECK_INTERVAL_MS = 3_600_000
const CHAIN_REASONS = new Set(['missing row', 'chain link broken', 'row content changed'])

export interface IntegrityStatus {
  state: 'ok' | 'broken' | 'unverified'
  detail: string
  lastCheckedAt: number | null
  /** The latest checkpoint kept outside the database. */
  anchor: { seq: number; at: number } | null
  /** The entry the current checkpoint series starts at, when a person accepted a break. */
  seriesStart: number | null
  failure: { firstBrokenSeq: number | null; reason: string } | null
  openAlerts: number
  exportError: string | null
  /** When the whole chain was last walked (the minute check in between reads only new entries). */
  lastFullCheckAt: number | null
  /** What the last check read: every entry, or those from the last checkpoint on. */
  lastCheck: { scope: VerifyScope; checked: number } | null
}

export class AuditIntegrity implements Service {
  readonly name = 'audit-integrity'
  private anchor: Checkpoint | null = null
  /** Set when the secret store's anchor is unreadable: that alone fails every check. */
  private anchorProblem: string | null = null
  private last: VerifyResult | null = null
  private lastAt: number | null = null
  private lastFullAt: number | null = null
  private queue: Promise<unknown> = Promise.resolve()
  private abort: AbortController | null = null
  private loop: Promise<void> | null = null

  constructor(
    private readonly d: {
      audit: AuditLog
      alerts: SecurityAlerts
      secrets: SecretStore
      clock: Clock
      logger: Logger
      exporter: AnchorExporter
      /** Names this installation in exported records. */
      install: string
      intervalMs?: number
      /** How often the minute check walks the whole chain instead of the entries since the checkpoint. */
      fullCheckIntervalMs?: number
    },
  ) {}

  async start(): Promise<void> {
    if (this.loop) return
    await this.loadAnchor()
    await this.check('full')
    const abort = new AbortController()
    this.abort = abort
    this.loop = (async () => {
      for (;;) {
        try {
          await this.d.clock.sleep(this.d.intervalMs ?? AUDIT_CHECK_INTERVAL_MS, abort.signal)
        } catch {
          return
        }
        await this.check('scheduled').catch((e: Error) => this.d.logger.error('audit check failed to run', { error: e.message }))
      }
    })()
  }

  async stop(): Promise<void> {
    this.abort?.abort()
    await this.loop
    this.loop = null
    await this.queue.catch(() => undefined)
    // The entries written since the last tick get their checkpoint before the database closes.
    await this.check('scheduled').catch((e: Error) => this.d.logger.error('the final audit check failed to run', { error: e.message }))
  }

  /** The latest checkpoint kept outside the database (for backups). */
  currentAnchor(): Checkpoint | null {
    return this.anchor
  }

  private async loadAnchor(): Promise<void> {
    const text = await this.d.secrets.get('audit-anchor')
    if (text === null) {
      // No anchor yet (a new install, or the first start of a build that keeps one): the chain is
      // checked against the copy in the database, and the first verified head becomes the anchor.
      this.anchor = null
      return
    }
    this.anchor = parseCheckpoint(text)
    if (!this.anchor || !this.d.audit.signatureValid(this.anchor)) {
      this.anchor = null
      this.anchorProblem = 'the checkpoint kept in the secret store is unreadable or not signed with the audit key'
    }
  }

  /**
   * Verifies the chain against the latest checkpoint and, if it holds, signs its head: `full`
   * walks every entry; `scheduled` (the minute tick, backups, stop) walks from the last verified
   * checkpoint unless a full walk is due. Calls are serialised, so a check never races another's
   * checkpoint.
   */
  check(mode: 'full' | 'scheduled' = 'full'): Promise<VerifyResult> {
    const run = this.queue.then(() => this.checkNow(mode))
    this.queue = run.catch(() => undefined)
    return run
  }

  private fullWalkDue(): boolean {
    if (!this.anchor || this.lastFullAt === null || (this.last && !this.last.ok)) return true
    return this.d.clock.now() - this.lastFullAt >= (this.d.fullCheckIntervalMs ?? AUDIT_FULL_CHECK_INTERVAL_MS)
  }

  private async checkNow(mode: 'full' | 'scheduled'): Promise<VerifyResult> {
    const full = mode === 'full' || this.fullWalkDue()
    const startedAt = this.d.clock.now()
    let r = await this.d.audit.verifyAsync(this.anchor ?? undefined, undefined, full ? null : this.anchor)
    if (r.scope === 'full') this.lastFullAt = startedAt
    if (r.ok && this.anchorProblem) r = { ...r, ok: false, firstBrokenSeq: null, reason: this.anchorProblem }
    this.last = r
    this.lastAt = this.d.clock.now()
    if (!r.ok) {
      this.fail(r)
      return r
    }
    const head = r.head
    if (head && (!this.anchor || this.anchor.seq !== head.seq || this.anchor.hash !== head.hash)) {
      // The series start (a break a person accepted) travels with every later checkpoint.
      const cp = this.d.audit.sign(head, this.anchor?.base)
      // Outside the database first: if the process dies between the two writes, the anchor is the newer one.
      await this.d.secrets.set('audit-anchor', JSON.stringify(cp))
      this.anchor = cp
      this.d.audit.storeCheckpoint(cp)
      await this.d.exporter.export({ type: 'checkpoint', install: this.d.install, checkpoint: cp })
    }
    return r
  }

  /**
   * A person accepts a break they investigated and starts a new checkpoint series: allowed only
   * while the trail fails verification (a fresh full walk). The break is recorded for good as an
   * `audit.break_accepted` entry (first broken entry, the old anchor, who, why, when) that becomes
   * the start of the new series: every later checkpoint, signed with the key outside the database,
   * names that entry, and full walks start from it. So the record cannot be edited or removed
   * without the next check failing, and someone with only the database key can neither forge an
   * acceptance (they cannot sign it) nor hide tampering after it. Entries before the series start
   * are no longer walked; they stay as found, for investigation. The open integrity alerts are
   * acknowledged in the person's name.
   */
  acceptBreak(actor: string, reason: string): Promise<{ entry: AuditEntry; checkpoint: Checkpoint }> {
    const run = this.queue.then(() => this.acceptNow(actor, reason))
    this.queue = run.catch(() => undefined)
    return run
  }

  private async acceptNow(actor: string, reason: string): Promise<{ entry: AuditEntry; checkpoint: Checkpoint }> {
    const r = await this.checkNow('full')
    if (r.ok) throw new AppError('no_break', 'The audit trail verifies; there is no break to accept.')
    const old = this.anchor
    const entry = this.d.audit.append({
      actor,
      action: 'audit.break_accepted',
      targetType: 'audit',
      outcome: 'ok',
      // The reason is the operator's incident note (a ticket, what was found), kept with the record.
      details: { firstBrokenSeq: r.firstBrokenSeq, brokenReason: r.reason ?? 'verification failed', oldAnchor: old ? { seq: old.seq, hash: old.hash, at: old.at } : null, reason },
    })
    const head = { seq: entry.seq, hash: entry.hash }
    const cp = this.d.audit.sign(head, head)
    // Outside the database first, as for every checkpoint: the secret store's anchor is what is trusted.
    await this.d.secrets.set('audit-anchor', JSON.stringify(cp))
    this.anchor = cp
    this.anchorProblem = null
    this.d.audit.storeCheckpoint(cp)
    for (const a of this.d.alerts.list({ openOnly: true, limit: 1000 })) {
      if (a.kind === 'audit_integrity') this.d.alerts.acknowledge(a.id, actor, `break accepted, new checkpoint series from entry ${entry.seq}: ${reason}`)
    }
    this.d.logger.warn('an audit trail break was accepted; a new checkpoint series starts', { seriesStart: entry.seq, firstBrokenSeq: r.firstBrokenSeq })
    await this.d.exporter.export({ type: 'checkpoint', install: this.d.install, checkpoint: cp })
    await this.checkNow('full')
    return { entry, checkpoint: cp }
  }

  private fail(r: VerifyResult): void {
    const reason = r.reason ?? 'verification failed'
    const where = r.firstBrokenSeq !== null ? ` (first broken entry: ${r.firstBrokenSeq})` : ''
    // One alert per break: a break in the chain is named by its entry; a trail that no longer
    // reaches or matches the checkpoint by that checkpoint (its wording changes as entries are added).
    const inChain = CHAIN_REASONS.has(reason) && r.firstBrokenSeq !== null
    const signature = inChain ? `chain:${r.firstBrokenSeq}` : `checkpoint:${this.anchor?.seq ?? 'db'}:${this.anchor?.hash ?? ''}`
    const alert = this.d.alerts.raise(
      'audit_integrity',
      signature,
      'The audit trail failed verification',
      `The audit trail does not verify: ${reason}${where}. Its database was changed outside the console. No checkpoint is written over it; the entries stay as found for investigation. Acknowledge this alert once it has been looked into.`,
      { firstBrokenSeq: r.firstBrokenSeq, reason, checked: r.checked },
    )
    if (!alert) return
    this.d.logger.error('the audit trail failed verification', { firstBrokenSeq: r.firstBrokenSeq, reason })
    void this.d.exporter.export({ type: 'integrity_failure', install: this.d.install, at: this.d.clock.now(), firstBrokenSeq: r.firstBrokenSeq, reason })
  }

  integrity(): IntegrityStatus {
    const r = this.last
    const anchor = this.anchor ? { seq: this.anchor.seq, at: this.anchor.at } : null
    const lastCheck = r ? { scope: r.scope, checked: r.checked } : null
    const base = { lastCheckedAt: this.lastAt, anchor, seriesStart: this.anchor?.base?.seq ?? null, openAlerts: this.d.alerts.openCount(), exportError: this.d.exporter.lastError, lastFullCheckAt: this.lastFullAt, lastCheck }
    if (!r) return { ...base, state: 'unverified', detail: 'not checked yet', failure: null }
    if (!r.ok) {
      const reason = r.reason ?? 'verification failed'
      return { ...base, state: 'broken', detail: `broken${r.firstBrokenSeq !== null ? ` at entry ${r.firstBrokenSeq}` : ''}: ${reason}`, failure: { firstBrokenSeq: r.firstBrokenSeq, reason } }
    }
    const scope = r.scope === 'full' ? `${r.checked} entries verified` : `${r.checked} entries verified since the last checkpoint; whole chain last walked ${this.lastFullAt !== null ? new Date(this.lastFullAt).toISOString() : 'never'}`
    return { ...base, state: 'ok', detail: `${scope}${anchor ? `; checkpoint at entry ${anchor.seq} kept in the secret store` : ''}`, failure: null }
  }

  status(): ServiceStatus {
    const i = this.integrity()
    if (i.state === 'broken') return { name: this.name, state: 'error', detail: `audit trail ${i.detail}` }
    if (i.exportError) return { name: this.name, state: 'degraded', detail: `${i.detail}; checkpoint export failing: ${i.exportError}` }
    return { name: this.name, state: this.loop ? 'running' : 'stopped', detail: i.detail }
  }
}
