/**
 * Helpers around the real built server (`out/main/serve.js`, built by `npx electron-vite build`):
 * run it to completion, and talk HTTP at the byte level (custom Host headers, raw paths) where
 * fetch would normalise or refuse what the test needs to send.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { request } from 'node:http'
import { resolve } from 'node:path'

export const SERVE_JS = resolve('out/main/serve.js')

/** The server tests run the built artifact; without it they fail with instructions (never skip). */
export function requireBuiltServer(): void {
  if (!existsSync(SERVE_JS) || !existsSync(resolve('out/renderer/index.html'))) {
    throw new Error(`${SERVE_JS} or out/renderer/index.html is missing: run \`npx electron-vite build\` before the integration tests.`)
  }
}

export interface Exited {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs serve.js with `args` until it exits on its own (e.g. --help, an invalid --config). */
export function runServeToExit(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<Exited> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [SERVE_JS, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`serve ${args.join(' ')} did not exit within ${timeoutMs} ms:\n${stdout}\n${stderr}`))
    }, timeoutMs)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      // Let the pipes drain.
      setImmediate(() => resolveRun({ code, signal, stdout, stderr }))
    })
  })
}

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** One HTTP request exactly as given: the path is not normalised and the Host header is whatever the test says. */
export function rawRequest(opts: { host?: string; port: number; method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<RawResponse> {
  return new Promise((resolveReq, reject) => {
    const req = request(
      { host: opts.host ?? '127.0.0.1', port: opts.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers ?? {}, setHost: !(opts.headers && 'host' in opts.headers) },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolveReq({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    if (opts.body !== undefined) req.write(opts.body)
    req.end()
  })
}

export function portOf(origin: string): number {
  return Number(new URL(origin).port)
}
