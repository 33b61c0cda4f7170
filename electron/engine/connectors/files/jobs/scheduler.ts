/**
 * The file jobs' clock: each enabled job with a schedule gets a croner job in its practice's time
 * zone. A non-urgent job whose run falls outside its off-peak window waits for the window to open.
 * Overlap is refused by the runner (a job never runs twice at once); a skipped tick is logged.
 */
import { Cron } from 'croner'
import { DateTime } from 'luxon'
import { toErrorData } from '../../../../../shared/errors'
import type { ServiceStatus, Service } from '../../../core/service'
import type { EngineContext } from '../../../core/engine-context'
import type { FileKinds } from '../kinds/file-kind'
import type { FileJob, FileJobRepo } from './job-repo'
import type { FileJobRunner } from './job-runner'

export const FILES_SCHEDULER = 'files-scheduler'

/** Milliseconds until the off-peak window opens (0 when inside it). Windows may cross midnight. */
export function offPeakDelay(now: DateTime, window: { start: string; end: string } | null): number {
  if (!window) return 0
  const at = (hhmm: string, base: DateTime): DateTime => {
    const [h, m] = hhmm.split(':').map(Number) as [number, number]
    return base.set({ hour: h, minute: m, second: 0, millisecond: 0 })
  }
  const minutes = now.hour * 60 + now.minute
  const toMin = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3))
  const s = toMin(window.start)
  const e = toMin(window.end)
  const inside = s <= e ? minutes >= s && minutes < e : minutes >= s || minutes < e
  if (inside) return 0
  let open = at(window.start, now)
  if (open <= now) open = at(window.start, now.plus({ days: 1 }))
  return open.toMillis() - now.toMillis()
}

/**
 * Milliseconds from `at` until a quiet window closes (0 when `at` is outside it). Kinds keep their
 * runs out of the 01:00–03:00 DST changeover this way: a skipped or repeated local hour never
 * moves or doubles a nightly batch.
 */
export function quietDelay(at: DateTime, window: { start: string; end: string } | undefined): number {
  if (!window) return 0
  const toMin = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3))
  const minutes = at.hour * 60 + at.minute
  const s = toMin(window.start)
  const e = toMin(window.end)
  const inside = s <= e ? minutes >= s && minutes < e : minutes >= s || minutes < e
  if (!inside) return 0
  let close = at.set({ hour: Math.floor(e / 60), minute: e % 60, second: 0, millisecond: 0 })
  if (close <= at) close = close.plus({ days: 1 }).set({ hour: Math.floor(e / 60), minute: e % 60 })
  return close.toMillis() - at.toMillis()
}

/** The next run of a schedule in a zone (null: no schedule, or an expression croner refuses). */
export function nextRun(schedule: string | null, timeZone: string, from: Date): Date | null {
  if (!schedule) return null
  try {
    return new Cron(schedule, { timezone: timeZone, paused: true }).nextRun(from)
  } catch {
    return null
  }
}

export class FileScheduler implements Service {
  readonly name = FILES_SCHEDULER
  private crons = new Map<string, Cron>()
  private waits = new Map<string, NodeJS.Timeout>()
  private started = false

  constructor(
    private readonly ctx: EngineContext,
    private readonly jobs: FileJobRepo,
    private readonly runner: FileJobRunner,
    private readonly kinds?: FileKinds,
  ) {}

  async start(): Promise<void> {
    this.started = true
    const closed = this.jobs.closeInterrupted()
    if (closed) this.ctx.logger.warn('file job runs interrupted by a stop or crash were closed', { runs: closed })
    this.arm()
  }

  async stop(): Promise<void> {
    this.started = false
    this.disarm()
    await this.runner.drain()
  }

  async reload(): Promise<void> {
    if (!this.started) return
    this.disarm()
    this.arm()
  }

  status(): ServiceStatus {
    return { name: this.name, state: this.started ? 'running' : 'stopped', detail: `${this.crons.size} scheduled file jobs` }
  }

  private arm(): void {
    for (const job of this.jobs.list()) {
      if (!job.enabled || !job.config.schedule) continue
      const tz = this.ctx.practices.get(job.practiceId).timeZone
      try {
        this.crons.set(job.id, new Cron(job.config.schedule, { timezone: tz, protect: true }, () => this.due(job.id)))
      } catch (e) {
        this.ctx.logger.error('file job schedule refused', { job: job.id, error: (e as Error).message.slice(0, 120) })
      }
    }
  }

  private disarm(): void {
    for (const c of this.crons.values()) c.stop()
    this.crons.clear()
    for (const t of this.waits.values()) clearTimeout(t)
    this.waits.clear()
  }

  private due(jobId: string): void {
    const job: FileJob | null = this.jobs.find(jobId)
    if (!job || !job.enabled || !this.started) return
    const tz = this.ctx.practices.get(job.practiceId).timeZone
    const now = DateTime.fromMillis(this.ctx.clock.now(), { zone: tz })
    const offPeak = job.config.urgent ? 0 : offPeakDelay(now, job.config.offPeak)
    const wait = offPeak + quietDelay(now.plus(offPeak), this.kinds?.of(job.config.direction, job.config.kind)?.quietWindow)
    if (wait > 0) {
      if (this.waits.has(jobId)) return
      this.ctx.logger.info('file job waits for its off-peak window or out of its quiet hours', { job: jobId, waitMs: wait })
      const t = setTimeout(() => {
        this.waits.delete(jobId)
        this.fire(jobId)
      }, wait)
      t.unref()
      this.waits.set(jobId, t)
      return
    }
    this.fire(jobId)
  }

  private fire(jobId: string): void {
    if (this.runner.isRunning(jobId)) {
      this.ctx.logger.warn('file job still running at its next tick; this tick is skipped', { job: jobId })
      return
    }
    this.runner.run(jobId, 'schedule', 'scheduler').catch((e: unknown) => this.ctx.logger.warn('scheduled file job did not start', { job: jobId, code: toErrorData(e).code }))
  }
}
