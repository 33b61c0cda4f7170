/**
 * The headless HTTP transport, against the real built server (`node out/main/serve.js`) on an
 * OS-assigned port: authentication, DNS-rebinding and cross-origin defences, content-type rules,
 * static files confined to out/renderer with a CSP, SSE events, and loopback-only binding.
 */
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { get } from 'node:http'
import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONSOLE_CSP } from '../../../electron/headless/http-transport'
import { startServe, type ServeProcess } from '../../support/serve-process'
import { portOf, rawRequest, requireBuiltServer } from './support/serve'

let serve: ServeProcess
let port: number
const INDEX = resolve('out/renderer/index.html')
/** The console's index.html. Other engineers may rebuild out/ while this runs, so the hashed asset names can change under us. */
const isConsoleIndex = (body: string): boolean =>
  body === readFileSync(INDEX, 'utf8') || (/^<!doctype html>/i.test(body) && body.includes('<title>Practice Studio Console</title>') && body.includes('<div id="root"></div>'))

const auth = () => ({ cookie: serve.cookie, 'x-psc-request': '1', 'content-type': 'application/json' })
const host = () => `127.0.0.1:${port}`

beforeAll(async () => {
  requireBuiltServer()
  serve = await startServe()
  port = portOf(serve.origin)
})
afterAll(async () => {
  expect(await serve.stop()).toBe(0)
})

describe('API authentication and origin checks', () => {
  it('a request with the session cookie and the CSRF header works', async () => {
    const r = await rawRequest({ port, method: 'POST', path: '/api/system.ping', headers: auth(), body: '{}' })
    expect(r.status).toBe(200)
    expect(JSON.parse(r.body)).toMatchObject({ ok: true, value: { pong: true } })
  })

  it('no session → 401', async () => {
    const r = await rawRequest({ port, method: 'POST', path: '/api/system.status', headers: { 'content-type': 'application/json', 'x-psc-request': '1' }, body: '{}' })
    expect(r.status).toBe(401)
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
  })

  it('a wrong session cookie (one character off, longer, empty, other name, as a bearer token) → 401', async () => {
    const [name, value] = serve.cookie.split('=')
    const same = value.slice(0, -1) + (value.endsWith('A') ? 'B' : 'A')
    for (const h of [{ cookie: `${name}=${same}` } as Record<string, string>, { cookie: `${name}=${value}x` }, { cookie: `${name}=` }, { cookie: `other=${value}` }, { authorization: `Bearer ${value}` }]) {
      const r = await rawRequest({ port, method: 'POST', path: '/api/system.status', headers: { 'content-type': 'application/json', 'x-psc-request': '1', ...h }, body: '{}' })
      expect(r.status, JSON.stringify(h)).toBe(401)
    }
  })

  it('without the X-PSC-Request header → 403, even with a valid session (CSRF)', async () => {
    const r = await rawRequest({ port, method: 'POST', path: '/api/practices.create', headers: { cookie: serve.cookie, 'content-type': 'application/json' }, body: '{"id":"csrf-post","name":"CSRF"}' })
    expect(r.status).toBe(403)
    expect((await serve.call('practices.get', { id: 'csrf-post' })).ok).toBe(false)
  })

  it('a bad percent-encoding in the method path → 400, not 500', async () => {
    for (const path of ['/api/%E0%A4%A', '/api/system.%ZZping', '/api/%']) {
      const r = await rawRequest({ port, method: 'POST', path, headers: auth(), body: '{}' })
      expect(r.status, path).toBe(400)
      expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    }
  })

  it('cross-origin Origin → 403, even with the right token; the console origin is allowed', async () => {
    for (const origin of ['http://evil.example', `http://evil.example:${port}`, 'null', `http://127.0.0.1:${port + 1}`, `https://127.0.0.1:${port}`, `ws://127.0.0.1:${port}`, `http://127.0.0.1:${port}/`]) {
      const r = await rawRequest({ port, method: 'POST', path: '/api/system.status', headers: { ...auth(), origin }, body: '{}' })
      expect(r.status, origin).toBe(403)
      expect(r.headers['access-control-allow-origin']).toBeUndefined()
    }
    const ok = await rawRequest({ port, method: 'POST', path: '/api/system.ping', headers: { ...auth(), origin: serve.origin }, body: '{}' })
    expect(ok.status).toBe(200)
  })

  it('CORS preflight is refused and no CORS headers are ever sent', async () => {
    const r = await rawRequest({ port, method: 'OPTIONS', path: '/api/system.status', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } })
    expect(r.status).toBe(403)
    expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).toEqual([])
  })

  it('a wrong Host header → 421 (DNS rebinding), for the API and the static files', async () => {
    for (const h of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, `rebind.attacker.test:${port}`]) {
      const api = await rawRequest({ port, method: 'POST', path: '/api/system.ping', headers: { ...auth(), host: h }, body: '{}' })
      expect(api.status, h).toBe(421)
      const page = await rawRequest({ port, path: '/', headers: { host: h } })
      expect(page.status, h).toBe(421)
      expect(page.body).not.toContain('<html')
    }
    const local = await rawRequest({ port, method: 'POST', path: '/api/system.ping', headers: { ...auth(), host: `localhost:${port}` }, body: '{}' })
    expect(local.status).toBe(200)
  })

  it('a non-JSON content type → 415 (no "simple" cross-site form post reaches a handler)', async () => {
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/jsonp', 'application/json-seq', 'application/json; charset=latin1', 'application/json5']) {
      const headers: Record<string, string> = { cookie: serve.cookie, 'x-psc-request': '1' }
      if (ct) headers['content-type'] = ct
      const r = await rawRequest({ port, method: 'POST', path: '/api/practices.create', headers, body: '{"id":"form-post","name":"Form"}' })
      expect(r.status, ct).toBe(415)
    }
    expect((await serve.call('practices.get', { id: 'form-post' })).ok).toBe(false)
  })

  it('invalid JSON → 400 invalid_input; GET on a method → 405; unknown method → 404 unknown_method', async () => {
    const bad = await rawRequest({ port, method: 'POST', path: '/api/system.status', headers: auth(), body: '{"oops":' })
    expect(bad.status).toBe(400)
    expect(JSON.parse(bad.body)).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    const getr = await rawRequest({ port, method: 'GET', path: '/api/system.status', headers: auth() })
    expect(getr.status).toBe(405)
    const unknown = await rawRequest({ port, method: 'POST', path: '/api/system.selfDestruct', headers: auth(), body: '{}' })
    expect(unknown.status).toBe(404)
    expect(JSON.parse(unknown.body)).toMatchObject({ ok: false, error: { code: 'unknown_method' } })
    const proto = await rawRequest({ port, method: 'POST', path: '/api/__proto__', headers: auth(), body: '{}' })
    expect(JSON.parse(proto.body)).toMatchObject({ ok: false, error: { code: 'unknown_method' } })
  })

  it('invalid input → 400 with field paths', async () => {
    const r = await rawRequest({ port, method: 'POST', path: '/api/practices.create', headers: auth(), body: JSON.stringify({ id: 'Bad Id!' }) })
    expect(r.status).toBe(400)
    const body = JSON.parse(r.body) as { error: { code: string; details: { issues: { path: string }[] } } }
    expect(body.error.code).toBe('invalid_input')
    expect(body.error.details.issues.map((i) => i.path).sort()).toEqual(['id', 'name'])
  })
})

describe('static console files', () => {
  it('index.html is served with the strict CSP and hardening headers', async () => {
    const r = await rawRequest({ port, path: '/', headers: { host: host() } })
    expect(r.status).toBe(200)
    expect(isConsoleIndex(r.body), r.body.slice(0, 200)).toBe(true)
    expect(r.headers['content-type']).toMatch(/^text\/html/)
    expect(r.headers['content-security-policy']).toBe(CONSOLE_CSP)
    const csp = String(r.headers['content-security-policy'])
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toMatch(/unsafe-eval/)
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/)
    expect(r.headers['x-content-type-options']).toBe('nosniff')
    expect(r.headers['x-frame-options']).toBe('DENY')
  })

  it('encoded traversal to files that really exist outside out/renderer → 404', async () => {
    const outside = [
      '/..%2fmain%2fserve.js', // out/main/serve.js
      '/..%2f..%2fpackage.json', // the repo's package.json
      '/assets/..%2f..%2f..%2fpackage.json',
      '/..%5c..%5cpackage.json',
      '/%2e%2e%2f%2e%2e%2fpackage.json',
      '/..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    ]
    for (const path of outside) {
      const r = await rawRequest({ port, path, headers: { host: host() } })
      expect(r.status, path).toBe(404)
      expect(r.body, path).not.toContain('"name": "practice-studio-console"')
      expect(r.body, path).not.toMatch(/root:.*:0:0:/)
    }
  })

  it('dot-segment paths never reach outside out/renderer (404 or the console itself)', async () => {
    for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/../package.json', '/./../../../../etc/passwd', '/%00', '/..%00/package.json']) {
      const r = await rawRequest({ port, path, headers: { host: host() } })
      expect([400, 404, 200], path).toContain(r.status)
      if (r.status === 200) expect(isConsoleIndex(r.body), path).toBe(true)
      expect(r.body, path).not.toMatch(/root:.*:0:0:/)
      expect(r.body, path).not.toContain('"name": "practice-studio-console"')
    }
    // A missing asset (with an extension) is a 404, not the console.
    expect((await rawRequest({ port, path: '/assets/missing.js', headers: { host: host() } })).status).toBe(404)
    // Writes to static paths are refused.
    expect((await rawRequest({ port, method: 'PUT', path: '/index.html', headers: { host: host() }, body: 'x' })).status).toBe(405)
  })
})

describe('server-sent events', () => {
  it('/api/events needs a session', async () => {
    const r = await rawRequest({ port, path: '/api/events', headers: { host: host() } })
    expect(r.status).toBe(401)
  })

  it('delivers practices.changed after a create', async () => {
    const received = new Promise<string>((resolveEvents, reject) => {
      const req = get({ host: '127.0.0.1', port, path: '/api/events', headers: { cookie: serve.cookie } }, (res) => {
        expect(res.statusCode).toBe(200)
        expect(res.headers['content-type']).toBe('text/event-stream')
        let buf = ''
        let created = false
        res.setEncoding('utf8')
        res.on('data', (c: string) => {
          buf += c
          if (!created && buf.includes(': connected')) {
            created = true
            void serve.call('practices.create', { id: 'sse-practice', name: 'SSE Practice' }).then((r) => {
              if (!r.ok) reject(new Error(r.error.message))
            })
          }
          const m = /event: practices\.changed\ndata: (\{[^\n]*"sse-practice"[^\n]*\})\n\n/.exec(buf)
          if (m) {
            req.destroy()
            resolveEvents(m[1])
          }
        })
      })
      req.on('error', (e) => {
        if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(e)
      })
    })
    expect(JSON.parse(await received)).toEqual({ id: 'sse-practice' })
  })
})

describe('binding', () => {
  const tryConnect = (h: string, p: number): Promise<'connected' | string> =>
    new Promise((r) => {
      const s = connect({ host: h, port: p })
      s.once('connect', () => {
        s.destroy()
        r('connected')
      })
      s.once('error', (e) => r((e as NodeJS.ErrnoException).code ?? 'error'))
    })

  it('listens on 127.0.0.1 only', async () => {
    expect(await tryConnect('127.0.0.1', port)).toBe('connected')
    // 127.0.0.2 is also loopback on Linux: reachable only if the server bound a wildcard address.
    expect(await tryConnect('127.0.0.2', port)).toBe('ECONNREFUSED')
    // The kernel's socket table: every listener on this port is 127.0.0.1, none on IPv6.
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
    const listen4 = readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length > 3 && f[1].endsWith(`:${hexPort}`) && f[3] === '0A')
    expect(listen4.map((f) => f[1])).toEqual([`0100007F:${hexPort}`])
    const listen6 = readFileSync('/proc/net/tcp6', 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length > 3 && f[1].endsWith(`:${hexPort}`) && f[3] === '0A')
    expect(listen6).toEqual([])
  })
})
