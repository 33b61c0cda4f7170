/**
 * Retention: removes what practices said need not be kept, off-peak and in small batches.
 * Per practice and connector (the connector's values override the practice's): raw payloads
 * first (metadata and hash stay), whole finished transactions later, and the connector's logs
 * (each connector that keeps logs in the store registers a LogPruner). The audit trail is never
 * pruned. Each batch is its own short transaction followed by a rest, so acknowledgments and the
 * inbox move keep running during a prune of a large store (npm run bench measures it). Every run
 * is recorded (prune_runs) and audited with counts only.
 */
import { setTimeout as rest } from 'node:timers/promises'
import type { Retention, SystemSettings } from '../../../shared/config'
import type { AuditLog } from '../audit/audit-log'
import type { Clock } from '../core/clock'
import type { Logger } from '../core/logger'
import type { Service, ServiceStatus } from '../core/service'
import type { PracticesRepo } from '../practices/practices-repo'
import type { PruneBatch, PruneRun, RetentionRepo, RunCounts } from './retention-repo'

const DAY = 86_400_000
/** How long an unreferenced document body is kept (it may belong to a write about to commit: RetentionRepo.deleteOrphanBodies). */
export const ORPHAN_BODY_GRACE_MS = 60 * 60_000
/** Bodies are megabytes each: deleting one reads its overflow chain, so few per batch on the thread that answers peers. */
const ORPHAN_BODIES_PER_BATCH = 4

export interface LogPruner {
  connector: string
  /** Deletes up to `limit` of the practice's log rows older than `before`; returns how many. */
  prune(practiceId: string, before: number, limit: number): number | Promise<number>
}

export interface EffectiveRetention {
  transactionsDays: number | null
  rawPayloadDays: number | null
  logsDays: number | null
  /** Whether rawPayloadDays is the connector's override or the practice's rule. */
  rawPayloadScope: 'practice' | 'connector'
}

export function effectiveRetention(r: Retention, connector: string): EffectiveRetention {
  const o = r.connectors[connector] ?? {}
  return {
    transactionsDays: o.transactionsDays === undefined ? r.transactionsDays : o.transactionsDays,
    rawPayloadDays: o.rawPayloadDays === undefined ? r.rawPayloadDays : o.rawPayloadDays,
    logsDays: o.logsDays === undefined ? r.logsDays : o.logsDays,
    rawPayloadScope: o.rawPayloadDays === undefined ? 'practice' : 'connector',
  }
}

/** Whether `at` (local time of this machine) is inside the window; start > end spans midnight, start = end is all day. */
export function inPruneWindow(at: number, w: Pick<SystemSettings['pruner'], 'windowStart' | 'windowEnd'>): boolean {
  const mins = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))
  const d = new Date(at)
  const m = d.getHours() * 60 + d.getMinutes()
  const s = mins(w.windowStart)
  const e = mins(w.windowEnd)
  if (s === e) return true
  return s < e ? m >= s && m < e : m >= s || m < e
}

export class Pruner {
  private readonly logPruners: LogPruner[] = []
  private running: Promise<PruneRun> | null = null

  constructor(
    private readonly d: {
      repo: RetentionRepo
      practices: PracticesRepo
      audit: AuditLog
      clock: Clock
      logger: Logger
      settings: () => SystemSettings['pruner']
    },
  ) {}

  registerLogPruner(p: LogPruner): void {
    if (!this.logPruners.some((x) => x.connector === p.connector)) this.logPruners.push(p)
  }

  /** One run over every practice; a run already going is joined rather than started twice. */
  run(trigger: PruneRun['trigger'], actor = 'system'): Promise<PruneRun> {
    if (!this.running) {
      this.running = this.runNow(trigger, actor).finally(() => {
        this.running = null
      })
    }
    return this.running
  }

  private async runNow(trigger: PruneRun['trigger'], actor: string): Promise<PruneRun> {
    const { repo, clock } = this.d
    const cfg = this.d.settings()
    const startedAt = clock.now()
    const t0 = performance.now()
    const id = repo.startRun(trigger, startedAt)
    const counts: RunCounts = { payloadsPruned: 0, payloadBytes: 0, transactionsDeleted: 0, transactionBytes: 0, logsDeleted: 0, batches: 0 }
    let error: string | null = null
    const bodies = { rows: 0, bytes: 0 }
    // Each batch runs on the thread that answers peers, and most of its cost is paid at COMMIT
    // (the full-text index's deletions, ~0.5-1 ms a row), so its size adapts: the next batch is
    // sized to take about maxBatchMs given how long the last one took, and after each the pruner
    // rests at least as long as the batch ran, so acknowledging keeps at least half of the thread.
    let limit = Math.min(cfg.batchSize, 20)
    const sized = (elapsed: number): void => {
      limit = Math.max(1, Math.min(cfg.batchSize, Math.floor((limit * cfg.maxBatchMs) / Math.max(elapsed, 0.1)), limit * 2))
    }
    const batches = async (fn: (from: PruneBatch['next'], limit: number) => PruneBatch, add: (b: PruneBatch) => void): Promise<void> => {
      let from: PruneBatch['next'] = null
      do {
        const t = performance.now()
        const b = fn(from, limit)
        const elapsed = performance.now() - t
        add(b)
        counts.batches++
        from = b.next
        sized(elapsed)
        await rest(Math.max(cfg.pauseMs, elapsed))
      } while (from)
    }
    try {
      for (const p of this.d.practices.list()) {
        const retention = p.settings.retention
        if (!retention) continue
        const connectors = new Set([...repo.connectorsOf(p.id), ...Object.keys(retention.connectors), ...this.logPruners.map((l) => l.connector)])
        for (const connector of connectors) {
          const r = effectiveRetention(retention, connector)
          const now = clock.now()
          if (r.rawPayloadDays !== null) {
            const before = now - r.rawPayloadDays * DAY
            const rule = { days: r.rawPayloadDays, scope: r.rawPayloadScope }
            await batches(
              (from, n) => repo.pruneRawPayloads({ practiceId: p.id, connector, before, limit: n, from, now, rule }),
              (b) => {
                counts.payloadsPruned += b.rows
                counts.payloadBytes += b.bytes
              },
            )
          }
          if (r.transactionsDays !== null) {
            const before = now - r.transactionsDays * DAY
            await batches(
              (from, n) => repo.deleteTransactions({ practiceId: p.id, connector, before, limit: n, from }),
              (b) => {
                counts.transactionsDeleted += b.rows
                counts.transactionBytes += b.bytes
              },
            )
          }
          if (r.logsDays !== null) {
            const before = now - r.logsDays * DAY
            for (const lp of this.logPruners.filter((l) => l.connector === connector)) {
              for (;;) {
                const t = performance.now()
                const n = await lp.prune(p.id, before, cfg.batchSize)
                counts.logsDeleted += n
                counts.batches++
                await rest(Math.max(cfg.pauseMs, performance.now() - t))
                if (n < cfg.batchSize) break
              }
            }
          }
        }
      }
      // Every run, whatever the practices' rules: a body no record refers to is nobody's data.
      for (;;) {
        const t = performance.now()
        const b = repo.deleteOrphanBodies(clock.now() - ORPHAN_BODY_GRACE_MS, ORPHAN_BODIES_PER_BATCH)
        bodies.rows += b.rows
        bodies.bytes += b.bytes
        counts.batches++
        await rest(Math.max(cfg.pauseMs, performance.now() - t))
        if (b.rows < ORPHAN_BODIES_PER_BATCH) break
      }
    } catch (e) {
      error = (e as { code?: string }).code ?? (e as Error).name
      this.d.logger.error('a retention run failed', { error })
    }
    const durationMs = Math.round(performance.now() - t0)
    const finishedAt = clock.now()
    repo.finishRun(id, counts, finishedAt, durationMs, error)
    this.d.audit.append({ actor, action: 'retention.prune', targetType: 'prune_run', targetId: String(id), outcome: error ? 'error' : 'ok', details: { trigger, ...counts, orphanBodiesDeleted: bodies.rows, orphanBodyBytes: bodies.bytes, durationMs } })
    this.d.logger.info('retention run finished', { trigger, ...counts, orphanBodiesDeleted: bodies.rows, orphanBodyBytes: bodies.bytes, durationMs })
    return { id, trigger, startedAt, finishedAt, durationMs, error, ...counts }
  }
}

export const PRUNE_CHECK_MS = 5 * 60_000
const RUN_EVERY_MS = 60 * 60_000

/** Starts a run once an hour while the clock is inside the off-peak window. */
export class PrunerService implements Service {
  readonly name = 'retention'
  private abort: AbortController | null = null
  private loop: Promise<void> | null = null
  private lastScheduled: number | null = null

  constructor(
    private readonly pruner: Pruner,
    private readonly clock: Clock,
    private readonly settings: () => SystemSettings['pruner'],
    private readonly lastRun: () => PruneRun | null,
    private readonly checkMs = PRUNE_CHECK_MS,
  ) {}

  async start(): Promise<void> {
    if (this.loop) return
    const abort = new AbortController()
    this.abort = abort
    this.loop = (async () => {
      for (;;) {
        try {
          await this.clock.sleep(this.checkMs, abort.signal)
        } catch {
          return
        }
        await this.tick()
      }
    })()
  }

  async tick(): Promise<void> {
    const now = this.clock.now()
    if (!inPruneWindow(now, this.settings())) return
    if (this.lastScheduled !== null && now - this.lastScheduled < RUN_EVERY_MS) return
    this.lastScheduled = now
    await this.pruner.run('schedule')
  }

  async stop(): Promise<void> {
    this.abort?.abort()
    await this.loop
    this.loop = null
  }

  status(): ServiceStatus {
    const s = this.settings()
    const last = this.lastRun()
    const when = `runs between ${s.windowStart} and ${s.windowEnd}`
    if (!this.loop) return { name: this.name, state: 'stopped', detail: when }
    if (last?.error) return { name: this.name, state: 'degraded', detail: `${when}; the last run failed (${last.error})` }
    return { name: this.name, state: 'running', detail: last ? `${when}; last run pruned ${last.payloadsPruned} payloads, deleted ${last.transactionsDeleted} transactions and ${last.logsDeleted} log rows` : when }
  }
}
