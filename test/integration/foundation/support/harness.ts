/**
 * In-process engines for the foundation tests: a temp data folder, an encrypted-file secret store
 * with a fixed master key (fast, no keychain needed), and a logger whose every line is kept so a
 * test can scan it. Tests that are about the keychain use the real one explicitly.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openEngine, type ConnectorModule, type Engine } from '../../../../electron/engine/core/engine'
import { DB_FILE } from '../../../../electron/engine/core/data-dir'
import { systemClock, type Clock } from '../../../../electron/engine/core/clock'
import { createLogger, fileSink, memorySink } from '../../../../electron/engine/core/logger'
import { createFileStore } from '../../../../electron/engine/secrets/file-store'
import type { SecretStore } from '../../../../electron/engine/secrets/secret-store'
import { openDatabase, type Db } from '../../../../electron/engine/store/database'
import type { CallOrigin } from '../../../../electron/engine/api/dispatcher'

export const MASTER_KEY = Buffer.from('6b'.repeat(32), 'hex')

export function tempDir(prefix = 'ps-found-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function fileStoreFor(dataDir: string, masterKey: Buffer = MASTER_KEY): SecretStore {
  return createFileStore({ file: join(dataDir, 'secrets.enc'), masterKey, location: 'test file store' })
}

export interface TestEngine {
  engine: Engine
  dataDir: string
  dbFile: string
  store: SecretStore
  /** Every log line written so far (the same lines go to <dataDir>/logs/engine.log). */
  logs: string[]
  call<T = unknown>(method: string, input?: unknown): Promise<T>
  callRaw(method: string, input?: unknown): Promise<{ ok: true; value: unknown } | { ok: false; error: { code: string; message: string; retryable: boolean; details?: unknown } }>
  stop(): Promise<void>
}

export const ACTOR: CallOrigin = { actor: 'tester@test-host (console)', transport: 'internal' }

export async function openTestEngine(opts: { dataDir?: string; store?: SecretStore; clock?: Clock; modules?: ConnectorModule[]; start?: boolean; storeThreads?: boolean; groupedProcessing?: boolean } = {}): Promise<TestEngine> {
  const dataDir = opts.dataDir ?? tempDir()
  const store = opts.store ?? fileStoreFor(dataDir)
  const mem = memorySink()
  const logger = createLogger({ level: 'debug', sinks: [mem, fileSink(join(dataDir, 'logs', 'engine.log'))] })
  const engine = await openEngine({ dataDir, secrets: store, logger, clock: opts.clock ?? systemClock, mode: 'headless', version: 'test', operator: 'tester@test-host', storeThreads: opts.storeThreads, groupedProcessing: opts.groupedProcessing }, opts.modules ?? [])
  if (opts.start !== false) await engine.start()
  const callRaw: TestEngine['callRaw'] = (method, input = {}) => engine.dispatch(method, input, ACTOR) as never
  return {
    engine,
    dataDir,
    dbFile: join(dataDir, DB_FILE),
    store,
    logs: mem.lines,
    callRaw,
    async call<T>(method: string, input: unknown = {}): Promise<T> {
      const r = await callRaw(method, input)
      if (!r.ok) throw new Error(`${method} failed: ${r.error.code}: ${r.error.message}`)
      return r.value as T
    },
    stop: () => engine.stop(),
  }
}

/** A second, independent connection to an engine's database (sees only committed data). */
export async function openSecondConnection(t: { dbFile: string; store: SecretStore }): Promise<Db> {
  const key = await t.store.get('db-key')
  if (!key) throw new Error('no db key in the store')
  return openDatabase({ file: t.dbFile, keyHex: key, readonly: true })
}

export function randomKeyHex(): string {
  return randomBytes(32).toString('hex')
}

/** Every regular file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      const st = statSync(p)
      if (st.isDirectory()) walk(p)
      else if (st.isFile()) out.push(p)
    }
  }
  if (existsSync(dir)) walk(dir)
  return out
}

/** Files (under `dir`) whose bytes contain `needle` as UTF-8, UTF-16LE, hex or base64. */
export function filesContaining(dir: string, needle: string): string[] {
  const forms = [Buffer.from(needle, 'utf8'), Buffer.from(needle, 'utf16le'), Buffer.from(Buffer.from(needle).toString('hex')), Buffer.from(Buffer.from(needle).toString('base64'))]
  return filesUnder(dir).filter((f) => {
    const b = readFileSync(f)
    return forms.some((n) => b.includes(n))
  })
}

export function fileMode(path: string): number {
  return statSync(path).mode & 0o777
}

/** A clock the test moves by hand (monotonic and sleep stay real, so timers still fire). */
export function manualClock(start = Date.parse('2026-01-15T09:30:00Z')): Clock & { set(ms: number): void; advance(ms: number): void } {
  let t = start
  return {
    now: () => t,
    monotonic: () => performance.now(),
    sleep: systemClock.sleep,
    set(ms: number) {
      t = ms
    },
    advance(ms: number) {
      t += ms
    },
  }
}

/** Polls `fn` until it returns a truthy value (a wait for a state, never a timing assertion). */
export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 90_000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v as NonNullable<T>
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/**
 * A clock whose time moves only when the test says so, and whose `sleep` resolves when that time
 * passes: a service's "every minute" tick happens at `advance(60_000)`, without waiting a minute.
 */
export function steppedClock(start = Date.parse('2026-01-15T09:30:00Z')): Clock & { advance(ms: number): void } {
  let t = start
  const sleepers = new Set<{ at: number; resolve(): void }>()
  return {
    now: () => t,
    monotonic: () => performance.now(),
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason)
        const s = { at: t + ms, resolve: () => (sleepers.delete(s), resolve()) }
        sleepers.add(s)
        signal?.addEventListener('abort', () => (sleepers.delete(s), reject(signal.reason)), { once: true })
      }),
    advance(ms: number) {
      t += ms
      for (const s of [...sleepers]) if (s.at <= t) s.resolve()
    },
  }
}
