/**
 * File-exchange harness: a real engine (encrypted SQLite, file secret store) with the files
 * module, locations and jobs created through the API, and helpers to read what a file run did.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CallOrigin } from '../../../electron/engine/api/dispatcher'
import { filesModule, type FilesModuleOptions } from '../../../electron/engine/connectors/files'
import { openEngine, type Engine } from '../../../electron/engine/core/engine'
import { createLogger, memorySink } from '../../../electron/engine/core/logger'
import { createFileStore } from '../../../electron/engine/secrets/file-store'
import type { SshdServer } from '../../support/sshd-server'

export const ACTOR: CallOrigin = { actor: 'tester@files (console)', transport: 'internal' }
export const PRACTICE = 'sandbox'
export const HEADER = 'PatientID,FirstName,LastName,DOB,Gender,Address1,Address2,City,State,Zip,Phone,Email,InsuranceProvider,MemberID,GroupNumber'

export interface FilesTestEngine {
  engine: Engine
  dir: string
  logs: string[]
  call<T = unknown>(method: string, input?: unknown): Promise<T>
  callRaw(method: string, input?: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string; details?: unknown } }>
  /** An SFTP location on the test sshd with its client key stored; pinned unless `pin` is false. */
  addSftp(server: SshdServer, opts?: { name?: string; pin?: boolean }): Promise<string>
  addJob(connectionId: string, config?: Record<string, unknown>, name?: string): Promise<{ id: string }>
  run(jobId: string): Promise<{ status: string; summary: Record<string, unknown>; error: { code: string; message: string } | null }>
  audit(action: string): { action: string; details: string; outcome: string }[]
  close(): Promise<void>
}

export async function openFilesEngine(opts: { dir?: string; keep?: boolean; module?: FilesModuleOptions } = {}): Promise<FilesTestEngine> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'ps-files-'))
  const secrets = createFileStore({ file: join(dir, 'secrets.enc'), masterKey: Buffer.from('6b'.repeat(32), 'hex'), location: 'files test store' })
  const mem = memorySink()
  const logger = createLogger({ level: 'debug', sinks: [mem] })
  const engine = await openEngine({ dataDir: dir, secrets, logger, mode: 'headless', version: 'test', operator: 'tester@files' }, [filesModule(opts.module)])
  await engine.start()
  const callRaw = (method: string, input: unknown = {}) => engine.dispatch(method, input, ACTOR) as ReturnType<FilesTestEngine['callRaw']>
  const call = async <T,>(method: string, input: unknown = {}): Promise<T> => {
    const r = await callRaw(method, input)
    if (!r.ok) throw Object.assign(new Error(`${method} failed: ${r.error?.code}: ${r.error?.message}`), { error: r.error })
    return r.value as T
  }
  const t: FilesTestEngine = {
    engine,
    dir,
    logs: mem.lines,
    call,
    callRaw,
    async addSftp(server, o = {}) {
      const c = await call<{ id: string }>('connections.create', {
        practiceId: PRACTICE,
        kind: 'sftp',
        name: o.name ?? 'sftp-test',
        config: { host: server.host, port: server.port, username: server.username, auth: 'key', hostKeySha256: o.pin === false ? null : server.fingerprint },
      })
      await call('connections.setSecret', { id: c.id, field: 'private_key', value: server.clientKey })
      return c.id
    },
    async addJob(connectionId, config = {}, name = 'daily-demographics') {
      return call<{ id: string }>('files.jobs.create', {
        practiceId: PRACTICE,
        name,
        config: { connectionId, direction: 'inbound', kind: 'demographics', folder: 'inbox', stableCheckMs: 200, minAgeSeconds: 0, ...config },
      })
    },
    async run(jobId) {
      return call('files.jobs.run', { id: jobId, practiceId: PRACTICE, waitForRows: true })
    },
    audit(action) {
      return engine.ctx.db.prepare('SELECT action, details, outcome FROM audit_log WHERE action = ? ORDER BY seq').all(action) as { action: string; details: string; outcome: string }[]
    },
    async close() {
      await engine.stop()
      if (!opts.keep) rmSync(dir, { recursive: true, force: true })
    },
  }
  return t
}

export function csvFile(rows: string[], header = HEADER): string {
  return [header, ...rows].join('\r\n') + '\r\n'
}

/**
 * Letters unique per `i` (a bijection for i < 26^6). The matcher folds names to A–Z, so digits in
 * a name ("First12") vanish and every row would look like one person, FIRST LAST: spell it instead.
 */
export function spell(i: number, mult: number): string {
  let x = (i * mult) % 26 ** 6
  let s = ''
  for (let k = 0; k < 6; k++) {
    s += String.fromCharCode(65 + (x % 26))
    x = Math.floor(x / 26)
  }
  return s[0] + s.slice(1).toLowerCase()
}

/** A distinct synthetic patient per `i` (its own names, e-mail, phone, member id). */
export function patientRow(i: number, over: Partial<Record<'id' | 'first' | 'last' | 'dob' | 'zip' | 'phone' | 'email', string>> = {}): string {
  const id = over.id ?? `P${String(i).padStart(6, '0')}`
  const first = over.first ?? spell(i, 48_271)
  const last = over.last ?? spell(i, 69_621)
  const dob = over.dob ?? `${String((i % 12) + 1).padStart(2, '0')}/${String((i % 28) + 1).padStart(2, '0')}/${1940 + (i % 60)}`
  const zip = over.zip ?? String(10000 + (i % 89999)).padStart(5, '0')
  const phone = over.phone ?? `(217) ${200 + (i % 700)}-${String(i % 10000).padStart(4, '0')}`
  const email = over.email ?? `p${i}@example.com`
  return `${id},${first},${last},${dob},${i % 2 ? 'M' : 'F'},${i} Main St,,Springfield,IL,${zip},${phone},${email},Acme Health,M${i},G1`
}
