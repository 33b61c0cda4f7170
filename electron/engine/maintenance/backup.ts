/**
 * Backups of a running engine: consistent, encrypted, on demand and on a schedule, the newest
 * `keep` kept. Both database files are copied with VACUUM INTO on a worker thread (so the event
 * loop keeps answering peers), the inbox first: a message acknowledged before the backup started
 * is then either in the inbox copy or, if it moved meanwhile, in the main copy taken after it
 * (restore.ts reconciles the move cursor). The copies stay SQLCipher files under the database key;
 * that key and the other secrets travel sealed under the backup key (backup-archive.ts), which
 * lives in the secret store and which the operator exports once as the recovery key
 * (`serve --export-backup-key FILE`). Every backup, made or failed, is audited.
 */
import { Cron } from 'croner'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, statSync } from 'node:fs'
import { mkdtemp, readdir, rename, rm, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError } from '../../../shared/errors'
import type { SystemSettings } from '../../../shared/config'
import type { AuditIntegrity } from '../audit/audit-integrity'
import type { AuditLog } from '../audit/audit-log'
import type { Clock } from '../core/clock'
import type { Logger } from '../core/logger'
import type { Service, ServiceStatus } from '../core/service'
import { connectionSecretNames, type SecretName, type SecretStore } from '../secrets/secret-store'
import { openDatabase } from '../store/database'
import { closeDbWorker, launchDbWorker } from '../store/db-worker'
import { readArchiveHeader, writeArchive, type ArchiveHeader } from './backup-archive'

export const BACKUP_EXT = '.psbackup'

export interface BackupInfo {
  file: string
  name: string
  createdAt: number
  bytes: number
  version: string
  auditHead: number
  keyId: string
}

export interface BackupDeps {
  dataDir: string
  dbFile: string
  inboxFile: string
  secrets: SecretStore
  audit: AuditLog
  integrity: AuditIntegrity
  clock: Clock
  logger: Logger
  version: string
  schema: number
  settings: () => SystemSettings['backups']
  /** Every connection id (their secrets go into the backup). */
  connectionIds: () => string[]
  exportConfig: () => string
  systemSettings: () => unknown
  install: () => Record<string, unknown> | null
}

const VACUUM_SOURCE = `
parentPort.on('message', (m) => {
  if (m === 'close') { parentPort.postMessage('closed'); return }
  try {
    for (const [file, target] of m.jobs) {
      const db = openDb(file)
      try { db.prepare('VACUUM INTO ?').run(target) } finally { db.close() }
    }
    parentPort.postMessage({ ok: true })
  } catch (e) {
    parentPort.postMessage({ ok: false, error: e.code || e.message })
  }
})
parentPort.postMessage('ready')
`

/** The backup key (created on first use): 32 random bytes in the secret store. */
export async function loadBackupKey(secrets: SecretStore): Promise<Buffer> {
  let k = await secrets.get('backup-key')
  if (!k) {
    k = randomBytes(32).toString('hex')
    await secrets.set('backup-key', k)
  }
  return Buffer.from(k, 'hex')
}

function stamp(at: number): string {
  return new Date(at).toISOString().replace(/[-:]/g, '').replace('.', '')
}

export class Backups implements Service {
  readonly name = 'backups'
  private running: Promise<BackupInfo> | null = null
  private cron: Cron | null = null
  private last: { at: number; ok: boolean; detail: string } | null = null

  constructor(private readonly d: BackupDeps) {}

  dir(): string {
    return this.d.settings().dir ?? join(this.d.dataDir, 'backups')
  }

  /** One backup at a time: a second request while one runs gets the running one. */
  create(trigger: 'manual' | 'schedule', actor: string): Promise<BackupInfo> {
    if (!this.running) {
      this.running = this.createNow(trigger, actor).finally(() => {
        this.running = null
      })
    }
    return this.running
  }

  private async createNow(trigger: 'manual' | 'schedule', actor: string): Promise<BackupInfo> {
    const { clock, audit } = this.d
    const t0 = performance.now()
    const dir = this.dir()
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const createdAt = clock.now()
    const name = `practice-studio-${stamp(createdAt)}${BACKUP_EXT}`
    const file = join(dir, name)
    const tmp = await mkdtemp(join(dir, '.partial-'))
    try {
      const key = await loadBackupKey(this.d.secrets)
      // Sign the head first: the checkpoint that travels with the backup then covers (almost) all of it.
      const verified = await this.d.integrity.check('scheduled')
      const anchor = this.d.integrity.currentAnchor()
      const inboxCopy = join(tmp, 'inbox.db')
      const mainCopy = join(tmp, 'practice-studio.db')
      await this.vacuumInto([
        [this.d.inboxFile, inboxCopy],
        [this.d.dbFile, mainCopy],
      ])
      const secrets: Record<string, string> = {}
      const names: SecretName[] = ['db-key', 'audit-key', 'audit-anchor', 'backup-key', ...this.d.connectionIds().flatMap(connectionSecretNames)]
      for (const n of names) {
        const v = await this.d.secrets.get(n)
        if (v !== null) secrets[n] = v
      }
      const partial = `${file}.partial`
      const { bytes } = await writeArchive(
        partial,
        key,
        { createdAt, version: this.d.version, schema: this.d.schema, audit: { head: verified.head?.seq ?? 0, state: verified.ok ? 'ok' : 'broken' } },
        { secrets, install: this.d.install(), config: this.d.exportConfig(), systemSettings: this.d.systemSettings(), anchor },
        [
          { name: 'practice-studio.db', path: mainCopy },
          { name: 'inbox.db', path: inboxCopy },
        ],
      )
      await rename(partial, file)
      const removed = await this.applyKeep()
      const durationMs = Math.round(performance.now() - t0)
      audit.append({ actor, action: 'backup.create', targetType: 'backup', targetId: name, details: { trigger, bytes, durationMs, auditHead: verified.head?.seq ?? 0, removedOld: removed } })
      this.d.logger.info('backup written', { trigger, bytes, durationMs })
      this.last = { at: clock.now(), ok: true, detail: `${name} (${bytes} bytes)` }
      return { file, name, createdAt, bytes, version: this.d.version, auditHead: verified.head?.seq ?? 0, keyId: (await readArchiveHeader(file)).keyId }
    } catch (e) {
      const code = e instanceof AppError ? e.code : ((e as { code?: string }).code ?? 'internal')
      audit.append({ actor, action: 'backup.create', targetType: 'backup', targetId: name, outcome: 'error', details: { trigger, error: code } })
      this.d.logger.error('backup failed', { trigger, error: code })
      this.last = { at: clock.now(), ok: false, detail: `failed (${code})` }
      throw e instanceof AppError ? e : new AppError('internal', `The backup failed (${code}).`, { cause: e })
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }
  }

  /** VACUUM INTO on a worker thread; on the main thread only if no worker can start. */
  private async vacuumInto(jobs: [string, string][]): Promise<void> {
    const keyHex = await this.d.secrets.get('db-key')
    if (!keyHex) throw new AppError('db_key_unavailable', 'The database key is not in the secret store.')
    const worker = await launchDbWorker({ files: {}, keyHex, source: VACUUM_SOURCE, what: 'the backup copier', fallback: 'the backup copies on the main thread', logger: this.d.logger })
    if (!worker) {
      for (const [src, target] of jobs) {
        const db = openDatabase({ file: src, keyHex })
        try {
          db.prepare('VACUUM INTO ?').run(target)
        } finally {
          db.close()
        }
      }
      return
    }
    try {
      worker.ref()
      const r = await new Promise<{ ok: boolean; error?: string }>((resolve, reject) => {
        worker.once('message', resolve)
        worker.once('error', reject)
        worker.postMessage({ jobs })
      })
      if (!r.ok) throw new AppError('internal', `Copying the database for the backup failed (${r.error}).`)
    } finally {
      await closeDbWorker(worker)
    }
  }

  /** Deletes the oldest backup files beyond `keep`; returns how many. */
  private async applyKeep(): Promise<number> {
    const keep = this.d.settings().keep
    const files = (await readdir(this.dir())).filter((f) => f.endsWith(BACKUP_EXT)).sort()
    const old = files.slice(0, Math.max(0, files.length - keep))
    for (const f of old) await unlink(join(this.dir(), f))
    return old.length
  }

  /** The backup files in the backup folder, newest first (headers read without the key: nothing secret is in them). */
  async list(): Promise<BackupInfo[]> {
    const dir = this.dir()
    let names: string[]
    try {
      names = readdirSync(dir).filter((f) => f.endsWith(BACKUP_EXT))
    } catch {
      return []
    }
    const out: BackupInfo[] = []
    for (const name of names.sort().reverse()) {
      const file = join(dir, name)
      let h: ArchiveHeader
      try {
        h = await readArchiveHeader(file)
      } catch {
        continue
      }
      out.push({ file, name, createdAt: h.createdAt, bytes: statSync(file).size, version: h.version, auditHead: h.audit.head, keyId: h.keyId })
    }
    return out
  }

  nextScheduled(): number | null {
    return this.cron?.nextRun()?.getTime() ?? null
  }

  /** (Re)reads the schedule: called at start and whenever the system settings change. */
  reschedule(): void {
    this.cron?.stop()
    this.cron = null
    const schedule = this.d.settings().schedule
    if (!schedule) return
    this.cron = new Cron(schedule, { protect: true }, () => {
      this.create('schedule', 'system').catch(() => undefined)
    })
  }

  async start(): Promise<void> {
    try {
      this.reschedule()
    } catch (e) {
      this.d.logger.error('the backup schedule is invalid; scheduled backups are off', { error: (e as Error).message })
    }
  }

  async stop(): Promise<void> {
    this.cron?.stop()
    this.cron = null
    await this.running?.catch(() => undefined)
  }

  status(): ServiceStatus {
    const next = this.nextScheduled()
    const when = next ? `next backup ${new Date(next).toISOString()}` : 'on demand only'
    if (this.last && !this.last.ok) return { name: this.name, state: 'degraded', detail: `${when}; the last backup ${this.last.detail}` }
    return { name: this.name, state: 'running', detail: this.last ? `${when}; last: ${this.last.detail}` : when }
  }
}

/** Throws a field error when `schedule` is not a cron expression croner can run. */
export function checkSchedule(schedule: string | null): void {
  if (!schedule) return
  try {
    new Cron(schedule, { paused: true }).stop()
  } catch (e) {
    throw new AppError('invalid_input', `The backup schedule "${schedule}" is not a cron expression: ${(e as Error).message}`, { details: { issues: [{ path: 'backups.schedule', message: (e as Error).message }] } })
  }
}
