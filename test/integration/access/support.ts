/**
 * Access-control harness: a real engine (every connector module, encrypted SQLite in a temp
 * folder, file secret store) served by the real HTTP transport on 127.0.0.1, a clock the test
 * moves, and HTTP clients that sign in and keep their session cookie like a browser does.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Grant } from '../../../shared/api/access'
import type { AccessSettings } from '../../../electron/engine/access/settings'
import { totpCode } from '../../../electron/engine/access/totp'
import { CONNECTOR_MODULES } from '../../../electron/engine/connectors'
import { openEngine, type Engine } from '../../../electron/engine/core/engine'
import { createLogger, fileSink, memorySink } from '../../../electron/engine/core/logger'
import { createFileStore } from '../../../electron/engine/secrets/file-store'
import { startHttpTransport, type HttpTransport, type TlsOptions } from '../../../electron/headless/http-transport'
import { manualClock } from '../foundation/support/harness'

export type Envelope<T = unknown> = { ok: true; value: T } | { ok: false; error: { code: string; message: string; retryable: boolean; details?: unknown } }

export const PASSWORD = 'correct horse battery staple'

export interface AccessEngine {
  engine: Engine
  http: HttpTransport
  clock: ReturnType<typeof manualClock>
  dir: string
  logs: string[]
  /** In-process call as the system principal (test set-up). */
  internal<T = unknown>(method: string, input?: unknown): Promise<T>
  client(): HttpClient
  /** Creates a person with PASSWORD (temporary password changed) and these grants; returns a signed-in client. */
  person(username: string, grants: Grant[], o?: { totp?: boolean }): Promise<HttpClient & { personId: string; totpSecret?: string }>
  close(): Promise<void>
}

/** `now`: where the engine clock starts (a test against a real identity provider starts it at real time). */
export async function openAccessEngine(o: { access?: Partial<AccessSettings>; tls?: TlsOptions; start?: boolean; now?: number } = {}): Promise<AccessEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'ps-access-'))
  const clock = manualClock(o.now ?? Date.parse('2026-03-02T14:00:00Z'))
  const secrets = createFileStore({ file: join(dir, 'secrets.enc'), masterKey: Buffer.from('3c'.repeat(32), 'hex'), location: 'access test store' })
  const mem = memorySink()
  const logger = createLogger({ level: 'debug', sinks: [mem, fileSink(join(dir, 'logs', 'engine.log'))] })
  const engine = await openEngine({ dataDir: dir, secrets, logger, clock, mode: 'headless', version: 'test', operator: 'tester@access', access: o.access }, CONNECTOR_MODULES)
  if (o.start !== false) await engine.start()
  const http = await startHttpTransport({ dispatch: engine.dispatch, events: engine.ctx.events, access: engine.ctx.access, staticDir: null, logger, tls: o.tls })
  const internal = async <T,>(method: string, input: unknown = {}): Promise<T> => {
    const r = (await engine.dispatch(method, input, { transport: 'internal', actor: 'test set-up' })) as Envelope<T>
    if (!r.ok) throw new Error(`${method} failed: ${r.error.code}: ${r.error.message}`)
    return r.value
  }
  const t: AccessEngine = {
    engine,
    http,
    clock,
    dir,
    logs: mem.lines,
    internal,
    client: () => new HttpClient(http.url, clock),
    async person(username, grants, opts = {}) {
      const { person, temporaryPassword } = await internal<{ person: { id: string }; temporaryPassword: string }>('people.invite', { username, displayName: `${username[0].toUpperCase()}${username.slice(1)} Test`, grants })
      const c = new HttpClient(http.url, clock) as HttpClient & { personId: string; totpSecret?: string }
      c.personId = person.id
      await c.signIn(username, temporaryPassword)
      await c.ok('account.changePassword', { current: temporaryPassword, next: PASSWORD })
      if (opts.totp) {
        const { secret } = await c.ok<{ secret: string }>('account.totpBegin', { password: PASSWORD })
        await c.ok('account.totpConfirm', { code: totpCode(secret, clock.now()) })
        c.totpSecret = secret
        // The confirming code's time step is used; the next sign-in needs the next one.
        clock.advance(30_000)
      }
      return c
    },
    async close() {
      await http.close()
      await engine.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return t
}

/** A browser-like client: keeps the session cookie, sends the CSRF header, never sees the token in JavaScript. */
export class HttpClient {
  cookie: string | null = null
  lastSetCookie: string[] = []
  constructor(
    readonly base: string,
    private readonly clock?: { now(): number },
  ) {}

  async raw(method: string, input: unknown = {}, o: { activity?: boolean; headers?: Record<string, string> } = {}): Promise<{ status: number; body: Envelope }> {
    const res = await fetch(`${this.base}/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-psc-request': '1', ...(o.activity === false ? { 'x-psc-activity': '0' } : {}), ...(this.cookie ? { cookie: this.cookie } : {}), ...o.headers },
      body: JSON.stringify(input),
    })
    this.lastSetCookie = res.headers.getSetCookie()
    for (const c of this.lastSetCookie) {
      const pair = c.split(';')[0]
      this.cookie = pair.endsWith('=') ? null : pair
    }
    return { status: res.status, body: (await res.json()) as Envelope }
  }

  async call<T = unknown>(method: string, input: unknown = {}, o: { activity?: boolean } = {}): Promise<Envelope<T>> {
    return (await this.raw(method, input, o)).body as Envelope<T>
  }

  async ok<T = unknown>(method: string, input: unknown = {}): Promise<T> {
    const r = await this.call<T>(method, input)
    if (!r.ok) throw new Error(`${method} failed: ${r.error.code}: ${r.error.message}`)
    return r.value
  }

  async signIn(username: string, password: string, code?: string): Promise<Envelope> {
    const r = await this.call('auth.signIn', { username, password, ...(code ? { code } : {}) })
    if (!r.ok) throw new Error(`sign-in failed: ${r.error.code}: ${r.error.message}`)
    return r
  }

  /** The current TOTP code for a secret at the test clock. */
  code(secret: string): string {
    return totpCode(secret, this.clock!.now())
  }

  /** Opens the event stream and collects every event until `stop()`. */
  async events(): Promise<{ events: { name: string; data: unknown }[]; status: number; stop(): void; ended: Promise<void> }> {
    const controller = new AbortController()
    const res = await fetch(`${this.base}/api/events`, { headers: this.cookie ? { cookie: this.cookie } : {}, signal: controller.signal })
    const events: { name: string; data: unknown }[] = []
    let ended: Promise<void> = Promise.resolve()
    if (res.ok && res.body) {
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
      ended = (async () => {
        let buf = ''
        try {
          for (;;) {
            const { value, done } = await reader.read()
            if (done) return
            buf += value
            let i: number
            while ((i = buf.indexOf('\n\n')) >= 0) {
              const block = buf.slice(0, i)
              buf = buf.slice(i + 2)
              const name = /^event: (.*)$/m.exec(block)?.[1]
              const data = /^data: (.*)$/m.exec(block)?.[1]
              if (name && data) events.push({ name, data: JSON.parse(data) })
            }
          }
        } catch {
          /* aborted */
        }
      })()
    }
    return { events, status: res.status, stop: () => controller.abort(), ended }
  }
}

export function adtMessage(o: { control: string; mrn: string; last: string; first?: string }): string {
  return [
    `MSH|^~\\&|EPIC|CLINIC|PS|PS|20260302080000||ADT^A08|${o.control}|P|2.5.1`,
    'EVN|A08|20260302080000',
    `PID|1||${o.mrn}^^^MRN^MR||${o.last}^${o.first ?? 'JANE'}||19800101|F`,
    'PV1|1|O|CLINIC^101',
  ].join('\r')
}
