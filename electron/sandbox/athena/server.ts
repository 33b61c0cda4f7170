/**
 * The local athenaNet sandbox: one node:http server that plays three roles in the order a real
 * call meets them — the OAuth server (/oauth2/v1/token), the API gateway (bearer check, QPS and
 * daily quota, gateway-style errors) and the athenaNet backend (/v1/{practiceid}/…). A small JSON
 * admin API under /__sandbox/ drives faults, stats, resets and simulated staff edits; it exists
 * only here, never on athena.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { handleAdmin } from './admin'
import { BodyTooLarge, decodeBody, readBody } from './http-body'
import { MDP_SCOPE, TokenService } from './auth'
import { resolveConfig, type AthenaSandboxOptions, type SandboxConfig } from './config'
import type { RequestContext, World } from './context'
import { ApiError, developerInactive, incorrectPermissions, invalidPractice, unknownPath } from './errors'
import { FaultInjector, type FaultState, type Faults } from './faults'
import { FeedHub } from './feeds'
import { FHIR_PREFIX, FhirSandbox, operationOutcome } from './fhir/handler'
import { fhirId, PATIENT_IDENTIFIER_SYSTEM } from './fhir/ids'
import type { PushEmulator, PushFaults } from './fhir/push'
import { injectedError, quotaHeaders, throttleError } from './gateway'
import { changedRoutes } from './handlers/changed'
import { appointmentActionRoutes } from './handlers/appointment-actions'
import { appointmentRoutes } from './handlers/appointments'
import { openSlotRoutes } from './handlers/open-slots'
import { chartRoutes } from './handlers/chart'
import { documentRoutes } from './handlers/documents'
import { patientRoutes } from './handlers/patients'
import { practiceRoutes } from './handlers/practice'
import { referenceRoutes } from './handlers/reference'
import { Params } from './params'
import { createRng, hashSeed, type Rng } from './prng'
import { RateLimiter } from './rate-limit'
import { Router } from './router'
import { buildStore } from './seed'
import { simulateChanges, type SimulatedChanges } from './simulate'
import { StatsRecorder, type RequestStats } from './stats'
import type { SandboxStore } from './store'
import { send } from './wire'

export interface SandboxStats {
  requests: RequestStats
  /** API calls refused by the QPS limit or an injected storm. */
  throttled: number
  quotaExceeded: number
  tokens: { issued: number; rejected: number; throttled: number }
  faults: FaultState['injected']
  records: ReturnType<SandboxStore['counts']>
  feeds: { pending: Record<string, number> }
}

export interface AthenaSandbox {
  url: string
  port: number
  practiceId: number
  clientId: string
  clientSecret: string
  /** Merges into the active faults (see faults.ts). */
  setFaults(f: Faults): FaultState
  resetFaults(): FaultState
  stats(): SandboxStats
  /** Applies `n` random staff edits (patients and appointments) and queues them on the feeds. */
  simulateChanges(n: number): SimulatedChanges
  /** `{url}/fhir/r4`. */
  fhirBase: string
  fhir: {
    push: PushEmulator
    setWrites(on: boolean): void
    setPushFaults(f: PushFaults): PushFaults
    /** An event as athena would emit it (e.g. `Encounter.signoff` for appointment 1100123); returns the event ids. */
    trigger(topic: string, entityId: number): string[]
  }
  close(): Promise<void>
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'DELETE'])

export class SandboxServer {
  readonly cfg: SandboxConfig
  world: World
  readonly tokens: TokenService
  readonly limiter: RateLimiter
  readonly faults: FaultInjector
  readonly requests = new StatsRecorder()
  readonly fhir: FhirSandbox
  private readonly router = new Router()
  private simRng: Rng
  private readonly server: Server

  constructor(options: AthenaSandboxOptions = {}) {
    this.cfg = resolveConfig(options)
    this.world = this.newWorld()
    this.fhir = new FhirSandbox(this.cfg, () => this.world)
    this.tokens = new TokenService(this.cfg)
    this.limiter = new RateLimiter(this.cfg)
    this.faults = new FaultInjector(this.cfg.clock, this.cfg.seed, () => this.tokens.expireAll())
    this.simRng = createRng(this.cfg.seed, 'simulate')
    this.router.add([...practiceRoutes, ...referenceRoutes, ...patientRoutes, ...changedRoutes, ...openSlotRoutes, ...appointmentRoutes, ...appointmentActionRoutes, ...chartRoutes, ...documentRoutes])
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.cfg.logger.error('sandbox request failed', { error: err instanceof Error ? err.name : 'unknown' })
        if (!res.headersSent) send(res, 500, { error: 'There was an error processing your request.' })
        else res.destroy()
      })
    })
  }

  private newWorld(): World {
    const store = buildStore({ seed: this.cfg.seed, practiceId: this.cfg.practiceId, patientCount: this.cfg.patientCount, now: this.cfg.clock.now() })
    const feeds = new FeedHub(this.cfg, this.cfg.clock)
    // Every change the feeds see is also an event on athena's subscription platform.
    feeds.onRecord = (kind, event, id, departmentId) => {
      const patientId = kind === 'appointments' ? store.appointments.get(id)?.patientid : undefined
      this.fhir?.push.emitFeed(event, kind, id, departmentId, patientId)
    }
    return { store, feeds, charts: new Map(), documentBodies: new Map() }
  }

  /** An admin-triggered event (topics without a `/v1` action here, such as Encounter.signoff). */
  trigger(topic: string, entityId: number): string[] {
    const p = this.cfg.practiceId
    const { store } = this.world
    if (topic.startsWith('Patient.')) {
      const pt = store.patients.get(entityId)
      const ref = `Patient/${fhirId(p, 'E', entityId)}`
      return this.fhir.push.emit(topic, { reference: ref, identifier: { system: PATIENT_IDENTIFIER_SYSTEM(p), value: String(entityId) } }, { patientRef: ref, departmentId: pt?.departmentid })
    }
    const a = store.appointments.get(entityId)
    const patientRef = a?.patientid !== undefined ? `Patient/${fhirId(p, 'E', a.patientid)}` : undefined
    if (topic.startsWith('Encounter.')) {
      return this.fhir.push.emit(topic, { reference: `Encounter/${fhirId(p, 'encounter', entityId)}`, identifier: { system: `urn:athenahealth:athenanet:encounter:${p}`, value: String(entityId) } }, { patientRef, departmentId: a?.departmentid })
    }
    return this.fhir.push.emit(topic, { identifier: { system: `urn:athenahealth:athenanet:appointment:${p}`, value: String(entityId) } }, { patientRef, departmentId: a?.departmentid })
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.cfg.port, this.cfg.host, () => {
        this.server.off('error', reject)
        resolve(this.server.address() as AddressInfo)
      })
    })
  }

  close(): Promise<void> {
    this.fhir.push.close()
    return new Promise((resolve) => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }

  stats(): SandboxStats {
    return {
      requests: this.requests.snapshot(),
      throttled: this.limiter.throttled + this.faults.injected.stormThrottled,
      quotaExceeded: this.limiter.quotaExceeded,
      tokens: { issued: this.tokens.issued, rejected: this.tokens.rejected, throttled: this.tokens.throttled },
      faults: { ...this.faults.injected },
      records: this.world.store.counts(),
      feeds: { pending: this.world.feeds.pendingCounts() },
    }
  }

  simulate(n: number): SimulatedChanges {
    return simulateChanges(this.world, this.simRng, Math.max(0, Math.floor(n)), this.cfg.clock.now())
  }

  /** Clears faults and counters; with `data`, also re-seeds the practice and drops feeds. */
  reset(data: boolean): void {
    this.faults.reset()
    this.limiter.reset()
    this.tokens.resetCounters()
    this.requests.reset()
    this.fhir.reset()
    if (data) {
      this.world = this.newWorld()
      this.simRng = createRng(this.cfg.seed, 'simulate')
    }
  }

  private apiUserFor(clientId: string): string {
    return this.cfg.apiUsername ?? `API-${10_000 + (hashSeed('api-user', clientId) % 90_000)}`
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = this.cfg.clock.monotonic()
    const incomingId = req.headers['x-request-id']
    const requestId = typeof incomingId === 'string' && /^[\w.:-]{1,128}$/.test(incomingId) ? incomingId : randomUUID()
    res.setHeader(this.cfg.requestIdHeader, requestId)
    const method = (req.method ?? 'GET').toUpperCase()
    const url = new URL(req.url ?? '/', 'http://sandbox.local')
    const path = url.pathname

    if (path.startsWith('/__sandbox/')) {
      let body: Buffer
      try {
        body = await readBody(req, this.cfg.maxBodyBytes)
      } catch {
        send(res, 413, { error: 'Request body too large.' })
        return
      }
      handleAdmin(this, method, path, url.searchParams, body, res)
      return
    }

    let endpoint = `${method} (unknown path)`
    let status = 500
    const reply = (s: number, body: unknown, contentType?: string, headers?: Record<string, string>): void => {
      status = s
      send(res, s, body, contentType, headers)
    }
    try {
      let body: Buffer
      try {
        body = await readBody(req, this.cfg.maxBodyBytes)
      } catch (e) {
        if (e instanceof BodyTooLarge) {
          res.setHeader('Connection', 'close')
          reply(413, { error: 'The request is too large.' })
          return
        }
        throw e
      }
      if (path === '/oauth2/v1/token') {
        endpoint = `${method} /oauth2/v1/token`
        this.token(req, method, body, reply)
      } else if (path === '/v1' || path.startsWith('/v1/')) {
        endpoint = this.routeKey(method, path)
        await this.api(req, method, url, body, reply)
      } else if (path === FHIR_PREFIX || path.startsWith(`${FHIR_PREFIX}/`)) {
        endpoint = `${method} ${FHIR_PREFIX}/${path.slice(FHIR_PREFIX.length + 1).split('/')[0] ?? ''}`
        await this.fhirApi(req, method, url, body, reply)
      } else {
        const e = unknownPath()
        reply(e.status, e.body)
      }
    } catch (e) {
      if (e instanceof ApiError) reply(e.status, e.body, e.contentType, e.headers)
      else throw e
    } finally {
      this.requests.record(endpoint, status)
      this.cfg.logger.debug('sandbox request', { requestId, method, endpoint, status, ms: Math.round(this.cfg.clock.monotonic() - started) })
    }
  }

  private token(req: IncomingMessage, method: string, body: Buffer, reply: (s: number, b: unknown, ct?: string, h?: Record<string, string>) => void): void {
    if (method !== 'POST') {
      reply(405, { error: 'invalid_request', error_description: 'The token endpoint only accepts POST.' }, undefined, { Allow: 'POST' })
      return
    }
    const type = String(req.headers['content-type'] ?? '').toLowerCase()
    if (body.length && !type.startsWith('application/x-www-form-urlencoded')) {
      reply(400, { error: 'invalid_request', error_description: 'The request must be application/x-www-form-urlencoded.' })
      return
    }
    this.tokens.lifetimeOverrideSeconds = this.faults.tokenLifetimeSeconds ?? undefined
    const issued = this.tokens.issue(req.headers.authorization, Params.from(new URLSearchParams(body.toString('utf8'))))
    reply(200, issued.body, undefined, issued.headers)
  }

  /** Stats key: the route pattern, so ids never become keys. */
  private routeKey(method: string, pathname: string): string {
    const m = /^\/v1\/(\d+)(\/.*)?$/.exec(pathname)
    const match = m ? this.router.match(method, m[2] ?? '/') : null
    return match ? match.key : `${method} /v1/(unknown path)`
  }

  /** The gateway's part of every API call (`/v1` and FHIR): throttling, daily quota, injected latency and errors. */
  private async gate(clientId: string): Promise<{ headers: Record<string, string>; injected: ApiError | null }> {
    if (this.faults.stormHit()) throw throttleError(this.cfg, 'qps', clientId, 1, this.limiter.peekDaily(clientId))
    const qps = this.limiter.takeQps(clientId)
    if (!qps.ok) throw throttleError(this.cfg, 'qps', clientId, qps.retryAfterSeconds, this.limiter.peekDaily(clientId))
    const daily = this.limiter.takeDaily(clientId)
    if (!daily.ok) throw throttleError(this.cfg, 'quota', clientId, daily.state.reset - this.cfg.clock.now() / 1000, daily.state)
    const headers = quotaHeaders(this.cfg, daily.state)
    const delay = this.faults.delayMs()
    if (delay > 0) await this.cfg.clock.sleep(delay)
    const injected = this.faults.randomError()
    return { headers, injected: injected !== null ? injectedError(injected) : null }
  }

  private async fhirApi(req: IncomingMessage, method: string, url: URL, body: Buffer, reply: (s: number, b: unknown, ct?: string, h?: Record<string, string>) => void): Promise<void> {
    const base = `http://${req.headers.host ?? 'sandbox.local'}${FHIR_PREFIX}`
    const sub = url.pathname.slice(FHIR_PREFIX.length) || '/'
    const send = (r: { status: number; body: unknown; headers?: Record<string, string> }, extra: Record<string, string> = {}): void =>
      r.body === null ? reply(r.status, '', 'application/fhir+json', { ...extra, ...r.headers }) : reply(r.status, JSON.stringify(r.body), 'application/fhir+json', { ...extra, ...r.headers })
    const anonymous = this.fhir.anonymous(method, sub, base)
    if (anonymous) return send(anonymous)
    const auth = this.tokens.verify(req.headers.authorization)
    if (!auth.ok) {
      throw developerInactive(auth.reason === 'expired' ? { 'WWW-Authenticate': 'Bearer error="invalid_token", error_description="The access token expired"' } : {})
    }
    const gate = await this.gate(auth.clientId)
    if (gate.injected) throw new ApiError(gate.injected.status, gate.injected.body, gate.injected.contentType, { ...gate.headers, ...gate.injected.headers })
    try {
      const r = this.fhir.handle(req, method, url, body, auth.scopes, base)
      if (method !== 'GET' && r.status < 300 && this.faults.takeCommitThenFail()) {
        throw operationOutcome(500, 'exception', 'There was an error processing your request.')
      }
      send(r, gate.headers)
    } catch (e) {
      if (e instanceof ApiError) throw new ApiError(e.status, e.body, e.contentType, { ...gate.headers, ...e.headers })
      throw e
    }
  }

  private async api(
    req: IncomingMessage,
    method: string,
    url: URL,
    body: Buffer,
    reply: (s: number, b: unknown, ct?: string, h?: Record<string, string>) => void,
  ): Promise<void> {
    const auth = this.tokens.verify(req.headers.authorization)
    if (!auth.ok) {
      throw developerInactive(auth.reason === 'expired' ? { 'WWW-Authenticate': 'Bearer error="invalid_token", error_description="The access token expired"' } : {})
    }
    const { clientId } = auth
    const gate = await this.gate(clientId)
    const headers = gate.headers
    const fail = (e: ApiError): void => reply(e.status, e.body, e.contentType, { ...headers, ...e.headers })
    if (gate.injected) return fail(gate.injected)

    const m = /^\/v1\/([^/]+)(\/.*)?$/.exec(url.pathname)
    if (!m || !/^\d+$/.test(m[1]!)) return fail(unknownPath())
    if (!auth.scopes.includes(MDP_SCOPE)) return fail(incorrectPermissions(`The access token does not carry the ${MDP_SCOPE} scope.`))
    const practiceId = Number(m[1])
    if (practiceId !== this.cfg.practiceId) {
      return fail(this.cfg.ungrantedPracticeIds.includes(practiceId) ? incorrectPermissions() : invalidPractice())
    }
    const match = this.router.match(method, m[2] ?? '/')
    if (!match) return fail(unknownPath())

    const decoded = decodeBody(req.headers['content-type'], body)
    if (!decoded) return fail(new ApiError(400, { error: 'The data provided is invalid.', detailedmessage: 'Malformed multipart/form-data body.' }))

    const ctx: RequestContext = {
      method,
      path: url.pathname,
      params: Params.from(url.searchParams, decoded.fields),
      pathParams: match.pathParams,
      files: decoded.files,
      clientId,
      apiUser: this.apiUserFor(clientId),
      cfg: this.cfg,
      world: this.world,
      now: this.cfg.clock.now(),
    }
    try {
      const result = match.handler(ctx)
      const status = result.status ?? 200
      if (WRITE_METHODS.has(method) && status < 300 && this.faults.takeCommitThenFail()) {
        reply(500, { error: 'There was an error processing your request.' }, undefined, headers)
      } else {
        reply(status, result.body, undefined, headers)
      }
    } catch (e) {
      if (!(e instanceof ApiError)) throw e
      reply(e.status, e.body, e.contentType, { ...headers, ...e.headers })
    }
  }
}

export async function startAthenaSandbox(options: AthenaSandboxOptions = {}): Promise<AthenaSandbox> {
  const s = new SandboxServer(options)
  const addr = await s.listen()
  const host = s.cfg.host.includes(':') ? `[${s.cfg.host}]` : s.cfg.host
  const main = s.cfg.clients[0]!
  s.cfg.logger.info('athena sandbox listening', { port: addr.port, practiceId: s.cfg.practiceId, patients: s.world.store.patients.size })
  return {
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    practiceId: s.cfg.practiceId,
    clientId: main.clientId,
    clientSecret: main.clientSecret,
    setFaults: (f) => s.faults.set(f),
    resetFaults: () => s.faults.reset(),
    stats: () => s.stats(),
    simulateChanges: (n) => s.simulate(n),
    fhirBase: `http://${host}:${addr.port}${FHIR_PREFIX}`,
    fhir: {
      push: s.fhir.push,
      setWrites: (on) => s.fhir.setWrites(on),
      setPushFaults: (f) => s.fhir.setPushFaults(f),
      trigger: (topic, id) => s.trigger(topic, id),
    },
    close: () => s.close(),
  }
}
