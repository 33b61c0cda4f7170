/**
 * File jobs and their runs. A job belongs to one practice and one location of that practice;
 * configuration changes are audited with their before/after (the config holds no secrets).
 */
import { randomUUID } from 'node:crypto'
import { AppError } from '../../../../../shared/errors'
import { fileJobConfigSchema, type FileJobConfig } from '../../../../../shared/files'
import type { AuditLog } from '../../../audit/audit-log'
import type { Db } from '../../../store/database'
import { DateTime } from 'luxon'
import { expandName } from './file-names'

export interface FileJob {
  id: string
  practiceId: string
  name: string
  enabled: boolean
  config: FileJobConfig
  createdAt: number
  updatedAt: number
}

export interface FileJobRun {
  id: number
  jobId: string
  practiceId: string
  trigger: 'schedule' | 'manual' | 'resume'
  actor: string
  status: 'running' | 'ok' | 'partial' | 'error' | 'interrupted'
  startedAt: number
  finishedAt: number | null
  summary: Record<string, unknown>
  error: { code: string; message: string } | null
}

interface JobRow {
  id: string
  practice_id: string
  name: string
  enabled: number
  config: string
  created_at: number
  updated_at: number
}

interface RunRow {
  id: number
  job_id: string
  practice_id: string
  trigger: FileJobRun['trigger']
  actor: string
  status: FileJobRun['status']
  started_at: number
  finished_at: number | null
  summary: string
  error_code: string | null
  error_message: string | null
}

const toJob = (r: JobRow): FileJob => ({
  id: r.id,
  practiceId: r.practice_id,
  name: r.name,
  enabled: r.enabled === 1,
  config: fileJobConfigSchema.parse(JSON.parse(r.config)),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

const toRun = (r: RunRow): FileJobRun => ({
  id: r.id,
  jobId: r.job_id,
  practiceId: r.practice_id,
  trigger: r.trigger,
  actor: r.actor,
  status: r.status,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  summary: JSON.parse(r.summary) as Record<string, unknown>,
  error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
})

export interface JobInput {
  name: string
  enabled: boolean
  config: FileJobConfig
}

export class FileJobRepo {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {}

  list(filter: { practiceId?: string; practiceIds?: readonly string[] } = {}): FileJob[] {
    const rows = this.db.prepare('SELECT * FROM file_jobs ORDER BY practice_id, name').all() as JobRow[]
    return rows.filter((r) => (!filter.practiceId || r.practice_id === filter.practiceId) && (!filter.practiceIds || filter.practiceIds.includes(r.practice_id))).map(toJob)
  }

  find(id: string): FileJob | null {
    const r = this.db.prepare('SELECT * FROM file_jobs WHERE id = ?').get(id) as JobRow | undefined
    return r ? toJob(r) : null
  }

  get(id: string): FileJob {
    const j = this.find(id)
    if (!j) throw new AppError('not_found', `There is no file job ${id}.`, { retryable: false })
    return j
  }

  create(practiceId: string, input: JobInput, actor: string): FileJob {
    const config = fileJobConfigSchema.parse(input.config)
    return this.db.transaction(() => {
      this.checkLocation(practiceId, config.connectionId)
      this.checkNaming(practiceId, input.name, config)
      if (this.db.prepare('SELECT 1 FROM file_jobs WHERE practice_id = ? AND name = ?').get(practiceId, input.name)) {
        throw new AppError('conflict', `Practice "${practiceId}" already has a file job named "${input.name}".`, { retryable: false, details: { issues: [{ path: 'name', message: 'already exists' }] } })
      }
      const id = randomUUID()
      const now = this.now()
      this.db
        .prepare('INSERT INTO file_jobs (id, practice_id, connection_id, name, direction, kind, enabled, config, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(id, practiceId, config.connectionId, input.name, config.direction, config.kind, input.enabled ? 1 : 0, JSON.stringify(config), now, now)
      this.audit.append({ actor, action: 'files.job.create', practiceId, targetType: 'file_job', targetId: id, details: { name: input.name, enabled: input.enabled, config } })
      return this.get(id)
    })()
  }

  update(id: string, input: JobInput, actor: string): FileJob {
    const config = fileJobConfigSchema.parse(input.config)
    return this.db.transaction(() => {
      const cur = this.get(id)
      this.checkLocation(cur.practiceId, config.connectionId)
      this.checkNaming(cur.practiceId, input.name, config)
      const other = this.db.prepare('SELECT id FROM file_jobs WHERE practice_id = ? AND name = ?').get(cur.practiceId, input.name) as { id: string } | undefined
      if (other && other.id !== id) throw new AppError('conflict', `Practice "${cur.practiceId}" already has a file job named "${input.name}".`, { retryable: false })
      this.db
        .prepare('UPDATE file_jobs SET name = ?, connection_id = ?, direction = ?, kind = ?, enabled = ?, config = ?, updated_at = ? WHERE id = ?')
        .run(input.name, config.connectionId, config.direction, config.kind, input.enabled ? 1 : 0, JSON.stringify(config), this.now(), id)
      this.audit.append({ actor, action: 'files.job.update', practiceId: cur.practiceId, targetType: 'file_job', targetId: id, details: { name: input.name, enabled: input.enabled, from: cur.config, to: config } })
      return this.get(id)
    })()
  }

  delete(id: string, actor: string): void {
    this.db.transaction(() => {
      const cur = this.get(id)
      this.db.prepare('DELETE FROM file_jobs WHERE id = ?').run(id)
      this.audit.append({ actor, action: 'files.job.delete', practiceId: cur.practiceId, targetType: 'file_job', targetId: id, details: { name: cur.name } })
    })()
  }

  /** An outbound name template must give a plain file name (no folders, no "..") before it is saved. */
  private checkNaming(practiceId: string, name: string, config: FileJobConfig): void {
    if (config.direction !== 'outbound') return
    expandName(config.naming, { practice: practiceId, job: name, kind: config.kind, now: DateTime.fromMillis(this.now(), { zone: 'UTC' }), seq: 1 })
  }

  private checkLocation(practiceId: string, connectionId: string): void {
    const c = this.db.prepare('SELECT practice_id, kind FROM connections WHERE id = ?').get(connectionId) as { practice_id: string; kind: string } | undefined
    if (!c || c.practice_id !== practiceId) {
      throw new AppError('invalid_input', 'The job\'s location is not a connection of this practice.', { retryable: false, details: { issues: [{ path: 'config.connectionId', message: 'unknown location' }] } })
    }
    if (!['sftp', 'ftps', 'folder'].includes(c.kind)) {
      throw new AppError('invalid_input', `The job's location must be an SFTP, FTPS or folder location, not ${c.kind}.`, { retryable: false, details: { issues: [{ path: 'config.connectionId', message: 'not a file location' }] } })
    }
  }

  // ---- runs ----

  /** Starts a run; refused (conflict) while another run of the job is going (a unique index guards it too). */
  startRun(job: FileJob, trigger: FileJobRun['trigger'], actor: string): number {
    try {
      const info = this.db
        .prepare("INSERT INTO file_job_runs (job_id, practice_id, trigger, actor, status, started_at) VALUES (?, ?, ?, ?, 'running', ?)")
        .run(job.id, job.practiceId, trigger, actor, this.now())
      return Number(info.lastInsertRowid)
    } catch (e) {
      if (/UNIQUE/.test((e as Error).message)) throw new AppError('conflict', `File job "${job.name}" is already running.`, { retryable: true })
      throw e
    }
  }

  finishRun(id: number, status: Exclude<FileJobRun['status'], 'running'>, summary: Record<string, unknown>, error: { code: string; message: string } | null): void {
    this.db
      .prepare('UPDATE file_job_runs SET status = ?, finished_at = ?, summary = ?, error_code = ?, error_message = ? WHERE id = ?')
      .run(status, this.now(), JSON.stringify(summary), error?.code ?? null, error?.message ?? null, id)
  }

  /** Retention (`logsDays` of the `files` connector): up to `limit` finished runs of a practice that ended before `before`. */
  pruneRuns(practiceId: string, before: number, limit: number): number {
    return this.db
      .prepare("DELETE FROM file_job_runs WHERE id IN (SELECT id FROM file_job_runs WHERE practice_id = ? AND status != 'running' AND coalesce(finished_at, started_at) < ? ORDER BY id LIMIT ?)")
      .run(practiceId, before, limit).changes
  }

  /** Runs a crash left 'running' (at start, before anything runs). */
  /** Runs of a practice's jobs of these kinds that ended in error or partly (a file refused) since `since` (alert rules). */
  failedRunsOfKinds(practiceId: string, kinds: string[], since: number): number {
    if (kinds.length === 0) return 0
    return (
      this.db
        .prepare(`SELECT count(*) AS n FROM file_job_runs r JOIN file_jobs j ON j.id = r.job_id WHERE j.practice_id = ? AND j.kind IN (${kinds.map(() => '?').join(', ')}) AND r.status IN ('error', 'partial') AND coalesce(r.finished_at, r.started_at) >= ?`)
        .get(practiceId, ...kinds, since) as { n: number }
    ).n
  }

  closeInterrupted(): number {
    return this.db.prepare("UPDATE file_job_runs SET status = 'interrupted', finished_at = ? WHERE status = 'running'").run(this.now()).changes
  }

  runs(jobId: string, limit = 50): FileJobRun[] {
    return (this.db.prepare('SELECT * FROM file_job_runs WHERE job_id = ? ORDER BY id DESC LIMIT ?').all(jobId, limit) as RunRow[]).map(toRun)
  }

  lastRun(jobId: string): FileJobRun | null {
    const r = this.db.prepare('SELECT * FROM file_job_runs WHERE job_id = ? ORDER BY id DESC LIMIT 1').get(jobId) as RunRow | undefined
    return r ? toRun(r) : null
  }

  /** The next {seq} of a job for a day (practice time zone), committed before the name is used. */
  nextSeq(jobId: string, day: string): number {
    const r = this.db
      .prepare('INSERT INTO file_sequences (job_id, day, seq) VALUES (?, ?, 1) ON CONFLICT (job_id, day) DO UPDATE SET seq = seq + 1 RETURNING seq')
      .get(jobId, day) as { seq: number }
    return r.seq
  }
}
