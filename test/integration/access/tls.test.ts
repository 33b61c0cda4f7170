/**
 * Serving the console beyond loopback: refused without an operator-supplied certificate (serve
 * and the transport itself); with one, HTTPS with TLS 1.2 at least, HSTS, a `__Host-` Secure
 * cookie, and, with a client CA, only clients holding a certificate it signed get through.
 * Certificates are made by `openssl` at test time.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHttpTransport } from '../../../electron/headless/http-transport'
import { createLogger, memorySink } from '../../../electron/engine/core/logger'
import { requireBuiltServer, runServeToExit } from '../foundation/support/serve'
import { tempDataDir } from '../../support/serve-process'
import { openAccessEngine, type AccessEngine } from './support'

let dir: string
const openssl = (...args: string[]): void => {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`)
}
function issue(name: string): void {
  writeFileSync(join(dir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n')
  openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`)
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`)
}
const file = (name: string): Buffer => readFileSync(join(dir, name))

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'console-tls-'))
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-subj', '/CN=Console Test CA', '-days', '2', '-out', 'ca.pem', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
  issue('server')
  issue('client')
})

function get(url: string, o: { path?: string; method?: string; headers?: Record<string, string>; body?: string; cert?: boolean; maxVersion?: 'TLSv1.1' | 'TLSv1.2' } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path: o.path ?? '/', method: o.method ?? 'GET', headers: o.headers, ca: file('ca.pem'), ...(o.cert ? { cert: file('client.pem'), key: file('client.key') } : {}), ...(o.maxVersion ? { maxVersion: o.maxVersion, minVersion: 'TLSv1' as const } : {}) },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      },
    )
    req.on('error', reject)
    req.end(o.body)
  })
}

describe('binding beyond loopback', () => {
  it('serve refuses --host 0.0.0.0 without a certificate, and says what to do', async () => {
    requireBuiltServer()
    const r = await runServeToExit(['--data-dir', tempDataDir(), '--port', '0', '--host', '0.0.0.0'])
    expect(r.code).not.toBe(0)
    expect(r.stdout).not.toContain('Console ready')
    expect(r.stderr).toMatch(/--host 0\.0\.0\.0 .*needs TLS \(--tls-cert and --tls-key/)
  })

  it('the transport itself refuses a non-loopback address without TLS', async () => {
    const t = await openAccessEngine({ start: false })
    try {
      await expect(startHttpTransport({ dispatch: t.engine.dispatch, events: t.engine.ctx.events, access: t.engine.ctx.access, staticDir: null, logger: createLogger({ sinks: [memorySink()] }), host: '0.0.0.0' })).rejects.toThrow(/without TLS/)
    } finally {
      await t.close()
    }
  })
})

describe('HTTPS with a client CA', () => {
  let t: AccessEngine
  beforeAll(async () => {
    t = await openAccessEngine({ tls: { cert: file('server.pem'), key: file('server.key'), clientCa: file('ca.pem') } })
  })
  afterAll(async () => {
    await t?.close()
  })

  it('serves HTTPS with HSTS and a __Host- Secure cookie to a client holding a certificate from the CA', async () => {
    expect(t.http.url).toMatch(/^https:\/\//)
    const r = await get(t.http.url, { path: '/api/auth.state', method: 'POST', headers: { 'content-type': 'application/json', 'x-psc-request': '1' }, body: '{}', cert: true })
    expect(r.status).toBe(200)
    expect(r.headers['strict-transport-security']).toBe('max-age=31536000')
    const { temporaryPassword } = await t.internal<{ temporaryPassword: string }>('people.invite', { username: 'hugo', displayName: 'Hugo', grants: [{ practiceId: 'sandbox', roleId: 'viewer' }] })
    const s = await get(t.http.url, { path: '/api/auth.signIn', method: 'POST', headers: { 'content-type': 'application/json', 'x-psc-request': '1' }, body: JSON.stringify({ username: 'hugo', password: temporaryPassword }), cert: true })
    expect(s.status).toBe(200)
    expect(String(s.headers['set-cookie'])).toMatch(/^__Host-psc_sid=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Secure$/)
    // The Origin must match with its scheme: http:// of the same host is another origin.
    const cross = await get(t.http.url, { path: '/api/auth.state', method: 'POST', headers: { 'content-type': 'application/json', 'x-psc-request': '1', origin: t.http.url.replace('https:', 'http:') }, body: '{}', cert: true })
    expect(cross.status).toBe(403)
  })

  it('refuses a client without a certificate, and TLS 1.1', async () => {
    await expect(get(t.http.url, { path: '/api/auth.state', method: 'POST', headers: { 'content-type': 'application/json', 'x-psc-request': '1' }, body: '{}' })).rejects.toThrow()
    await expect(get(t.http.url, { cert: true, maxVersion: 'TLSv1.1' })).rejects.toThrow()
  })
})
