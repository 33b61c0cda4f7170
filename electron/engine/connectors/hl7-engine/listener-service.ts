/**
 * The inbound side as a Service: one MLLP listener per enabled `hl7-inbound` interface, bound
 * where its configuration says (default 127.0.0.1; port 0 = OS-assigned). Reconciled on start and
 * whenever connections change: new interfaces start, removed or disabled ones stop, changed ones
 * restart, unchanged ones keep their sockets. Reports each listener for `listening:` lines and
 * system.status, and richer details (peers, counters) for the console.
 */
import { AppError, isAppError } from '../../../../shared/errors'
import { listenerExposureProblems, reservedSlots } from '../../../../shared/config'
import type { ListenerStatus } from '../../../../shared/api/system'
import type { Hl7ListenerDetails } from '../../../../shared/api/hl7'
import type { EngineContext } from '../../core/engine-context'
import type { Logger } from '../../core/logger'
import type { Service, ServiceStatus } from '../../core/service'
import { buildRejectAck, encodeHl7Text, peekHl7Charset } from '../hl7'
import { InboundReceiver } from './inbound-receiver'
import { IngestGate } from './ingest-gate'
import type { Hl7Interfaces, InboundInterface } from './interfaces'
import { loadTlsCredentials, tlsFolders } from '../../core/tls-files'
import { BufferBudget } from './buffer-budget'
import { MllpListener, normaliseFingerprint, type MllpTlsServerOptions } from './mllp-listener'

interface Running {
  iface: InboundInterface
  key: string
  listener: MllpListener | null
  receiver: InboundReceiver | null
  state: 'listening' | 'stopped' | 'error'
  error?: string
  startedAt: number | null
}

export const LISTENER_SERVICE = 'hl7-listeners'

/** `folders`: where TLS files may be read from (core/tls-files.ts tlsFolders). */
export function tlsServerOptions(iface: InboundInterface, folders: readonly string[]): MllpTlsServerOptions | undefined {
  const t = iface.config.tls
  if (!t.enabled) return undefined
  if (t.requestClientCert && !t.caFile) throw new AppError('config_invalid', 'Mutual TLS (requestClientCert) needs a caFile to verify client certificates against.')
  const { cert, key, ca } = loadTlsCredentials(t, folders)
  return {
    cert: cert as Buffer,
    key: key as Buffer,
    ...(ca ? { ca } : {}),
    requestClientCert: t.requestClientCert || t.clientCertFingerprints.length > 0,
    clientCertFingerprints: t.clientCertFingerprints.map(normaliseFingerprint),
  }
}

export class Hl7ListenerService implements Service {
  readonly name = LISTENER_SERVICE
  private readonly running = new Map<string, Running>()
  private started = false
  private reconciling: Promise<void> = Promise.resolve()
  private readonly log: Logger
  /** Bytes of inbound HL7 in memory across every listener (engine setting hl7MaxBufferedBytes). */
  readonly budget: BufferBudget

  constructor(
    private readonly ctx: EngineContext,
    private readonly interfaces: Hl7Interfaces,
  ) {
    this.log = ctx.logger.child({ component: 'hl7-listener' })
    this.budget = new BufferBudget(ctx.settings.hl7MaxBufferedBytes)
  }

  async start(): Promise<void> {
    this.started = true
    await this.reconcile()
  }

  async reload(): Promise<void> {
    if (this.started) await this.reconcile()
  }

  async stop(): Promise<void> {
    this.started = false
    await this.reconciling
    await Promise.all([...this.running.values()].map((r) => this.stopOne(r)))
    this.running.clear()
  }

  status(): ServiceStatus {
    const list = [...this.running.values()]
    const failed = list.filter((r) => r.state === 'error')
    if (!this.started) return { name: this.name, state: 'stopped' }
    if (failed.length > 0) return { name: this.name, state: failed.length === list.length ? 'error' : 'degraded', detail: `${failed.length} of ${list.length} HL7 listeners failed to start` }
    return { name: this.name, state: 'running', detail: `${list.length} HL7 listener${list.length === 1 ? '' : 's'}` }
  }

  listeners(): ListenerStatus[] {
    return [...this.running.values()].map((r) => ({
      kind: 'hl7-mllp',
      practiceId: r.iface.practiceId,
      name: r.iface.name,
      host: r.listener?.address?.host ?? r.iface.config.host,
      port: r.listener?.address?.port ?? r.iface.config.port,
      state: r.state,
      connections: r.listener?.connectionCount ?? 0,
      ...(r.error ? { error: r.error } : {}),
    }))
  }

  /** Listener by interface, with its peers and counters. */
  details(practiceId?: string): Hl7ListenerDetails[] {
    return [...this.running.values()]
      .filter((r) => !practiceId || r.iface.practiceId === practiceId)
      .map((r) => ({
        connectionId: r.iface.id,
        practiceId: r.iface.practiceId,
        name: r.iface.name,
        host: r.listener?.address?.host ?? r.iface.config.host,
        port: r.listener?.address?.port ?? r.iface.config.port,
        tls: r.iface.config.tls.enabled,
        ackMode: r.iface.config.ackMode,
        state: r.state,
        error: r.error ?? null,
        startedAt: r.startedAt,
        peers: (r.listener?.connections() ?? []).map((c) => ({ peer: c.peer, since: c.since, frames: c.frames })),
        counters: {
          ...(r.receiver?.counters ?? { received: 0, accepted: 0, duplicates: 0, rejected: 0, storeFailures: 0, refusedNotStored: 0, lastReceivedAt: null }),
          ...(r.listener?.counters ?? {}),
          // Engine-wide: the same on every listener.
          bufferedBytes: this.budget.used,
          bufferedBytesLimit: this.budget.maxBytes,
        },
      }))
  }

  /** The running listener of an interface (tests, connectivity checks). */
  find(practiceId: string, name: string): { host: string; port: number; state: Running['state']; connections: number; slots: number; error?: string } | null {
    for (const r of this.running.values()) {
      if (r.iface.practiceId === practiceId && r.iface.name === name) {
        return {
          host: r.listener?.address?.host ?? r.iface.config.host,
          port: r.listener?.address?.port ?? r.iface.config.port,
          state: r.state,
          connections: r.listener?.connectionCount ?? 0,
          // Sockets holding a slot, TLS handshakes in progress included.
          slots: r.listener?.slotsInUse ?? 0,
          ...(r.error ? { error: r.error } : {}),
        }
      }
    }
    return null
  }

  private reconcile(): Promise<void> {
    this.reconciling = this.reconciling.then(() => this.doReconcile()).catch((e) => this.log.error('reconcile failed', { code: isAppError(e) ? e.code : 'internal' }))
    return this.reconciling
  }

  private async doReconcile(): Promise<void> {
    if (!this.started) return
    let wanted: InboundInterface[]
    try {
      wanted = this.interfaces.allInbound().filter((i) => i.enabled)
    } catch (e) {
      this.log.error('cannot read HL7 interfaces', { code: isAppError(e) ? e.code : 'internal' })
      return
    }
    const keep = new Set<string>()
    for (const iface of wanted) {
      const key = JSON.stringify([iface.practiceId, iface.name, iface.config])
      keep.add(iface.id)
      const cur = this.running.get(iface.id)
      if (cur && cur.key === key && cur.state !== 'error') {
        cur.iface = iface
        continue
      }
      if (cur) await this.stopOne(cur)
      this.running.set(iface.id, await this.startOne(iface, key))
    }
    for (const [id, r] of this.running) {
      if (keep.has(id)) continue
      await this.stopOne(r)
      this.running.delete(id)
    }
  }

  private async startOne(iface: InboundInterface, key: string): Promise<Running> {
    const log = this.log.child({ practiceId: iface.practiceId, interface: iface.name })
    const r: Running = { iface, key, listener: null, receiver: null, state: 'stopped', startedAt: null }
    try {
      const clear = listenerExposureProblems(iface.config)
      if (clear.length) throw new AppError('config_invalid', `Not listening: ${clear.map((p) => p.message).join('; ')}.`, { retryable: false })
      let listener: MllpListener | null = null
      const gate = new IngestGate(() => listener?.connectionCount ?? 1)
      const peers = {
        mayStoreRefused: (address: string, bytes: number) => listener?.guard.chargeRefused(address, 1, bytes) ?? true,
        accepted: (address: string) => listener?.guard.markKnown(address),
      }
      const receiver = new InboundReceiver({ pipeline: this.ctx.pipeline, clock: this.ctx.clock, logger: log, practiceId: iface.practiceId, iface, gate, peers })
      const c = iface.config
      const tlsOpts = tlsServerOptions(iface, this.tlsFolders())
      listener = new MllpListener({
        host: c.host,
        port: c.port,
        ...(tlsOpts ? { tls: tlsOpts } : {}),
        allowedPeers: c.allowedPeers,
        maxFrameBytes: c.maxFrameBytes,
        idleTimeoutMs: c.idleTimeoutSeconds * 1000,
        maxConnections: c.maxConnections,
        maxConnectionsPerPeer: c.maxConnectionsPerPeer,
        reservedConnections: reservedSlots(c),
        trustedPeers: c.trustedPeers,
        frameTimeoutMs: c.frameTimeoutSeconds * 1000,
        refusedFramesPerMinute: c.refusedFramesPerMinute,
        refusedBytesPerMinute: c.refusedBytesPerMinute,
        budget: this.budget,
        onFrame: (payload, conn) => receiver.handle(payload, conn.peer, conn.remoteAddress),
        onOversize: (head, _conn, error) => encodeHl7Text(buildRejectAck(head, { error, clock: this.ctx.clock }), safeCharset(head)),
        clock: this.ctx.clock,
        logger: log,
      })
      r.receiver = receiver
      r.listener = listener
      const at = await listener.start()
      r.state = 'listening'
      r.startedAt = this.ctx.clock.now()
      log.info('HL7 listener started', { host: at.host, port: at.port, tls: Boolean(tlsOpts), ackMode: c.ackMode })
    } catch (e) {
      r.state = 'error'
      r.error = isAppError(e) ? e.message : `The listener could not start: ${String((e as Error)?.message ?? e).slice(0, 200)}`
      r.listener = null
      log.error('HL7 listener failed to start', { code: isAppError(e) ? e.code : 'internal', error: r.error })
    }
    return r
  }

  private tlsFolders(): string[] {
    return tlsFolders(this.ctx.dataDir, this.ctx.settings)
  }

  private async stopOne(r: Running): Promise<void> {
    if (r.listener) {
      try {
        await r.listener.stop()
      } catch (e) {
        this.log.warn('listener did not stop cleanly', { interface: r.iface.name, code: isAppError(e) ? e.code : 'internal' })
      }
    }
    r.state = 'stopped'
  }
}

function safeCharset(b: Buffer): string | undefined {
  try {
    return peekHl7Charset(b)
  } catch {
    return undefined
  }
}
