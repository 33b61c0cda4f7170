/**
 * The headless transport: the same contract as Electron IPC, over HTTP on loopback.
 *   POST /api/<method>   JSON body = input; Authorization: Bearer <token>; → Result envelope
 *   GET  /api/events     Server-Sent Events with every engine event (same auth)
 *   GET  /*              the built console (static files)
 * Defences: a random per-start bearer token (constant-time compare); Host header must be this
 * server (DNS rebinding); cross-origin requests refused (Origin must match, no CORS headers,
 * JSON content type required so no "simple" form post gets through); body size cap; strict CSP
 * and no-sniff on the console files; paths confined to the static folder.
 */
import { timingSafeEqual } from 'node:crypto'
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { extname, join, resolve, sep } from 'node:path'
import type { ErrorCode, Result } from '../../shared/errors'
import type { Dispatch } from '../engine/api/dispatcher'
import type { EventBus } from '../engine/core/event-bus'
import type { Logger } from '../engine/core/logger'

export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const MAX_BODY = 25 * 1024 * 1024

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
}

const STATUS_OF: Record<string, number> = {
  invalid_input: 400,
  unknown_method: 404,
  not_found: 404,
  conflict: 409,
  unauthorized: 401,
  forbidden: 403,
}

export interface HttpTransportOptions {
  dispatch: Dispatch
  events: EventBus
  token: string
  staticDir: string | null
  logger: Logger
  actor: string
  host?: string
  port?: number
}

export interface HttpTransport {
  server: Server
  host: string
  port: number
  url: string
  close(): Promise<void>
}

export async function startHttpTransport(o: HttpTransportOptions): Promise<HttpTransport> {
  const host = o.host ?? '127.0.0.1'
  const tokenBuf = Buffer.from(o.token)
  const sseClients = new Set<ServerResponse>()
  const staticRoot = o.staticDir && existsSync(o.staticDir) ? realpathSync(o.staticDir) : null
  let port = 0

  const authorized = (req: IncomingMessage): boolean => {
    const h = req.headers.authorization ?? ''
    const m = /^Bearer (.+)$/.exec(h)
    if (!m) return false
    const given = Buffer.from(m[1])
    return given.length === tokenBuf.length && timingSafeEqual(given, tokenBuf)
  }
  const allowedHosts = (): Set<string> => new Set([`${host}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])
  const sameOrigin = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin
    if (!origin) return true // non-browser clients (tests, curl) send none; browsers always send it cross-origin
    try {
      return allowedHosts().has(new URL(origin).host)
    } catch {
      return false
    }
  }

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const data = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers })
    res.end(data)
  }
  const fail = (res: ServerResponse, status: number, code: ErrorCode, message: string): void =>
    send(res, status, { ok: false, error: { code, message, retryable: false } } satisfies Result<never> as unknown)

  const server = createServer((req, res) => {
    void handle(req, res).catch((e) => {
      o.logger.error('http handler failed', { error: (e as Error).message })
      if (!res.headersSent) fail(res, 500, 'internal', 'Internal error')
      else res.destroy()
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts().has(req.headers.host ?? '')) return fail(res, 421, 'forbidden', 'Unexpected Host header.')
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`)
    if (url.pathname.startsWith('/api/')) {
      if (!sameOrigin(req)) return fail(res, 403, 'forbidden', 'Cross-origin requests are not allowed.')
      if (req.method === 'OPTIONS') return fail(res, 403, 'forbidden', 'Cross-origin requests are not allowed.')
      if (!authorized(req)) return fail(res, 401, 'unauthorized', 'Missing or invalid session token.')
      if (url.pathname === '/api/events' && req.method === 'GET') return events(req, res)
      if (req.method !== 'POST') return fail(res, 405, 'invalid_input', 'Use POST.')
      if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) return fail(res, 415, 'invalid_input', 'Content-Type must be application/json.')
      const method = decodeURIComponent(url.pathname.slice('/api/'.length))
      const body = await readBody(req)
      if (body === null) return fail(res, 413, 'invalid_input', `Request body larger than ${MAX_BODY} bytes.`)
      let input: unknown = {}
      if (body.length > 0) {
        try {
          input = JSON.parse(body.toString('utf8'))
        } catch {
          return send(res, 400, { ok: false, error: { code: 'invalid_input', message: 'The request body is not valid JSON.', retryable: false } })
        }
      }
      const result = await o.dispatch(method, input, { actor: o.actor, transport: 'http' })
      return send(res, result.ok ? 200 : (STATUS_OF[result.error.code] ?? (result.error.code === 'internal' ? 500 : 422)), result)
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, 'invalid_input', 'Method not allowed.')
    return serveStatic(url.pathname, res)
  }

  function events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-content-type-options': 'nosniff' })
    res.write(': connected\n\n')
    sseClients.add(res)
    const heartbeat = setInterval(() => res.write(': ping\n\n'), 15_000)
    const off = o.events.onAny((name, payload) => {
      res.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`)
    })
    const done = (): void => {
      clearInterval(heartbeat)
      off()
      sseClients.delete(res)
    }
    // Not req 'close': for a GET that fires as soon as the (empty) request body is read.
    res.on('close', done)
  }

  function serveStatic(pathname: string, res: ServerResponse): void {
    if (!staticRoot) return fail(res, 404, 'not_found', 'The console is not built. Run `npm run build`.')
    let decoded: string
    try {
      decoded = decodeURIComponent(pathname)
    } catch {
      return fail(res, 400, 'invalid_input', 'Bad path.')
    }
    if (decoded.includes('\0')) return fail(res, 400, 'invalid_input', 'Bad path.')
    const rel = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '')
    let file = resolve(staticRoot, rel)
    if (!file.startsWith(staticRoot + sep) && file !== staticRoot) return fail(res, 404, 'not_found', 'Not found.')
    if (!existsSync(file) || statSync(file).isDirectory()) {
      // Client-side routes fall back to the console; missing assets stay 404.
      if (extname(rel)) return fail(res, 404, 'not_found', 'Not found.')
      file = join(staticRoot, 'index.html')
    }
    const real = realpathSync(file)
    if (!real.startsWith(staticRoot + sep)) return fail(res, 404, 'not_found', 'Not found.')
    res.writeHead(200, {
      'content-type': MIME[extname(real)] ?? 'application/octet-stream',
      'content-security-policy': CONSOLE_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cache-control': real.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-store',
    })
    createReadStream(real).pipe(res)
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject)
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject)
      resolveListen()
    })
  })
  port = (server.address() as { port: number }).port
  const urlHost = host.includes(':') ? `[${host}]` : host
  return {
    server,
    host,
    port,
    url: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const c of sseClients) c.end()
        server.close(() => r())
        server.closeAllConnections()
      }),
  }
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let tooBig = false
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) {
        tooBig = true
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolveBody(tooBig ? null : Buffer.concat(chunks)))
    req.on('error', reject)
  })
}
