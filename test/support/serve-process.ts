/**
 * Starts the real headless server (`node out/main/serve.js`) as a child process and waits for its
 * readiness line. Used by the end-to-end tests and by integration tests that need a whole server.
 * Set-up signs in like a person would: on a first run it creates the administrator with the
 * printed one-time setup token (and gives them the practice admin role on every practice, so the
 * suites can see PHI), otherwise it signs in with the same credentials; `call` then carries the
 * session cookie and the CSRF header.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export interface ServeProcess {
  child: ChildProcess
  dataDir: string
  url: string
  origin: string
  /** The address exactly as printed (with `#setup=…` on a first run). */
  printedUrl: string
  /** The one-time setup token printed on a first run ('' otherwise, or once used). */
  setupToken: string
  /** The session cookie (`psc_sid=…`) of the signed-in administrator, '' with `setup: false`. */
  cookie: string
  listeners: { kind: string; practice: string; name: string; host: string; port: number }[]
  stdout: string[]
  stderr: string[]
  /**
   * SIGTERM and wait: the exit code, or (when a signal ended it) a string naming the signal with the
   * end of its stderr and of its log file, so an assertion of a clean exit says what happened
   * instead of "null".
   */
  stop(): Promise<number | string>
  /** SIGKILL (kill -9) and wait. */
  kill(): Promise<void>
  call<T = unknown>(method: string, input?: unknown): Promise<{ ok: true; value: T } | { ok: false; error: { code: string; message: string; retryable: boolean; details?: unknown } }>
}

/** The administrator every suite signs in as (created on a first run). */
export const TEST_ADMIN = { username: 'ada', displayName: 'Ada Lovelace', password: 'tulip lantern granite 42' }

/**
 * Session limits for suites: step-up after 30 minutes instead of 5, so a long spec on a loaded
 * machine does not meet a password prompt it did not ask for (the access tests use the defaults).
 */
export const TEST_ACCESS_CONFIG = resolve('test/fixtures/foundation/access-e2e.json')

/**
 * The end of the engine's log file (written synchronously; no PHI by policy). When a signal ends
 * serve, it says whether serve's own SIGTERM handler ran ("shutting down") before the end.
 */
function logTail(dataDir: string): string {
  try {
    return readFileSync(join(dataDir, 'logs', 'engine.log'), 'utf8').slice(-1500)
  } catch (e) {
    return `(no log: ${(e as Error).message})`
  }
}

export function tempDataDir(prefix = 'ps-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export async function startServe(opts: { dataDir?: string; args?: string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number; setup?: boolean } = {}): Promise<ServeProcess> {
  const dataDir = opts.dataDir ?? tempDataDir()
  const entry = resolve('out/main/serve.js')
  const args = opts.args ?? []
  const access = args.includes('--access-config') ? [] : ['--access-config', TEST_ACCESS_CONFIG]
  const child = spawn(process.execPath, [entry, '--data-dir', dataDir, '--port', '0', ...access, ...args], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stdout: string[] = []
  const stderr: string[] = []
  const listeners: ServeProcess['listeners'] = []
  const exited = new Promise<number | string>((r) => child.once('exit', (code, signal) => r(code ?? `killed by ${signal}; stderr ends: ${stderr.join('').slice(-2000)}; engine log ends: ${logTail(dataDir)}`)))
  const ready = new Promise<string>((resolveReady, reject) => {
    let buf = ''
    child.stdout!.setEncoding('utf8')
    child.stdout!.on('data', (chunk: string) => {
      buf += chunk
      let i: number
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        stdout.push(line)
        const l = /^listening: (\S+) ([^/\s]+)\/(\S+) (\S+):(\d+)$/.exec(line)
        if (l) listeners.push({ kind: l[1], practice: l[2], name: l[3], host: l[4], port: Number(l[5]) })
        const m = /^Console ready: (\S+)$/.exec(line)
        if (m) resolveReady(m[1])
      }
    })
    child.stderr!.setEncoding('utf8')
    child.stderr!.on('data', (c: string) => stderr.push(c))
    void exited.then((code) => reject(new Error(`serve exited (${code}) before it was ready:\n${stderr.join('')}`)))
    setTimeout(() => reject(new Error(`serve not ready after ${opts.timeoutMs ?? 60_000} ms:\nstdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('')}`)), opts.timeoutMs ?? 60_000).unref()
  })
  const printed = await ready
  const u = new URL(printed)
  let setupToken = /setup=([^&]+)/.exec(u.hash)?.[1] ?? ''
  const origin = u.origin
  const post = async (method: string, input: unknown, cookie: string): Promise<{ body: { ok: boolean; value?: unknown; error?: { code: string; message: string } }; setCookie: string[] }> => {
    const res = await fetch(`${origin}/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-psc-request': '1', ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(input),
    })
    return { body: (await res.json()) as never, setCookie: res.headers.getSetCookie() }
  }
  let cookie = ''
  if (opts.setup !== false) {
    const first = Boolean(setupToken)
    const r = first
      ? await post('auth.setup', { setupToken, ...TEST_ADMIN }, '')
      : await post('auth.signIn', { username: TEST_ADMIN.username, password: TEST_ADMIN.password }, '')
    if (!r.body.ok) throw new Error(`serve set-up could not sign in: ${r.body.error?.code}: ${r.body.error?.message}`)
    cookie = r.setCookie[0].split(';')[0]
    if (first) {
      setupToken = ''
      const me = (r.body.value as { me: { id: string } }).me
      const g = await post('people.setGrants', { id: me.id, practiceIds: ['*'], grants: [{ practiceId: '*', roleId: 'system_admin' }, { practiceId: '*', roleId: 'practice_admin' }] }, cookie)
      if (!g.body.ok) throw new Error(`serve set-up could not grant the administrator: ${g.body.error?.code}: ${g.body.error?.message}`)
    }
  }
  const url = `${origin}/`
  return {
    child,
    dataDir,
    url,
    printedUrl: printed,
    origin,
    setupToken,
    cookie,
    listeners,
    stdout,
    stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited
      child.kill('SIGTERM')
      return exited
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGKILL')
      await exited
    },
    async call(method, input = {}) {
      return (await post(method, input, cookie)).body as never
    },
  }
}
