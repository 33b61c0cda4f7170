/**
 * The headless transport: the same contract as Electron IPC, over HTTP (TLS when configured).
 *   POST /api/<method>   JSON body = input; session cookie; → Result envelope
 *   GET  /api/events     Server-Sent Events: the engine events the signed-in person may see
 *   GET  /*              the built console (static files)
 * Sessions: signing in (auth.setup / auth.signIn / auth.oidcFinish) sets an HttpOnly,
 * SameSite=Strict cookie holding a random 256-bit token (Secure and `__Host-` with TLS); the
 * engine keeps only its hash and checks idle and absolute limits on every call. The token never
 * appears in a URL or in the console's JavaScript.
 * Defences: every API call needs the custom header `X-PSC-Request: 1` (no cross-site form or
 * "simple" request can carry it) and, when the browser sends one, an Origin equal to this
 * server's origin, scheme included; the Host header must be this server (DNS rebinding) on
 * plain-HTTP loopback; content type exactly application/json; body size cap; strict CSP and
 * no-sniff on the console files (HSTS with TLS); paths confined to the static folder.
 */
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import { extname, join, resolve, sep } from 'node:path'
import type { ErrorCode, Result } from '../../shared/errors'
import type { AccessService } from '../engine/access/access-service'
import { eventVisible } from '../engine/access/event-visibility'
import type { Principal } from '../engine/access/principal'
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

export interface TlsOptions {
  /** PEM certificate chain and private key (operator-supplied). */
  cert: Buffer
  key: Buffer
  /** CA bundle for client certificates; with it, a client certificate signed by it is required. */
  clientCa?: Buffer
}

export interface HttpTransportOptions {
  dispatch: Dispatch
  events: EventBus
  access: AccessService
  staticDir: string | null
  logger: Logger
  host?: string
  port?: number
  tls?: TlsOptions
}

export interface HttpTransport {
  server: Server
  host: string
  port: number
  url: string
  close(): Promise<void>
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])
export const isLoopback = (host: string): boolean => LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host)

/** application/json with no parameter but charset=utf-8 (a prefix match would let "application/jsonp" or "application/json-seq" in). */
export function isJsonContentType(v: string | undefined): boolean {
  if (!v) return false
  const [type, ...params] = v.split(';').map((x) => x.trim().toLowerCase())
  return type === 'application/json' && params.every((p) => p === 'charset=utf-8' || p === 'charset="utf-8"')
}

interface EventClient {
  res: ServerResponse
  token: string
  sessionId: string
  principal: Principal
  generation: number
}

export async function startHttpTransport(o: HttpTransportOptions): Promise<HttpTransport> {
  const host = o.host ?? '127.0.0.1'
  const secure = Boolean(o.tls)
  if (!isLoopback(host) && !secure) {
    throw new Error(`Refusing to serve the console on ${host} without TLS: pass --tls-cert and --tls-key (see docs/CONFIG.md, "Serving beyond this machine").`)
  }
  const cookieName = secure ? '__Host-psc_sid' : 'psc_sid'
  const sseClients = new Set<EventClient>()
  const staticRoot = o.staticDir && existsSync(o.staticDir) ? realpathSync(o.staticDir) : null
  let port = 0

  const allowedHosts = (): Set<string> => new Set([`${host}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])
  /** Plain HTTP answers only to its loopback names (DNS rebinding); with TLS the certificate pins the name. */
  const hostOk = (req: IncomingMessage): boolean => secure || allowedHosts().has(req.headers.host ?? '')
  const scheme = secure ? 'https' : 'http'
  const originOk = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin
    // Non-browser clients send none; a browser always sends it on a POST and on a cross-origin GET.
    if (origin === undefined) return true
    const own = secure ? [`${scheme}://${req.headers.host}`] : [...allowedHosts()].map((h) => `${scheme}://${h}`)
    if (!own.includes(origin)) return false
    const site = req.headers['sec-fetch-site']
    return site === undefined || site === 'same-origin' || site === 'none'
  }
  const tokenOf = (req: IncomingMessage): string | null => {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const i = part.indexOf('=')
      if (i > 0 && part.slice(0, i).trim() === cookieName) return part.slice(i + 1).trim() || null
    }
    return null
  }
  const clientOf = (req: IncomingMessage): string => `${req.socket.remoteAddress ?? '?'} ${String(req.headers['user-agent'] ?? '').slice(0, 120)}`.trim()
  const cookie = (token: string | null): string =>
    token === null
      ? `${cookieName}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`
      : `${cookieName}=${token}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`
  const security = (): Record<string, string> => (secure ? { 'strict-transport-security': 'max-age=31536000' } : {})

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void => {
    const data = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...security(), ...headers })
    res.end(data)
  }
  const fail = (res: ServerResponse, status: number, code: ErrorCode, message: string): void =>
    send(res, status, { ok: false, error: { code, message, retryable: false } } satisfies Result<never> as unknown)

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void handle(req, res).catch((e) => {
      o.logger.error('http handler failed', { error: (e as Error).name })
      if (!res.headersSent) fail(res, 500, 'internal', 'Internal error')
      else res.destroy()
    })
  }
  const server: Server = o.tls
    ? (createTlsServer(
        { cert: o.tls.cert, key: o.tls.key, minVersion: 'TLSv1.2', ...(o.tls.clientCa ? { ca: o.tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}) },
        onRequest,
      ) as unknown as Server)
    : createServer(onRequest)

  o.access.onSessionsEnded((ids) => {
    for (const c of sseClients) if (ids.includes(c.sessionId)) c.res.end()
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostOk(req)) return fail(res, 421, 'forbidden', 'Unexpected Host header.')
    let url: URL
    try {
      url = new URL(req.url ?? '/', `${scheme}://${req.headers.host ?? 'localhost'}`)
    } catch {
      return fail(res, 400, 'invalid_input', 'Bad request URL.')
    }
    if (url.pathname.startsWith('/api/')) {
      if (!originOk(req)) return fail(res, 403, 'forbidden', 'Cross-origin requests are not allowed.')
      if (req.method === 'OPTIONS') return fail(res, 403, 'forbidden', 'Cross-origin requests are not allowed.')
      if (url.pathname === '/api/events' && req.method === 'GET') return events(req, res)
      if (req.method !== 'POST') return fail(res, 405, 'invalid_input', 'Use POST.')
      if (req.headers['x-psc-request'] !== '1') return fail(res, 403, 'forbidden', 'Missing the X-PSC-Request header (CSRF defence).')
      if (!isJsonContentType(req.headers['content-type'])) return fail(res, 415, 'invalid_input', 'Content-Type must be application/json.')
      let method: string
      try {
        method = decodeURIComponent(url.pathname.slice('/api/'.length))
      } catch {
        return fail(res, 400, 'invalid_input', 'The method name in the path is not valid percent-encoding.')
      }
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
      const setCookie: string[] = []
      const result = await o.dispatch(method, input, {
        transport: 'http',
        sessionToken: tokenOf(req),
        activity: req.headers['x-psc-activity'] !== '0',
        client: clientOf(req),
        onSession: (s) => void setCookie.push(cookie(s ? s.token : null)),
      })
      const headers: Record<string, string | string[]> = setCookie.length ? { 'set-cookie': setCookie } : {}
      return send(res, result.ok ? 200 : (STATUS_OF[result.error.code] ?? (result.error.code === 'internal' ? 500 : 422)), result, headers)
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, 'invalid_input', 'Method not allowed.')
    return serveStatic(url.pathname, res)
  }

  function events(req: IncomingMessage, res: ServerResponse): void {
    const token = tokenOf(req)
    const r = o.access.resolve(token, false)
    if (r.kind !== 'session') return fail(res, 401, 'unauthorized', 'Sign in first.')
    const client: EventClient = { res, token: token!, sessionId: r.session.id, principal: r.principal, generation: o.access.generation }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-content-type-options': 'nosniff', ...security() })
    res.write(': connected\n\n')
    sseClients.add(client)
    /** Re-reads who is listening after any grant, session or break-glass change; ends the stream when the session has. */
    const current = (): Principal | null => {
      if (client.generation === o.access.generation) return client.principal
      const again = o.access.resolve(client.token, false)
      if (again.kind !== 'session') {
        res.end()
        return null
      }
      client.principal = again.principal
      client.generation = o.access.generation
      return client.principal
    }
    const heartbeat = setInterval(() => {
      client.generation = -1
      if (current()) res.write(': ping\n\n')
    }, 15_000)
    const off = o.events.onAny((name, payload) => {
      const p = current()
      if (p && eventVisible(p, name, payload)) res.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`)
    })
    const done = (): void => {
      clearInterval(heartbeat)
      off()
      sseClients.delete(client)
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
      ...security(),
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
    url: `${scheme}://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const c of sseClients) c.res.end()
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
