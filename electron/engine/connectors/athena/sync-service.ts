/**
 * The athenaNet sync service: marks runs a crash interrupted (they resume from their cursors),
 * runs the incremental (changed-feed) syncs of connections with `syncIntervalSeconds`, prunes the
 * API log, and on stop aborts running syncs (their cursors are saved) and flushes the log.
 */
import type { EngineContext } from '../../core/engine-context'
import type { Service, ServiceStatus } from '../../core/service'
import type { AthenaRuntime } from './runtime'
import type { SyncManager } from './workflows/sync'

export class AthenaSyncService implements Service {
  readonly name = 'athena-sync'
  private timers: NodeJS.Timeout[] = []
  private pruneTimer: NodeJS.Timeout | null = null
  private stopped = false

  constructor(
    private readonly ctx: EngineContext,
    private readonly runtime: AthenaRuntime,
    private readonly sync: SyncManager,
  ) {}

  async start(): Promise<void> {
    const n = this.runtime.syncState.markInterrupted(this.ctx.clock.now())
    if (n) this.ctx.logger.warn('athena syncs were interrupted by the last shutdown; they resume from their cursors when run again', { count: n })
    this.schedule()
    void this.prune()
    this.pruneTimer = setInterval(() => void this.prune(), 6 * 3_600_000)
    this.pruneTimer.unref()
  }

  async reload(): Promise<void> {
    this.runtime.invalidate()
    this.schedule()
  }

  async stop(): Promise<void> {
    this.stopped = true
    for (const t of this.timers) clearInterval(t)
    this.timers = []
    if (this.pruneTimer) clearInterval(this.pruneTimer)
    await this.sync.stopAll()
    await this.runtime.apiLog.close()
  }

  status(): ServiceStatus {
    const scheduled = this.timers.length
    return { name: this.name, state: 'running', detail: scheduled ? `${scheduled} practice(s) on a sync schedule` : 'syncs run when asked' }
  }

  private schedule(): void {
    for (const t of this.timers) clearInterval(t)
    this.timers = []
    if (this.stopped) return
    for (const c of this.ctx.connections.list()) {
      if (c.kind !== 'athena-rest' || !c.enabled) continue
      const every = Number(c.config.syncIntervalSeconds ?? 0)
      if (!(every > 0)) continue
      const t = setInterval(() => void this.tick(c.practiceId), every * 1000)
      t.unref()
      this.timers.push(t)
    }
  }

  private async tick(practiceId: string): Promise<void> {
    for (const what of ['patients', 'appointments'] as const) {
      if (this.stopped || this.sync.isRunning(practiceId, what)) continue
      try {
        await this.sync.start({ practiceId, what, mode: 'incremental' }).promise
      } catch (e) {
        this.ctx.logger.warn('scheduled athena sync could not start', { practiceId, what, code: (e as { code?: string }).code })
      }
    }
  }

  private async prune(): Promise<void> {
    let days = 30
    let rows = 200_000
    for (const c of this.ctx.connections.list()) {
      if (c.kind !== 'athena-rest') continue
      days = Math.max(days, Number(c.config.apiLogRetentionDays ?? 30))
      rows = Math.max(rows, Number(c.config.apiLogMaxRows ?? 200_000))
    }
    try {
      const n = await this.runtime.apiLog.prune(days, rows)
      if (n) this.ctx.logger.info('pruned the athena API log', { rows: n })
    } catch {
      /* the store is closing */
    }
  }
}
