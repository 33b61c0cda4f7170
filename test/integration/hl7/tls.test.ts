/**
 * MLLP over TLS (MLLP-12) with certificates made by `openssl` at test time: a TLS listener, a
 * plaintext client refused, mutual TLS (client certificate signed by the configured CA, none, or a
 * stranger's), certificate pinning, and our outbound sender over (mutual) TLS to our own listener.
 */
import { spawnSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adtMsg, MllpTestClient, openHl7Engine, until, type Hl7TestEngine } from './support'

let dir: string
let t: Hl7TestEngine

function openssl(...args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`)
}

/** A key and a certificate signed by `ca` (or self-signed), for 127.0.0.1. */
function issue(name: string, ca?: string): { key: string; cert: string } {
  const key = join(dir, `${name}.key`)
  const cert = join(dir, `${name}.pem`)
  const ext = join(dir, `${name}.ext`)
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n')
  openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-subj', `/CN=${name}`, '-out', join(dir, `${name}.csr`))
  if (ca) openssl('x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', join(dir, `${ca}.pem`), '-CAkey', join(dir, `${ca}.key`), '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', cert)
  else openssl('x509', '-req', '-in', join(dir, `${name}.csr`), '-signkey', key, '-days', '2', '-extfile', ext, '-out', cert)
  return { key, cert }
}

beforeAll(async () => {
  t = await openHl7Engine()
  // TLS files must live in an allowed folder: the data folder's tls/ (core/tls-files.ts).
  dir = join(t.dir, 'tls')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n')
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'ca.key'), '-subj', '/CN=Test CA', '-days', '2', '-out', join(dir, 'ca.pem'), '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
  issue('server', 'ca')
  issue('client-a', 'ca')
  issue('client-b', 'ca')
  issue('stranger')
})
afterAll(async () => {
  await t?.close()
})

const pem = (name: string): Buffer => readFileSync(join(dir, `${name}.pem`))
const key = (name: string): Buffer => readFileSync(join(dir, `${name}.key`))
const tlsOf = (extra: Record<string, unknown> = {}) => ({ enabled: true, certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key'), caFile: null, requestClientCert: false, ...extra })

describe('TLS listener', () => {
  it('accepts MLLP over TLS 1.2+ and refuses a plaintext client', async () => {
    const { port } = await t.addInbound('tls-in', { tls: tlsOf() })
    const c = await MllpTestClient.connect(port, { tls: { ca: pem('ca'), servername: 'localhost' } })
    expect(await c.sendAck(adtMsg({ control: 'TLS1' }))).toMatchObject({ code: 'AA', controlId: 'TLS1' })
    expect(['TLSv1.2', 'TLSv1.3']).toContain((c.socket as import('node:tls').TLSSocket).getProtocol())
    c.close()

    const plain = await MllpTestClient.connect(port)
    plain.write(`\x0b${adtMsg({ control: 'PLAIN1' })}\x1c\r`)
    await plain.waitClose()
    expect(plain.acks).toHaveLength(0)
    expect(t.rows("control_id = 'PLAIN1'")).toHaveLength(0)
    await until(() => t.logs.some((l) => l.includes('TLS handshake refused')), 'the refusal log')
  })

  it('mutual TLS: a client certificate signed by caFile is required', async () => {
    const { port } = await t.addInbound('mtls-in', { tls: tlsOf({ caFile: join(dir, 'ca.pem'), requestClientCert: true }) })
    const good = await MllpTestClient.connect(port, { tls: { ca: pem('ca'), servername: 'localhost', cert: pem('client-a'), key: key('client-a') } })
    expect(await good.sendAck(adtMsg({ control: 'MTLS1' }))).toMatchObject({ code: 'AA' })
    good.close()
    for (const creds of [{}, { cert: pem('stranger'), key: key('stranger') }]) {
      const outcome = await MllpTestClient.connect(port, { tls: { ca: pem('ca'), servername: 'localhost', ...creds } }).then(
        async (c) => {
          // TLS 1.3 may finish the client side before the server rejects the certificate.
          c.write(`\x0b${adtMsg({ control: 'MTLSBAD' })}\x1c\r`)
          await c.waitClose()
          return c.acks.length === 0 ? 'closed' : 'answered'
        },
        () => 'refused',
      )
      expect(['closed', 'refused']).toContain(outcome)
    }
    expect(t.rows("control_id = 'MTLSBAD'")).toHaveLength(0)
  })

  it('pinning: only the listed client certificates, even among those the CA signed', async () => {
    const fp = new X509Certificate(pem('client-a')).fingerprint256
    const { port } = await t.addInbound('pinned-in', { tls: tlsOf({ caFile: join(dir, 'ca.pem'), requestClientCert: true, clientCertFingerprints: [fp] }) })
    const a = await MllpTestClient.connect(port, { tls: { ca: pem('ca'), servername: 'localhost', cert: pem('client-a'), key: key('client-a') } })
    expect(await a.sendAck(adtMsg({ control: 'PIN1' }))).toMatchObject({ code: 'AA' })
    a.close()
    const b = await MllpTestClient.connect(port, { tls: { ca: pem('ca'), servername: 'localhost', cert: pem('client-b'), key: key('client-b') } }).catch(() => null)
    if (b) {
      b.write(`\x0b${adtMsg({ control: 'PIN2' })}\x1c\r`)
      await b.waitClose()
    }
    expect(t.rows("control_id = 'PIN2'")).toHaveLength(0)
    await until(() => t.logs.some((l) => l.includes('not pinned')), 'the pinning log')
  })

  it('a listener whose certificate cannot be read reports the error instead of listening', async () => {
    await t.call('connections.create', { practiceId: 'sandbox', kind: 'hl7-inbound', name: 'broken-tls', config: { host: '127.0.0.1', port: 0, tls: tlsOf({ certFile: join(dir, 'missing.pem') }) } })
    const status = await t.call<{ listeners: { name: string; state: string; error?: string }[] }>('system.status')
    expect(status.listeners.find((l) => l.name === 'broken-tls')).toMatchObject({ state: 'error', error: expect.stringMatching(/Cannot read the TLS certificate file/) })
  })
})

describe('outbound over TLS', () => {
  it('our sender delivers SIU over mutual TLS to our own TLS listener, and refuses a server it cannot verify', async () => {
    const { port } = await t.addInbound('siu-tls-in', { tls: tlsOf({ caFile: join(dir, 'ca.pem'), requestClientCert: true }) }, 'sandbox')
    await t.call('practices.create', { id: 'tls-sender', name: 'TLS Sender' })
    const fast = { responseTimeoutMs: 3000, connectTimeoutMs: 3000, maxAttempts: 2, backoffBaseMs: 10, backoffCapMs: 20 }
    await t.addOutbound('to-sandbox', { host: '127.0.0.1', port, ...fast, tls: { enabled: true, caFile: join(dir, 'ca.pem'), certFile: join(dir, 'client-a.pem'), keyFile: join(dir, 'client-a.key') } }, 'tls-sender')
    await t.addOutbound('untrusted', { host: '127.0.0.1', port, ...fast, tls: { enabled: true, caFile: join(dir, 'stranger.pem'), certFile: join(dir, 'client-a.pem'), keyFile: join(dir, 'client-a.key') } }, 'tls-sender')
    const patient = t.engine.ctx.records.upsert({ practiceId: 'tls-sender', kind: 'patient', ids: [{ system: 'mrn:PS', value: 'TLSP' }], data: { mrn: 'TLSP', last_name: 'SECURE', date_of_birth: '1990-01-01', gender: 'M' } })
    t.engine.ctx.records.upsert({ practiceId: 'tls-sender', kind: 'appointment', ids: [{ system: 'ps', value: 'TLS-APPT' }], data: { external_id: 'TLS-APPT', start_time: '2026-06-10T14:30:00Z', status: 'scheduled' }, patientRef: patient.id })
    await until(() => t.rows("practice_id = 'tls-sender' AND channel = 'to-sandbox' AND status = 'done'").length === 1, 'delivered over mTLS')
    const received = await until(() => t.rows("channel = 'siu-tls-in' AND message_type = 'SIU^S12'")[0], 'received by the TLS listener')
    await t.idle()
    expect(t.engine.ctx.txRepo.get(received.id)!.status).toBe('done')
    await until(() => t.rows("practice_id = 'tls-sender' AND channel = 'untrusted'")[0]?.status === 'error', 'untrusted server refused')
    expect(t.rows("practice_id = 'tls-sender' AND channel = 'untrusted'")[0]!.error_code).toBe('tls_error')
  })

  it('connections.test on a TLS destination does the handshake', async () => {
    const list = await t.call<{ id: string; name: string }[]>('connections.list', { practiceId: 'tls-sender' })
    const ok = await t.call<{ ok: boolean; steps: { step: string; ok: boolean; detail?: string }[] }>('connections.test', { id: list.find((c) => c.name === 'to-sandbox')!.id })
    expect(ok.ok).toBe(true)
    expect(ok.steps.map((s) => s.step)).toEqual(['configuration', 'tls-connect'])
    const bad = await t.call<{ ok: boolean; steps: { step: string; ok: boolean; error?: { code: string } }[] }>('connections.test', { id: list.find((c) => c.name === 'untrusted')!.id })
    expect(bad.ok).toBe(false)
    expect(bad.steps[1]).toMatchObject({ step: 'tls-connect', ok: false, error: { code: 'tls_error' } })
  })
})

describe('plaintext outside loopback (MLLP-12)', () => {
  it('refuses settings that would listen without TLS on a network address, unless the network is declared private and peers are listed', async () => {
    const bad = await t.callRaw('connections.create', { practiceId: 'sandbox', kind: 'hl7-inbound', name: 'lan-plain', config: { host: '10.1.2.3', port: 2575 } })
    expect(bad.ok).toBe(false)
    expect(bad.error?.code).toBe('invalid_input')
    const paths = ((bad.error as { details?: { issues?: { path: string }[] } }).details?.issues ?? []).map((i) => i.path)
    expect(paths).toEqual(expect.arrayContaining(['config.plaintextOnPrivateNetwork', 'config.allowedPeers']))
    // Declared private, with its peers: accepted (saved disabled: nothing binds a non-loopback address in tests).
    const ok = await t.callRaw('connections.create', { practiceId: 'sandbox', kind: 'hl7-inbound', name: 'lan-vpn', enabled: false, config: { host: '10.1.2.3', port: 2575, plaintextOnPrivateNetwork: true, allowedPeers: ['10.1.2.0/24'] } })
    expect(ok.ok).toBe(true)
    // TLS beyond loopback still says who may connect: an allow-list, or client certificates (issue #17).
    const open = await t.callRaw('connections.create', { practiceId: 'sandbox', kind: 'hl7-inbound', name: 'lan-tls', enabled: false, config: { host: '10.1.2.3', port: 2575, tls: tlsOf() } })
    expect(open.ok).toBe(false)
    expect(((open.error as { details?: { issues?: { path: string; message: string }[] } }).details?.issues ?? []).map((i) => i.path)).toEqual(['config.allowedPeers'])
    expect((await t.callRaw('connections.create', { practiceId: 'sandbox', kind: 'hl7-inbound', name: 'lan-tls', enabled: false, config: { host: '10.1.2.3', port: 2575, tls: tlsOf(), allowedPeers: ['10.1.2.0/24'] } })).ok).toBe(true)
    expect((await t.callRaw('connections.create', { practiceId: 'sandbox', kind: 'hl7-inbound', name: 'lan-mtls', enabled: false, config: { host: '10.1.2.3', port: 2575, tls: tlsOf({ caFile: join(dir, 'ca.pem'), requestClientCert: true }) } })).ok).toBe(true)
  })

  it('a stored listener that breaks the rule (saved by an older version) does not listen, and says why', async () => {
    const id = (await t.call<{ id: string }>('connections.create', { practiceId: 'sandbox', kind: 'hl7-inbound', name: 'old-plain', enabled: false, config: { host: '127.0.0.1', port: 0 } })).id
    t.engine.ctx.db.prepare('UPDATE connections SET config = ?, enabled = 1, updated_at = updated_at + 1 WHERE id = ?').run(JSON.stringify({ host: '10.1.2.3', port: 2575 }), id)
    await t.engine.ctx.reloadServices()
    const details = await t.call<{ name: string; state: string; error: string | null }[]>('hl7.listeners', { practiceId: 'sandbox' })
    const l = details.find((d) => d.name === 'old-plain')
    expect(l).toMatchObject({ state: 'error' })
    expect(l?.error).toMatch(/^Not listening: listening on 10\.1\.2\.3 without TLS/)
  })
})
