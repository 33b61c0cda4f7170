/**
 * Starts the real headless server (`node out/main/serve.js`) as a child process and waits for its
 * readiness line. Used by the end-to-end tests and by integration tests that need a whole server.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export interface ServeProcess {
  child: ChildProcess
  dataDir: string
  url: string
  origin: string
  token: string
  listeners: { kind: string; practice: string; name: string; host: string; port: number }[]
  stdout: string[]
  stderr: string[]
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>
  /** SIGKILL (kill -9) and wait. */
  kill(): Promise<void>
  call<T = unknown>(method: string, input?: unknown): Promise<{ ok: true; value: T } | { ok: false; error: { code: string; message: string; retryable: boolean; details?: unknown } }>
}

export function tempDataDir(prefix = 'ps-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export async function startServe(opts: { dataDir?: string; args?: string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ServeProcess> {
  const dataDir = opts.dataDir ?? tempDataDir()
  const entry = resolve('out/main/serve.js')
  const child = spawn(process.execPath, [entry, '--data-dir', dataDir, '--port', '0', ...(opts.args ?? [])], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stdout: string[] = []
  const stderr: string[] = []
  const listeners: ServeProcess['listeners'] = []
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
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
    setTimeout(() => reject(new Error(`serve not ready after ${opts.timeoutMs ?? 60_000} ms:\n${stderr.join('')}`)), opts.timeoutMs ?? 60_000).unref()
  })
  const url = await ready
  const u = new URL(url)
  const token = /token=([^&]+)/.exec(u.hash)![1]
  const origin = u.origin
  return {
    child,
    dataDir,
    url,
    origin,
    token,
    listeners,
    stdout,
    stderr,
    async stop() {
      if (child.exitCode !== null) return child.exitCode
      child.kill('SIGTERM')
      return exited
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGKILL')
      await exited
    },
    async call(method, input = {}) {
      const res = await fetch(`${origin}/api/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(input),
      })
      return (await res.json()) as never
    },
  }
}
