/**
 * Evaluates the alert rules on a timer. Time comes from the injected Clock (its `sleep`), so tests
 * and a paused clock control when evaluations happen; `alerts.evaluate` runs one on demand.
 */
import type { Clock } from '../core/clock'
import type { Logger } from '../core/logger'
import type { Service, ServiceStatus } from '../core/service'
import type { Alerts } from './alerts'

export const ALERT_INTERVAL_MS = 30_000

export class AlertService implements Service {
  readonly name = 'alerts'
  private abort: AbortController | null = null
  private loop: Promise<void> | null = null
  private lastRun: number | null = null
  private lastError: string | null = null

  constructor(
    private readonly alerts: Alerts,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly intervalMs = ALERT_INTERVAL_MS,
  ) {}

  async start(): Promise<void> {
    if (this.loop) return
    const abort = new AbortController()
    this.abort = abort
    this.loop = (async () => {
      while (!abort.signal.aborted) {
        this.tick()
        try {
          await this.clock.sleep(this.intervalMs, abort.signal)
        } catch {
          return
        }
      }
    })()
  }

  /** One evaluation of every enabled rule; a failure is logged and shown in the status, never thrown. */
  tick(): void {
    try {
      this.alerts.evaluate()
      this.lastError = null
    } catch (e) {
      this.lastError = (e as Error).message
      this.logger.error('alert evaluation failed', { error: this.lastError })
    }
    this.lastRun = this.clock.now()
  }

  async stop(): Promise<void> {
    this.abort?.abort()
    await this.loop
    this.loop = null
  }

  status(): ServiceStatus {
    if (!this.loop) return { name: this.name, state: 'stopped' }
    if (this.lastError) return { name: this.name, state: 'degraded', detail: `last evaluation failed: ${this.lastError}` }
    return { name: this.name, state: 'running', detail: this.lastRun ? `rules checked every ${Math.round(this.intervalMs / 1000)} s` : 'starting' }
  }
}
