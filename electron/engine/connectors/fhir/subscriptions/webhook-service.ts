/**
 * The webhook receiver: one listener per practice whose FHIR connection has the webhook on
 * (HTTPS with the operator's certificate, or plain HTTP on loopback only, behind the practice's
 * reverse proxy: athena posts only to public HTTPS on 443, H). A delivery is read raw with a size
 * cap, its `X-Hub-Signature` checked over those bytes before anything parses them, then parsed in
 * either status shape; each event is stored as a transaction (dedup key = the event id) and only
 * when every one is durable does the sender get 2xx (athena: within 2 s). Processing happens later
 * in a lane per focus resource. A bad signature is 401, a malformed body 400, an unknown practice
 * or subscription 404: nothing is stored for them, only a counter and a PHI-free log line.
 *
 * The same service runs the subscription job (desired state, renewals, overlap deletions) and the
 * reconciliation schedule, and notices receiver gaps (the engine was down longer than athena's
 * 1-hour retry window) to reconcile at start.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { ListenerStatus } from '../../../../../shared/api/system'
import { isLoopbackHost, type FhirWebhookConfig } from '../../../../../shared/config'
import type { AppError } from '../../../../../shared/errors'
import type { EngineContext } from '../../../core/engine-context'
import type { Service, ServiceStatus } from '../../../core/service'
import type { StoredConnection } from '../../../practices/connections-repo'
import { channelOfFocus, eventDedupKey, FHIR_CONNECTOR, type FhirEnvelope } from '../pipeline/messages'
import type { FhirRuntime } from '../runtime'
import type { FhirRepo, SubscriptionRow } from '../store/fhir-repo'
import type { Reconciler } from '../workflows/reconcile'
import { MalformedNotification, parseNotification, topicId } from './notification'
import { sign, verifySignature, type Candidate } from './signature'
import type { SubscriptionManager } from './subscription-manager'

const OK_BODY = JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', details: { text: 'received' } }] })
const HEARTBEAT_MS = 60_000
/** Receipt counters are written this often (and at stop), not per delivery. */
const COUNTS_FLUSH_MS = 1_000
/** Marks the engine's own reachability probe; only a probe signed with this process's probe key is answered as one. */
const PROBE_HEADER = 'x-psc-probe'

export interface ProbeResult {
  /** The signed probe came back answered by this receiver. */
  ours: boolean
  status: number
}

interface Listener {
  practiceId: string
  connectionId: string
  /** The connection's webhook settings, kept current by reload() (read per delivery, so not parsed per delivery). */
  cfg: FhirWebhookConfig
  fingerprint: string
  server: Server
  url: string
  host: string
  port: number
  error: string | null
}

export interface ReceiptResult {
  status: number
  stored: number
  duplicates: number
}

export interface WebhookOptions {
  /** How often the subscription job and the reconciliation schedule are looked at (default 5 s). */
  tickMs?: number
}

export class WebhookService implements Service {
  readonly name = 'fhir-webhooks'
  private readonly listening = new Map<string, Listener>()
  private readonly secrets = new Map<string, Candidate<SubscriptionRow>[]>()
  private readonly dirty = new Set<string>()
  private timer: NodeJS.Timeout | null = null
  private countsTimer: NodeJS.Timeout | null = null
  private lastHeartbeat = 0
  private queue: Promise<void> = Promise.resolve()
  private ticking: Promise<void> | null = null
  private stopped = false
  /** Signs the reachability probe; per process, never stored (a probe is checked by the process that sent it). */
  private readonly probeKey = randomBytes(32).toString('hex')

  constructor(
    private readonly ctx: EngineContext,
    private readonly rt: FhirRuntime,
    private readonly repo: FhirRepo,
    private readonly subs: SubscriptionManager,
    private readonly reconciler: Reconciler,
    private readonly opts: WebhookOptions = {},
  ) {
    subs.hooks = { secretsChanged: (p) => this.dirty.add(p), endpointFor: (p) => this.endpointFor(p) }
  }

  private connections(): StoredConnection[] {
    return this.ctx.connections.list().filter((c) => c.kind === 'fhir-r4' && c.enabled)
  }

  endpointFor(practiceId: string): string | null {
    const conn = this.connections().find((c) => c.practiceId === practiceId)
    if (!conn) return null
    const cfg = this.rt.configOf(conn).webhook
    return cfg.publicUrl ?? this.listening.get(practiceId)?.url ?? null
  }

  listenerOf(practiceId: string): { url: string; host: string; port: number } | null {
    const l = this.listening.get(practiceId)
    return l ? { url: l.url, host: l.host, port: l.port } : null
  }

  async start(): Promise<void> {
    this.stopped = false
    await this.reload()
    // A gap longer than athena's retry window (the engine was down) means notifications were lost.
    for (const conn of this.connections()) {
      const cfg = this.rt.configOf(conn)
      if (!cfg.webhook.enabled) continue
      const last = this.repo.state<number>(conn.id, 'receiver.lastUp')
      if (last !== null && this.ctx.clock.now() - last > cfg.reconcileAfterGapMinutes * 60_000) {
        this.ctx.logger.warn('webhook receiver was down longer than the retry window; reconciling', { practiceId: conn.practiceId, gapMinutes: Math.round((this.ctx.clock.now() - last) / 60_000) })
        this.reconciler.run(conn.practiceId, 'gap').catch(() => undefined)
      }
    }
    const tick = this.opts.tickMs ?? 5_000
    this.timer = setInterval(() => void this.tick(), tick)
    this.timer.unref()
  }

  /** Configuration changed: clients are rebuilt on next use, listeners follow their settings. */
  reload(): Promise<void> {
    this.rt.invalidate()
    const next = this.queue.then(() => this.syncListeners())
    this.queue = next.catch(() => undefined)
    return next
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.ticking
    await this.queue
    await Promise.all([...this.listening.values()].map((l) => closeServer(l.server)))
    this.listening.clear()
    await this.flushCounts()
  }

  status(): ServiceStatus {
    const errors = [...this.listening.values()].filter((l) => l.error)
    if (errors.length) return { name: this.name, state: 'degraded', detail: errors.map((l) => `${l.practiceId}: ${l.error}`).join('; ') }
    return { name: this.name, state: this.listening.size ? 'running' : 'stopped', detail: `${this.listening.size} webhook listener(s)` }
  }

  listeners(): ListenerStatus[] {
    return [...this.listening.values()].map((l) => ({ kind: 'fhir-webhook', practiceId: l.practiceId, name: 'fhir-webhook', host: l.host, port: l.port, state: l.error ? 'error' : 'listening', connections: 0, ...(l.error ? { error: l.error } : {}) }))
  }

  /** The subscription job, the reconciliation schedule and the receiver heartbeat. */
  tick(): Promise<void> {
    if (this.ticking || this.stopped) return this.ticking ?? Promise.resolve()
    this.ticking = this.runTick()
      .catch((e: unknown) => this.ctx.logger.warn('FHIR background job failed', { code: (e as AppError)?.code ?? (e as Error)?.name }))
      .finally(() => {
        this.ticking = null
      })
    return this.ticking
  }

  private async runTick(): Promise<void> {
    const now = this.ctx.clock.now()
    const heartbeat = now - this.lastHeartbeat >= HEARTBEAT_MS
    if (heartbeat) this.lastHeartbeat = now
    // Connections side by side: one slow server never holds up another practice's renewals.
    await Promise.all(
      this.connections().map(async (conn) => {
        const cfg = this.rt.configOf(conn)
        if (cfg.webhook.enabled && heartbeat && this.listening.has(conn.practiceId)) this.repo.setState(conn.id, 'receiver.lastUp', now, now)
        if ((cfg.webhook.enabled || this.repo.subscriptionsOf(conn.id).length) && this.subs.due(conn, now)) {
          await this.subs.reconcile(conn.practiceId).catch((e: unknown) => this.ctx.logger.warn('subscription job failed', { practiceId: conn.practiceId, code: (e as AppError)?.code }))
        }
        if (this.stopped) return
        if (cfg.reconcileIntervalMinutes > 0 && this.reconciler.due(conn, cfg.reconcileIntervalMinutes, now)) {
          await this.reconciler.run(conn.practiceId, 'schedule').catch(() => undefined)
        }
      }),
    )
  }

  private async syncListeners(): Promise<void> {
    if (this.stopped) return
    const wanted = new Map<string, StoredConnection>()
    for (const c of this.connections()) if (this.rt.configOf(c).webhook.enabled && !wanted.has(c.practiceId)) wanted.set(c.practiceId, c)
    for (const [practiceId, l] of this.listening) {
      const c = wanted.get(practiceId)
      if (!c || fingerprint(c) !== l.fingerprint) {
        await closeServer(l.server)
        this.listening.delete(practiceId)
      } else {
        l.cfg = this.rt.configOf(c).webhook
      }
    }
    for (const [practiceId, c] of wanted) {
      if (this.listening.has(practiceId)) continue
      this.dirty.add(practiceId)
      await this.listen(practiceId, c)
    }
  }

  private async listen(practiceId: string, conn: StoredConnection): Promise<void> {
    const cfg = this.rt.configOf(conn).webhook
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.handle(practiceId, req, res).catch((e: unknown) => {
        this.ctx.logger.error('webhook request failed', { practiceId, code: (e as AppError)?.code ?? (e as Error)?.name })
        if (!res.headersSent) res.writeHead(500).end()
      })
    }
    let server: Server
    let error: string | null = null
    if (cfg.tls.enabled) {
      try {
        server = createHttpsServer({ cert: readFileSync(cfg.tls.certFile!), key: readFileSync(cfg.tls.keyFile!) }, handler)
      } catch (e) {
        error = `the certificate or key could not be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`
        server = createHttpServer(handler)
      }
    } else if (!isLoopbackHost(cfg.host)) {
      error = `plain HTTP is only allowed on loopback (set TLS to listen on ${cfg.host})`
      server = createHttpServer(handler)
    } else {
      server = createHttpServer(handler)
    }
    server.requestTimeout = 10_000
    server.headersTimeout = 5_000
    const l: Listener = { practiceId, connectionId: conn.id, cfg, fingerprint: fingerprint(conn), server, url: '', host: cfg.host, port: cfg.port, error }
    this.listening.set(practiceId, l)
    if (error) {
      this.ctx.logger.error('webhook listener refused to start', { practiceId, reason: error })
      return
    }
    await new Promise<void>((resolve) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        l.error = `could not listen on ${cfg.host}:${cfg.port} (${e.code ?? e.name})`
        resolve()
      })
      server.listen(cfg.port, cfg.host, () => {
        const a = server.address() as AddressInfo
        l.port = a.port
        const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host
        l.url = `${cfg.tls.enabled ? 'https' : 'http'}://${host}:${a.port}/fhir-webhook/${encodeURIComponent(practiceId)}`
        this.ctx.logger.info('webhook listener started', { practiceId, port: a.port, tls: cfg.tls.enabled })
        resolve()
      })
    })
  }

  private async candidates(practiceId: string): Promise<Candidate<SubscriptionRow>[]> {
    if (this.dirty.has(practiceId) || !this.secrets.has(practiceId)) {
      this.dirty.delete(practiceId)
      const rows = this.repo.subscriptions([practiceId]).filter((r) => r.state === 'active' || r.state === 'retiring' || r.state === 'creating')
      const list: Candidate<SubscriptionRow>[] = []
      for (const r of rows) {
        const secret = await this.ctx.secrets.get(this.subs.secretName(r.id))
        if (secret) list.push({ secret, owner: r })
      }
      this.secrets.set(practiceId, list)
    }
    return this.secrets.get(practiceId)!
  }

  /** Counted in memory and written once a second through the group commit (not waited for): a count is not a message. */
  private count(practiceId: string, subscription: string, counts: Partial<Record<'deliveries' | 'events' | 'duplicates' | 'bad_signatures' | 'malformed' | 'unknown' | 'failures', number>>, status: number | null, reason: string | null, bytes: number, delivery = false): void {
    if (status !== null) this.ctx.logger.warn('webhook delivery refused', { practiceId, status, reason, bytes })
    this.repo.count(practiceId, subscription, counts, this.ctx.clock.now(), delivery)
    if (this.countsTimer) return
    this.countsTimer = setTimeout(() => void this.flushCounts(), COUNTS_FLUSH_MS)
    this.countsTimer.unref()
  }

  private async flushCounts(): Promise<void> {
    if (this.countsTimer) clearTimeout(this.countsTimer)
    this.countsTimer = null
    if (!this.repo.countsPending) return
    await this.ctx.batcher.run(() => this.repo.flushCounts(), { until: 'commit' }).catch((e: unknown) => this.ctx.logger.warn('webhook counters could not be written', { code: (e as AppError)?.code }))
  }

  private refused(practiceId: string, status: number, field: 'bad_signatures' | 'malformed' | 'unknown', reason: string, bytes: number): ReceiptResult {
    this.count(practiceId, '-', { [field]: 1 }, status, reason, bytes)
    return { status, stored: 0, duplicates: 0 }
  }

  /**
   * Posts a signed probe to a notification URL (the public one through the practice's proxy, or the
   * local listener). This receiver answers it 204 with the nonce signed back, counts nothing and
   * stores nothing; anything else answering is not this receiver.
   */
  async probe(url: string, timeoutMs = 5_000): Promise<ProbeResult> {
    const nonce = randomUUID()
    const body = Buffer.from(JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'probe', valueString: nonce }] }), 'utf8')
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json', 'X-Hub-Signature': sign(this.probeKey, body), [PROBE_HEADER]: '1' }, body: new Uint8Array(body), signal: AbortSignal.timeout(timeoutMs) })
    await res.arrayBuffer().catch(() => undefined)
    return { ours: res.status === 204 && res.headers.get(PROBE_HEADER) === sign(this.probeKey, Buffer.from(nonce, 'utf8')), status: res.status }
  }

  /** The engine's own probe, checked over the raw bytes like any delivery: answered, never counted. */
  private probeReply(req: IncomingMessage, raw: Buffer): string | null {
    if (req.headers[PROBE_HEADER] !== '1') return null
    const check = verifySignature(req.headers['x-hub-signature'] as string | undefined, raw, [{ secret: this.probeKey, owner: true }])
    if (!check.ok) return null
    try {
      const nonce = (JSON.parse(raw.toString('utf8')) as { parameter?: Array<{ valueString?: unknown }> }).parameter?.[0]?.valueString
      return typeof nonce === 'string' ? sign(this.probeKey, Buffer.from(nonce, 'utf8')) : null
    } catch {
      return null
    }
  }

  private async handle(listenerPractice: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const listener = this.listening.get(listenerPractice)
    if (!listener) {
      res.writeHead(503).end()
      return
    }
    const cfg = listener.cfg
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST' }).end()
      return
    }
    const path = (req.url ?? '/').split('?')[0]!
    const m = /^\/fhir-webhook\/([^/]+)\/?$/.exec(path)
    const practiceId = m ? decodeURIComponent(m[1]!) : listenerPractice
    const declared = Number(req.headers['content-length'] ?? 0)
    if (declared > cfg.maxBodyBytes) {
      this.count(listenerPractice, '-', { malformed: 1 }, 413, 'body over the size cap', declared)
      res.writeHead(413, { Connection: 'close' }).end()
      req.destroy()
      return
    }
    const raw = await readCapped(req, cfg.maxBodyBytes)
    if (raw === null) {
      this.count(listenerPractice, '-', { malformed: 1 }, 413, 'body over the size cap', cfg.maxBodyBytes)
      res.writeHead(413, { Connection: 'close' }).end()
      return
    }
    const probe = this.probeReply(req, raw)
    if (probe) {
      res.writeHead(204, { [PROBE_HEADER]: probe }).end()
      return
    }
    // A listener serves one practice: a path naming another is an unknown practice here.
    const result = practiceId !== listenerPractice ? this.refused(listenerPractice, 404, 'unknown', 'unknown practice', raw.length) : await this.receive(practiceId, cfg, raw, req.headers['x-hub-signature'] as string | undefined, req.headers['content-type'])
    if (result.status === 200) {
      res.writeHead(200, { 'Content-Type': 'application/fhir+json' }).end(OK_BODY)
      return
    }
    const texts: Record<number, string> = { 401: 'signature check failed', 400: 'malformed notification', 404: 'unknown practice or subscription', 415: 'unsupported content type', 503: 'could not store the notification' }
    const text = texts[result.status] ?? 'refused'
    res.writeHead(result.status, { 'Content-Type': 'application/fhir+json' }).end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', details: { text } }] }))
  }

  /** Verify → parse → store durably: the part that decides the answer. */
  private async receive(practiceId: string, cfg: FhirWebhookConfig, raw: Buffer, signature: string | undefined, contentType: string | undefined): Promise<ReceiptResult> {
    const now = this.ctx.clock.now()
    const fail = (status: number, field: 'bad_signatures' | 'malformed' | 'unknown', reason: string): ReceiptResult => this.refused(practiceId, status, field, reason, raw.length)
    const ct = String(contentType ?? '').toLowerCase()
    if (ct && !ct.startsWith('application/fhir+json') && !ct.startsWith('application/json')) return fail(415, 'malformed', 'unsupported content type')
    const check = verifySignature(signature, raw, await this.candidates(practiceId), cfg.signaturePrefix)
    if (!check.ok) return fail(check.reason === 'no_secret' ? 404 : 401, check.reason === 'no_secret' ? 'unknown' : 'bad_signatures', `signature ${check.reason}`)
    let n
    try {
      n = parseNotification(raw)
    } catch (e) {
      if (e instanceof MalformedNotification) return fail(400, 'malformed', e.message)
      throw e
    }
    const subId = n.subscription?.replace(/^.*Subscription\//, '') ?? null
    const sub = check.owners.find((o) => o.remoteId === subId)
    if (!sub) return fail(404, 'unknown', 'the notification names a subscription whose secret did not sign it')
    const topic = topicId(n.topic)
    let results
    try {
      results = await Promise.all(
        n.events.map((ev) => {
          const env: FhirEnvelope = { v: 1, kind: 'notification', eventId: ev.id, topic, subscription: subId, timestamp: ev.timestamp, focus: ev.focus, shape: n.shape, receivedAt: now }
          return this.ctx.pipeline.accept({
            practiceId,
            connector: FHIR_CONNECTOR,
            channel: channelOfFocus(ev.focus),
            direction: 'in',
            messageType: `notification ${topic}`,
            contentType: 'json',
            raw: Buffer.from(JSON.stringify(env), 'utf8'),
            peer: 'webhook',
            controlId: ev.id,
            dedupKey: eventDedupKey(practiceId, ev.id),
            searchText: `notification ${topic} ${ev.id}`,
          })
        }),
      )
    } catch (e) {
      this.count(practiceId, sub.remoteId ?? '-', { failures: 1 }, null, null, raw.length)
      this.ctx.logger.error('webhook notification could not be stored; answering 503 so the sender retries', { practiceId, code: (e as AppError)?.code })
      return { status: 503, stored: 0, duplicates: 0 }
    }
    const duplicates = results.filter((r) => r.duplicate).length
    this.count(practiceId, sub.remoteId ?? '-', { deliveries: 1, events: n.events.length - duplicates, duplicates }, null, null, raw.length, true)
    return { status: 200, stored: n.events.length - duplicates, duplicates }
  }
}

function fingerprint(c: StoredConnection): string {
  const w = (c.config as { webhook?: unknown }).webhook ?? {}
  const { host, port, tls } = w as { host?: unknown; port?: unknown; tls?: unknown }
  return JSON.stringify([c.id, host, port, tls])
}

function readCapped(req: IncomingMessage, cap: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let over = false
    req.on('data', (c: Buffer) => {
      if (over) return
      size += c.length
      if (size > cap) {
        over = true
        resolve(null)
        req.resume()
        return
      }
      chunks.push(c)
    })
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks))
    })
    req.on('error', reject)
  })
}

function closeServer(s: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!s.listening) return resolve()
    s.close(() => resolve())
    s.closeAllConnections()
  })
}

