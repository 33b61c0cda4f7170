/**
 * Runs file jobs: "run now" and the scheduler both come here. A job never runs twice at once
 * (in this engine: a map of running jobs; in the store: a unique index on its running run).
 */
import { toErrorData } from '../../../../../shared/errors'
import type { EngineContext } from '../../../core/engine-context'
import { AppError } from '../../../../../shared/errors'
import type { FileKinds } from '../kinds/file-kind'
import type { FileTransport, OpenOptions } from '../transports/transport'
import { runInbound } from './inbound-run'
import type { FileJob, FileJobRepo, FileJobRun } from './job-repo'
import { runOutbound } from './outbound-run'
import type { PickupRepo } from './pickup-repo'

export interface JobRunnerDeps {
  ctx: EngineContext
  jobs: FileJobRepo
  pickups: PickupRepo
  kinds: FileKinds
  open(connectionId: string, opts?: OpenOptions): Promise<FileTransport>
  sleep?(ms: number): Promise<void>
}

export class FileJobRunner {
  private readonly running = new Map<string, Promise<FileJobRun>>()

  constructor(private readonly d: JobRunnerDeps) {}

  isRunning(jobId: string): boolean {
    return this.running.has(jobId)
  }

  /** Starts a run; refused (conflict) while the job is already running. Resolves when the run ends. */
  run(jobId: string, trigger: FileJobRun['trigger'], actor: string): Promise<FileJobRun> {
    const job = this.d.jobs.get(jobId)
    if (this.running.has(jobId)) return Promise.reject(new AppError('conflict', `File job "${job.name}" is already running.`, { retryable: true }))
    const runId = this.d.jobs.startRun(job, trigger, actor)
    const p = this.execute(job, runId, actor).finally(() => this.running.delete(jobId))
    this.running.set(jobId, p)
    return p
  }

  /** Waits for every running job (engine stop). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running.values()])
  }

  private async execute(job: FileJob, runId: number, actor: string): Promise<FileJobRun> {
    const { ctx } = this.d
    const log = ctx.logger.child({ component: 'files', job: job.id })
    const practice = ctx.practices.get(job.practiceId)
    ctx.audit.append({ actor, action: 'files.job.run', practiceId: job.practiceId, targetType: 'file_job', targetId: job.id, details: { run: runId, name: job.name } })
    try {
      let summary: Record<string, unknown>
      let status: 'ok' | 'partial' = 'ok'
      if (job.config.direction === 'inbound') {
        const conn = ctx.connections.get(job.config.connectionId)
        const transport = await this.d.open(conn.id)
        try {
          const s = await runInbound({
            ctx,
            kinds: this.d.kinds,
            pickups: this.d.pickups,
            transport,
            job,
            runId,
            actor,
            locationName: conn.name,
            timeZone: practice.timeZone,
            sleep: this.d.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
          })
          if (s.errors || s.refused) status = 'partial'
          summary = { ...s }
        } finally {
          await transport.close()
        }
      } else {
        summary = { ...(await runOutbound({ ctx, kinds: this.d.kinds, jobs: this.d.jobs, pickups: this.d.pickups, job, runId, actor, timeZone: practice.timeZone })) }
      }
      this.d.jobs.finishRun(runId, status, summary, null)
      log.info('file job run finished', { run: runId, status })
    } catch (e) {
      const err = toErrorData(e)
      this.d.jobs.finishRun(runId, 'error', {}, { code: err.code, message: err.message })
      ctx.audit.append({ actor, action: 'files.job.run_failed', practiceId: job.practiceId, targetType: 'file_job', targetId: job.id, outcome: 'error', details: { run: runId, code: err.code } })
      log.warn('file job run failed', { run: runId, code: err.code })
    }
    ctx.events.emit('files.changed', { practiceId: job.practiceId, jobId: job.id })
    return this.d.jobs.runs(job.id, 1)[0]!
  }
}
