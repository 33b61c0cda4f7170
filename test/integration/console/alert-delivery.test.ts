/**
 * Alerts that reach a person: a real SMTP server (smtp-server, with a certificate made by openssl
 * for 127.0.0.1) receives the alert mail over STARTTLS and over TLS from the first byte, with the
 * password taken from the secret store; the mail's link opens the failing group in the console. A
 * signed webhook is retried with backoff until the receiver takes it, and a delivery pending
 * when the engine stops is sent by the next one. Quiet hours hold deliveries in the practice's zone.
 */
import { spawnSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AlertChannel, AlertRule, AppNotification } from '../../../shared/api/alerts'
import type { ErrorGroup } from '../../../shared/api/errors-queue'
import { afterQuietHours, AlertDelivery } from '../../../electron/engine/console/alert-delivery'
import { consoleModule } from '../../../electron/engine/console/console-handlers'
import type { Clock } from '../../../electron/engine/core/clock'
import { systemClock } from '../../../electron/engine/core/clock'
import { silentLogger } from '../../../electron/engine/core/logger'
import { adt, openTestEngine, type TestEngine } from './helpers'

const dir = mkdtempSync(join(tmpdir(), 'ps-smtp-'))
const key = join(dir, 'key.pem')
const cert = join(dir, 'cert.pem')

function manualClock(start: number): Clock & { advance(ms: number): void } {
  let now = start
  return {
    now: () => now,
    monotonic: () => systemClock.monotonic(),
    sleep: (_ms, signal) => new Promise<void>((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true })),
    advance: (ms) => void (now += ms),
  }
}

interface Mail {
  user: string | undefined
  secure: boolean
  from: string | undefined
  to: string[]
  raw: string
}

async function startSmtp(secure: boolean): Promise<{ port: number; mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = []
  const server = new SMTPServer({
    secure,
    key: readFileSync(key),
    cert: readFileSync(cert),
    authMethods: ['PLAIN', 'LOGIN'],
    // Credentials only over TLS (the default): a client that skipped STARTTLS could not log in.
    onAuth(auth, _session, cb) {
      if (auth.username === 'alerts@clinic.example' && auth.password === 's3cret-from-keychain') cb(null, { user: auth.username })
      else cb(new Error('Invalid username or password'))
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        mails.push({ user: session.user as string | undefined, secure: session.secure, from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') })
        cb()
      })
    },
    logger: false,
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { port: (server.server.address() as AddressInfo).port, mails, close: () => new Promise<void>((r) => server.close(() => r())) }
}

describe('alert delivery by e-mail and webhook', () => {
  let t: TestEngine
  const clock = manualClock(Date.UTC(2026, 10, 25, 14, 0, 0)) // 09:00 in New York
  let starttls: Awaited<ReturnType<typeof startSmtp>>
  let implicit: Awaited<ReturnType<typeof startSmtp>>
  let hook: Server
  let hookPort = 0
  const hookSecret = 'whsec-0123456789abcdef'
  const hookCalls: { body: string; sig: string | undefined; ts: string | undefined; status: number }[] = []
  let hookFailures = 2

  beforeAll(async () => {
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(r.stderr)
    starttls = await startSmtp(false)
    implicit = await startSmtp(true)
    hook = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString('utf8')))
      req.on('end', () => {
        const status = hookFailures-- > 0 ? 503 : 204
        hookCalls.push({ body, sig: req.headers['x-practicestudio-signature'] as string | undefined, ts: req.headers['x-practicestudio-timestamp'] as string | undefined, status })
        res.writeHead(status).end()
      })
    })
    await new Promise<void>((res) => hook.listen(0, '127.0.0.1', res))
    hookPort = (hook.address() as AddressInfo).port
    t = await openTestEngine({ clock })
  })
  afterAll(async () => {
    await t?.close()
    await starttls?.close()
    await implicit?.close()
    hook?.close()
  })

  const emailChannel = (name: string, port: number, security: 'starttls' | 'tls') =>
    t.call<AlertChannel>('alerts.saveChannel', {
      practiceId: 'sandbox',
      name,
      kind: 'email',
      config: { host: '127.0.0.1', port, security, username: 'alerts@clinic.example', from: 'console@clinic.example', to: ['oncall@clinic.example'], caFile: cert, consoleUrl: 'http://127.0.0.1:8123/' },
      password: 's3cret-from-keychain',
    })

  it('mails a failing group over STARTTLS and TLS, with a link to that group', async () => {
    const a = await emailChannel('on-call mail', starttls.port, 'starttls')
    const b = await emailChannel('backup mail', implicit.port, 'tls')
    // The password is in the secret store, never in the database or the channel's view.
    expect(a.secretSet).toBe(true)
    expect(JSON.stringify(t.engine.ctx.db.prepare('SELECT * FROM alert_channels').all())).not.toContain('s3cret')
    expect(await t.engine.ctx.secrets.get(`alert-channel:${a.id}:password`)).toBe('s3cret-from-keychain')
    await t.call<AlertRule>('alerts.saveRule', { practiceId: 'sandbox', name: 'ADT failing', kind: 'error_count', level: 'error', threshold: 1, windowMinutes: 15, channels: [a.id, b.id] })
    await t.receive(adt({ control: 'F1', mrn: 'M1', dob: '19801301' }))
    await t.engine.ctx.pipeline.idle()
    const [n] = await t.call<AppNotification[]>('alerts.evaluate', { practiceId: 'sandbox' })
    const group = (await t.call<ErrorGroup[]>('errors.groups', { practiceId: 'sandbox' }))[0]!
    expect(n!.link).toBe(`/errors?practiceId=sandbox&group=${encodeURIComponent(group.group)}`)
    await consoleModule(t.engine.ctx).delivery.runDue()
    for (const [server, secure] of [[starttls, false], [implicit, true]] as const) {
      expect(server.mails).toHaveLength(1)
      const mail = server.mails[0]!
      expect(mail).toMatchObject({ user: 'alerts@clinic.example', from: 'console@clinic.example', to: ['oncall@clinic.example'] })
      // STARTTLS upgraded the plain connection; the other was TLS from the first byte. Either way encrypted.
      expect(mail.secure, secure ? 'implicit TLS' : 'STARTTLS').toBe(true)
      expect(mail.raw).toMatch(/Subject: \[Practice Studio\] ALERT: ADT failing \(Sandbox Practice\)/)
      const link = /Open in the console: (\S+)/.exec(mail.raw.replace(/=\r\n/g, ''))![1]!
      // The link opens the Errors page on the failing group.
      // The query sits before the hash, where the console's hash router reads it (`#/errors?…` matches no page).
      const url = new URL(link.replace(/=3D/g, '='))
      expect(url.origin).toBe('http://127.0.0.1:8123')
      expect(url.hash).toBe('#/errors')
      expect(url.searchParams.get('practiceId')).toBe('sandbox')
      expect(url.searchParams.get('group')).toBe(group.group)
    }
    const deliveries = await t.call<{ status: string }[]>('alerts.deliveries', { practiceId: 'sandbox' })
    expect(deliveries.map((d) => d.status)).toEqual(['sent', 'sent'])
  })

  it('a wrong password fails for good (no retry storm) and says so in the bell', async () => {
    const bad = await t.call<AlertChannel>('alerts.saveChannel', { practiceId: 'sandbox', name: 'wrong password', kind: 'email', config: { host: '127.0.0.1', port: starttls.port, security: 'starttls', username: 'alerts@clinic.example', from: 'console@clinic.example', to: ['x@clinic.example'], caFile: cert }, password: 'nope' })
    const test = await t.call<{ ok: boolean; detail: string }>('alerts.testChannel', { id: bad.id })
    expect(test.ok).toBe(false)
    expect(test.detail).toMatch(/EAUTH/)
  })

  it('signs the webhook, retries it with backoff, and a delivery pending at a stop is sent after it', async () => {
    const ch = await t.call<AlertChannel>('alerts.saveChannel', { practiceId: 'sandbox', name: 'pager', kind: 'webhook', config: { url: `http://127.0.0.1:${hookPort}/hook`, consoleUrl: 'http://127.0.0.1:8123/' }, secret: hookSecret })
    await t.call('alerts.saveRule', { practiceId: 'sandbox', name: 'Code map misses', kind: 'error_code', errorCode: 'validation_error', threshold: 1, windowMinutes: 60, channels: [ch.id] })
    const m = consoleModule(t.engine.ctx)
    await m.delivery.stop()
    const [n] = await t.call<AppNotification[]>('alerts.evaluate', { practiceId: 'sandbox' })
    expect(n!.title).toBe('Code map misses')
    // A new delivery service over the same database (as after a restart) finds the pending row.
    const after = new AlertDelivery({ db: t.engine.ctx.db, alerts: m.alerts, channels: m.channels, practices: t.engine.ctx.practices, secrets: t.engine.ctx.secrets, clock, logger: silentLogger })
    await after.runDue()
    expect(hookCalls.map((c) => c.status)).toEqual([503])
    clock.advance(5_000)
    await after.runDue()
    expect(hookCalls.map((c) => c.status)).toEqual([503, 503])
    clock.advance(9_000)
    await after.runDue()
    expect(hookCalls.map((c) => c.status)).toEqual([503, 503])
    clock.advance(1_000) // 10 s after the second try: backoff 5 s, 10 s, …
    await after.runDue()
    expect(hookCalls.map((c) => c.status)).toEqual([503, 503, 204])
    const last = hookCalls[2]!
    expect(last.sig).toBe(`sha256=${createHmac('sha256', hookSecret).update(`${last.ts}.${last.body}`).digest('hex')}`)
    expect(JSON.parse(last.body)).toMatchObject({ id: n!.id, title: 'Code map misses', practiceId: 'sandbox', link: expect.stringMatching(/^http:\/\/127\.0\.0\.1:8123\/\?practiceId=sandbox&group=[^#]+#\/errors$/) })
  })

  it('holds deliveries during quiet hours in the practice zone, repeats while firing, and sends the resolve notice', async () => {
    // 23:30 in New York is inside 22:00–07:00; the delivery waits for 07:00 local (12:00 UTC in November).
    expect(afterQuietHours(Date.UTC(2026, 10, 26, 4, 30), { start: '22:00', end: '07:00' }, 'America/New_York')).toBe(Date.UTC(2026, 10, 26, 12, 0))
    expect(afterQuietHours(Date.UTC(2026, 10, 26, 14, 0), { start: '22:00', end: '07:00' }, 'America/New_York')).toBe(Date.UTC(2026, 10, 26, 14, 0))
    const rules = await t.call<AlertRule[]>('alerts.rules', { practiceId: 'sandbox' })
    const r = rules.find((x) => x.name === 'ADT failing')!
    await t.call('alerts.saveRule', { ...r, windowMinutes: 120, repeatMinutes: 30, quietHours: { start: '22:00', end: '07:00' } })
    starttls.mails.length = 0
    const m = consoleModule(t.engine.ctx)
    await t.call('alerts.evaluate', { practiceId: 'sandbox' }) // saving re-arms it: fires again
    clock.advance(31 * 60_000)
    const again = await t.call<AppNotification[]>('alerts.evaluate', { practiceId: 'sandbox' })
    expect(again.map((x) => x.title)).toContain('Still: ADT failing')
    await m.delivery.runDue()
    expect(starttls.mails.length).toBe(2)
    // Resolved: the failing row is discarded; the notice goes out too.
    const failing = t.engine.ctx.db.prepare("SELECT id FROM transactions WHERE status = 'error'").all() as { id: number }[]
    await t.call('errors.discard', { selection: { kind: 'ids', ids: failing.map((f) => f.id) }, upToId: 1e9, reason: 'test data' })
    const resolved = await t.call<AppNotification[]>('alerts.evaluate', { practiceId: 'sandbox' })
    expect(resolved.map((x) => x.title)).toContain('Resolved: ADT failing')
    await m.delivery.runDue()
    expect(starttls.mails.at(-1)!.raw).toMatch(/Resolved: ADT failing/)
  })

  it('lists the registered kinds, connectors\' included, and refuses an unknown one', async () => {
    const kinds = (await t.call<{ kind: string }[]>('alerts.kinds', {})).map((k) => k.kind)
    expect(kinds).toEqual(expect.arrayContaining(['error_count', 'error_code', 'nak_rate', 'inactivity', 'queue_depth']))
    const bad = await t.callResult('alerts.saveRule', { practiceId: 'sandbox', name: 'x', kind: 'nonsense' })
    expect(bad.error?.code).toBe('invalid_input')
  })
})
