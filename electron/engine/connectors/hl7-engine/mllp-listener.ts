/**
 * One MLLP server socket (plain TCP or TLS 1.2+, optionally mutual TLS with certificate pinning).
 * Per connection: a framer (partial frames, several frames per chunk, garbage between frames,
 * hard size cap), frames handled strictly in order with one in flight (MLLP is synchronous; later
 * frames of the same socket queue, and the socket is paused when the queue grows), half-close
 * (the ACKs of frames already received are still written), TCP keepalive, and the defences of
 * peer-guard.ts (allow-list, connection cap, per-peer cap, slots reserved for known senders,
 * refused-input budget) and buffer-budget.ts (bytes held across all connections).
 *
 * Time limits are measured by a sweep, not by socket inactivity: a byte does not reset them.
 * - idle: since the last complete frame (or the connection, or our last reply), `idleTimeoutMs`;
 * - slow frame: once a frame's start byte arrived, it must end within `frameTimeoutMs`
 *   (slowloris). Time spent paused by us (back-pressure) does not count against the peer.
 * Logs peers, counts and codes, never bytes; lines a peer can trigger at will are rate-limited.
 */
import net from 'node:net'
import tls from 'node:tls'
import { AppError, isAppError } from '../../../../shared/errors'
import type { Clock } from '../../core/clock'
import { rateLimitedLog, type Logger, type RateLimitedLog } from '../../core/logger'
import { frameMessage, MllpFramer } from '../hl7'
import type { BudgetReader, BufferBudget } from './buffer-budget'
import { PeerGuard, type Refusal } from './peer-guard'

export interface MllpTlsServerOptions {
  key: string | Buffer
  cert: string | Buffer
  /** CA(s) that sign acceptable client certificates (mutual TLS). */
  ca?: string | Buffer
  requestClientCert: boolean
  /** SHA-256 fingerprints of the only client certificates accepted (normalised hex, no colons). */
  clientCertFingerprints: string[]
}

export interface ConnectionInfo {
  id: number
  peer: string
  remoteAddress: string
  since: number
  frames: number
}

export interface MllpListenerOptions {
  host: string
  port: number
  tls?: MllpTlsServerOptions
  /** IPs or CIDR ranges allowed to connect; empty = any. */
  allowedPeers: readonly string[]
  maxFrameBytes: number
  /** Since the last complete frame; 0 = never. */
  idleTimeoutMs: number
  maxConnections: number
  /** Sockets one source address may hold; default maxConnections. */
  maxConnectionsPerPeer?: number
  /** Slots only known senders (trustedPeers, or that delivered an accepted message) may take; default 0. */
  reservedConnections?: number
  /** IPs or CIDR ranges of the expected senders (always known). */
  trustedPeers?: readonly string[]
  /** Longest a frame may take from its start byte to its end; 0 = no limit. */
  frameTimeoutMs?: number
  /** Refused input one address may send per minute before its connections are refused; 0 = no limit. */
  refusedFramesPerMinute?: number
  refusedBytesPerMinute?: number
  /** Bytes held across all listeners' connections (shared); none = unbounded. */
  budget?: BufferBudget
  keepAliveMs?: number
  /** Handles one complete frame; resolves with the reply payload (unframed), several replies (each framed on its own, in order) or null for none. */
  onFrame(payload: Buffer, conn: ConnectionInfo): Promise<Buffer | Buffer[] | null>
  /** The reply to an oversized frame (built from its first bytes), or null. */
  onOversize(head: Buffer, conn: ConnectionInfo, error: AppError): Buffer | null
  clock: Clock
  logger: Logger
}

export interface ListenerCounters {
  connectionsAccepted: number
  /** Every refusal; the reasons follow. */
  connectionsRefused: number
  refusedNotAllowed: number
  refusedPerPeerCap: number
  refusedFull: number
  refusedReserved: number
  refusedInputBudget: number
  tlsFailures: number
  frames: number
  oversizedFrames: number
  discardedBytes: number
  idleTimeouts: number
  /** Connections closed because a frame did not end within frameTimeoutMs. */
  frameTimeouts: number
  /** Connections closed because their address spent its refused-input budget. */
  refusedInputClosed: number
  incompleteFrames: number
  /** Times reading paused because the engine's buffered-bytes budget was spent. */
  backPressurePauses: number
}

/**
 * `bytes` is the payload's length as received: the handler may hand the payload's memory to the
 * ingest writer's thread, after which `payload.length` reads 0, so what is released is this.
 */
type Item = { kind: 'frame'; payload: Buffer; bytes: number } | { kind: 'oversize'; head: Buffer; error: AppError }

interface Conn {
  info: ConnectionInfo
  socket: net.Socket
  framer: MllpFramer
  queue: Item[]
  busy: boolean
  ended: boolean
  closing: boolean
  /** Monotonic ms: connection, last complete frame or last reply, whichever is latest. */
  lastFrameAt: number
  /** Monotonic ms when the frame being received started; null between frames. */
  frameStartedAt: number | null
  /** Payload bytes of frames queued or being handled. */
  queuedBytes: number
  /** What this connection has charged to the buffer budget. */
  accounted: number
  queuePaused: boolean
  budgetPausedAt: number | null
  failed: boolean
  reader: BudgetReader
}

const PAUSE_AT = 32
const RESUME_AT = 8

const REFUSAL_TEXT: Record<Refusal, string> = {
  not_allowed: 'connection refused: peer not in allowedPeers',
  per_peer_cap: 'connection refused: maxConnectionsPerPeer reached for this address',
  full: 'connection refused: maxConnections reached',
  reserved: 'connection refused: the remaining slots are reserved for known senders',
  refused_input_budget: 'connection refused: this address sent more refused input than allowed; waiting for its budget to refill',
}
const REFUSAL_COUNTER: Record<Refusal, keyof ListenerCounters> = {
  not_allowed: 'refusedNotAllowed',
  per_peer_cap: 'refusedPerPeerCap',
  full: 'refusedFull',
  reserved: 'refusedReserved',
  refused_input_budget: 'refusedInputBudget',
}

function normaliseAddress(a: string | undefined): string {
  if (!a) return ''
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a
}

export function normaliseFingerprint(f: string): string {
  return f.replace(/:/g, '').toUpperCase()
}

/** An allow-list of IPs and CIDR ranges (IPv4 and IPv6); throws on an entry that is neither. */
export function buildAllowList(entries: readonly string[], key = 'allowedPeers'): net.BlockList | null {
  if (entries.length === 0) return null
  const list = new net.BlockList()
  for (const raw of entries) {
    const e = raw.trim()
    const [addr, bits] = e.split('/')
    const type = net.isIPv4(addr ?? '') ? 'ipv4' : net.isIPv6(addr ?? '') ? 'ipv6' : null
    if (!type || !addr) throw new AppError('config_invalid', `${key}: "${e.slice(0, 60)}" is not an IP address or CIDR range`)
    if (bits === undefined) list.addAddress(addr, type)
    else {
      const n = Number(bits)
      if (!Number.isInteger(n) || n < 0 || n > (type === 'ipv4' ? 32 : 128)) throw new AppError('config_invalid', `${key}: "${e.slice(0, 60)}" has an invalid prefix length`)
      list.addSubnet(addr, n, type)
    }
  }
  return list
}

export class MllpListener {
  private server: net.Server | null = null
  private readonly conns = new Set<Conn>()
  /** Every TCP socket the server accepted, including TLS handshakes still in progress. */
  private readonly raw = new Set<net.Socket>()
  private nextId = 1
  readonly guard: PeerGuard
  private readonly log: Logger
  private bound: { host: string; port: number } | null = null
  private sweeper: NodeJS.Timeout | null = null
  /** Lines a peer can cause at will are rate-limited, so a flood of connections cannot flood the log. */
  private readonly note: RateLimitedLog
  readonly counters: ListenerCounters = {
    connectionsAccepted: 0,
    connectionsRefused: 0,
    refusedNotAllowed: 0,
    refusedPerPeerCap: 0,
    refusedFull: 0,
    refusedReserved: 0,
    refusedInputBudget: 0,
    tlsFailures: 0,
    frames: 0,
    oversizedFrames: 0,
    discardedBytes: 0,
    idleTimeouts: 0,
    frameTimeouts: 0,
    refusedInputClosed: 0,
    incompleteFrames: 0,
    backPressurePauses: 0,
  }

  constructor(private readonly o: MllpListenerOptions) {
    const reserved = o.reservedConnections ?? 0
    if (reserved >= o.maxConnections && reserved > 0) throw new AppError('config_invalid', `reservedConnections (${reserved}) must be less than maxConnections (${o.maxConnections})`)
    this.guard = new PeerGuard({
      allow: buildAllowList(o.allowedPeers),
      trusted: buildAllowList(o.trustedPeers ?? [], 'trustedPeers'),
      maxConnections: o.maxConnections,
      maxConnectionsPerPeer: o.maxConnectionsPerPeer ?? o.maxConnections,
      reservedConnections: reserved,
      refusedFramesPerMinute: o.refusedFramesPerMinute ?? 0,
      refusedBytesPerMinute: o.refusedBytesPerMinute ?? 0,
      clock: o.clock,
    })
    this.log = o.logger
    this.note = rateLimitedLog(o.logger, () => o.clock.monotonic(), { connected: 50, disconnected: 50, discard: 20, incomplete: 20, idle: 20, slow: 20 })
  }

  get address(): { host: string; port: number } | null {
    return this.bound
  }

  get connectionCount(): number {
    return this.conns.size
  }

  /** Sockets holding a slot (connections and TLS handshakes in progress). */
  get slotsInUse(): number {
    return this.guard.connections
  }

  connections(): ConnectionInfo[] {
    return [...this.conns].map((c) => ({ ...c.info }))
  }

  async start(): Promise<{ host: string; port: number }> {
    const t = this.o.tls
    const server: net.Server = t
      ? tls.createServer({
          key: t.key,
          cert: t.cert,
          ...(t.ca !== undefined ? { ca: t.ca } : {}),
          requestCert: t.requestClientCert,
          rejectUnauthorized: t.requestClientCert,
          minVersion: 'TLSv1.2',
          allowHalfOpen: true,
          handshakeTimeout: 10_000,
        })
      : net.createServer({ allowHalfOpen: true, noDelay: true })
    if (t) {
      // The raw socket first: refuse peers outside the allow-list before any handshake work.
      server.on('connection', (raw: net.Socket) => {
        if (!this.admit(raw)) raw.destroy()
      })
      server.on('secureConnection', (s: tls.TLSSocket) => this.onSecure(s))
      server.on('tlsClientError', (e: Error & { code?: string }, s: tls.TLSSocket) => {
        this.counters.tlsFailures++
        this.note('warn', 'tls', 'TLS handshake refused', { peer: `${normaliseAddress(s.remoteAddress)}:${s.remotePort ?? ''}`, code: e.code ?? 'tls_error' })
        s.destroy()
      })
    } else {
      server.on('connection', (s: net.Socket) => {
        if (!this.admit(s)) s.destroy()
        else this.attach(s)
      })
    }
    server.on('error', (e) => this.log.error('listener error', { code: (e as NodeJS.ErrnoException).code ?? 'error' }))
    await new Promise<void>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException): void => {
        server.removeListener('listening', onListening)
        reject(new AppError('network_error', `Cannot listen on ${this.o.host}:${this.o.port} (${e.code ?? 'error'})`, { retryable: true, details: { errno: e.code } }))
      }
      const onListening = (): void => {
        server.removeListener('error', onError)
        resolve()
      }
      server.once('error', onError)
      server.once('listening', onListening)
      server.listen({ host: this.o.host, port: this.o.port, exclusive: true })
    })
    this.server = server
    const a = server.address() as net.AddressInfo
    this.bound = { host: this.o.host, port: a.port }
    const limits = [this.o.idleTimeoutMs, this.o.frameTimeoutMs ?? 0].filter((x) => x > 0)
    if (limits.length) {
      this.sweeper = setInterval(() => this.sweep(), Math.min(1000, Math.max(50, Math.min(...limits) / 4)))
      this.sweeper.unref()
    }
    return this.bound
  }

  /** Stops listening, lets frames being processed finish briefly, then closes every connection. */
  async stop(graceMs = 1000): Promise<void> {
    const server = this.server
    this.server = null
    if (this.sweeper) clearInterval(this.sweeper)
    this.sweeper = null
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve()
    for (const c of this.conns) {
      c.closing = true
      c.queue.length = 0
      if (!c.busy) c.socket.end()
    }
    const deadline = this.o.clock.monotonic() + graceMs
    while (this.conns.size > 0 && this.o.clock.monotonic() < deadline) await new Promise((r) => setTimeout(r, 20))
    for (const c of this.conns) c.socket.destroy()
    for (const s of this.raw) s.destroy()
    await closed
    this.bound = null
  }

  /** Takes a slot for a new TCP socket (TLS handshakes included), or counts why not. */
  private admit(s: net.Socket): boolean {
    const addr = normaliseAddress(s.remoteAddress)
    const why = this.guard.refusal(addr)
    if (why) {
      this.counters.connectionsRefused++
      this.counters[REFUSAL_COUNTER[why]]++
      this.note('warn', why, REFUSAL_TEXT[why], { peer: addr, maxConnections: this.o.maxConnections })
      return false
    }
    const release = this.guard.opened(addr)
    this.raw.add(s)
    s.once('close', () => {
      this.raw.delete(s)
      release()
    })
    return true
  }

  /** Closes connections past their idle limit or too slow to finish a frame (see the header). */
  private sweep(): void {
    const now = this.o.clock.monotonic()
    const idle = this.o.idleTimeoutMs
    const slow = this.o.frameTimeoutMs ?? 0
    for (const c of this.conns) {
      if (c.closing || c.budgetPausedAt !== null) continue
      if (slow > 0 && c.frameStartedAt !== null && now - c.frameStartedAt > slow) {
        this.counters.frameTimeouts++
        this.note('info', 'slow', 'frame not completed within frameTimeoutSeconds; closing the connection', { peer: c.info.peer, pendingBytes: c.framer.pendingBytes })
        c.socket.destroy()
      } else if (idle > 0 && !c.busy && c.queue.length === 0 && now - c.lastFrameAt > idle) {
        this.counters.idleTimeouts++
        this.note('info', 'idle', 'idle timeout; closing the connection', { peer: c.info.peer, pendingBytes: c.framer.pendingBytes })
        c.socket.destroy()
      }
    }
  }

  /** Re-charges what this connection holds to the shared budget. */
  private account(c: Conn): void {
    const held = c.framer.pendingBytes + c.queuedBytes
    const delta = held - c.accounted
    c.accounted = held
    this.o.budget?.change(delta)
  }

  /** Reads or not, from the queue's length, the budget and the connection's state. */
  private flow(c: Conn): void {
    if (c.closing || c.socket.destroyed) return
    const hold = c.failed || c.queuePaused || c.budgetPausedAt !== null
    if (hold && !c.socket.isPaused()) c.socket.pause()
    else if (!hold && c.socket.isPaused()) c.socket.resume()
  }

  /** Closes a connection whose address spent its refused-input budget (after the reply written). */
  private closeOverBudget(c: Conn): void {
    if (c.closing) return
    c.closing = true
    c.queue.length = 0
    this.counters.refusedInputClosed++
    this.note('warn', 'budget', 'too much refused input from this address; closing the connection', { peer: c.info.peer })
    c.socket.end()
    const t = setTimeout(() => c.socket.destroy(), 2000)
    t.unref()
  }

  private onSecure(s: tls.TLSSocket): void {
    const t = this.o.tls
    if (t && t.clientCertFingerprints.length > 0) {
      const fp = normaliseFingerprint(s.getPeerCertificate()?.fingerprint256 ?? '')
      if (!fp || !t.clientCertFingerprints.includes(fp)) {
        this.counters.tlsFailures++
        this.note('warn', 'tls', 'TLS client certificate not pinned; connection closed', { peer: normaliseAddress(s.remoteAddress) })
        s.destroy()
        return
      }
    }
    this.attach(s)
  }

  private attach(socket: net.Socket): void {
    const remoteAddress = normaliseAddress(socket.remoteAddress)
    const info: ConnectionInfo = { id: this.nextId++, peer: `${remoteAddress}:${socket.remotePort ?? ''}`, remoteAddress, since: this.o.clock.now(), frames: 0 }
    const budget = this.o.budget
    let overBudget = false
    const conn: Conn = {
      info,
      socket,
      queue: [],
      busy: false,
      ended: false,
      closing: false,
      lastFrameAt: this.o.clock.monotonic(),
      frameStartedAt: null,
      queuedBytes: 0,
      accounted: 0,
      queuePaused: false,
      budgetPausedAt: null,
      failed: false,
      reader: {
        get partialBytes() {
          return conn.framer.pendingBytes
        },
        get queuedBytes() {
          return conn.queuedBytes
        },
        pauseReading: () => {
          if (conn.budgetPausedAt === null) {
            conn.budgetPausedAt = this.o.clock.monotonic()
            this.counters.backPressurePauses++
          }
          this.flow(conn)
        },
        resumeReading: () => {
          if (conn.budgetPausedAt === null) return
          // Time we kept the peer waiting is not the peer's slowness.
          const waited = this.o.clock.monotonic() - conn.budgetPausedAt
          conn.budgetPausedAt = null
          conn.lastFrameAt += waited
          if (conn.frameStartedAt !== null) conn.frameStartedAt += waited
          this.flow(conn)
        },
      },
      framer: new MllpFramer({
        maxFrameBytes: this.o.maxFrameBytes,
        onFrame: (payload) => {
          conn.frameStartedAt = null
          conn.lastFrameAt = this.o.clock.monotonic()
          this.enqueue(conn, { kind: 'frame', payload, bytes: payload.length })
        },
        onDiscard: (n, why) => {
          this.counters.discardedBytes += n
          this.note('info', 'discard', 'bytes outside MLLP frames discarded', { peer: info.peer, bytes: n, why })
          if (!this.guard.chargeRefused(remoteAddress, 0, n)) overBudget = true
        },
        onError: (error, head) => {
          this.counters.oversizedFrames++
          this.note('warn', 'oversize', 'MLLP frame too large; rejecting and closing the connection', { peer: info.peer, maxFrameBytes: this.o.maxFrameBytes })
          conn.failed = true
          conn.frameStartedAt = null
          socket.pause()
          this.enqueue(conn, { kind: 'oversize', head, error })
        },
      }),
    }
    this.conns.add(conn)
    budget?.add(conn.reader)
    this.counters.connectionsAccepted++
    this.note('info', 'connected', 'peer connected', { peer: info.peer, connections: this.conns.size })
    socket.setNoDelay(true)
    socket.setKeepAlive(true, this.o.keepAliveMs ?? 60_000)
    socket.on('data', (chunk: Buffer) => {
      if (conn.closing) return
      conn.framer.push(chunk)
      if (conn.framer.inFrame && conn.frameStartedAt === null) conn.frameStartedAt = this.o.clock.monotonic()
      this.account(conn)
      if (overBudget) this.closeOverBudget(conn)
    })
    socket.on('end', () => {
      conn.ended = true
      if (conn.framer.pendingBytes > 0) {
        this.counters.incompleteFrames++
        this.note('info', 'incomplete', 'peer closed in the middle of a frame; the partial frame is dropped', { peer: info.peer, bytes: conn.framer.pendingBytes })
      }
      if (!conn.busy && conn.queue.length === 0) socket.end()
    })
    socket.on('error', (e: NodeJS.ErrnoException) => this.log.debug('connection error', { peer: info.peer, code: e.code ?? 'error' }))
    socket.on('close', () => {
      conn.closing = true
      for (const item of conn.queue.splice(0)) if (item.kind === 'frame') conn.queuedBytes -= item.bytes
      conn.framer.reset()
      conn.frameStartedAt = null
      this.conns.delete(conn)
      this.account(conn)
      budget?.remove(conn.reader)
      this.note('info', 'disconnected', 'peer disconnected', { peer: info.peer, frames: info.frames, connections: this.conns.size })
    })
  }

  private enqueue(conn: Conn, item: Item): void {
    if (conn.closing) return
    conn.queue.push(item)
    if (item.kind === 'frame') conn.queuedBytes += item.bytes
    if (conn.queue.length >= PAUSE_AT) {
      conn.queuePaused = true
      this.flow(conn)
    }
    if (!conn.busy) void this.pump(conn)
  }

  private async pump(conn: Conn): Promise<void> {
    conn.busy = true
    const { socket } = conn
    try {
      while (conn.queue.length > 0 && !conn.closing) {
        const item = conn.queue.shift() as Item
        if (item.kind === 'oversize') {
          let reply: Buffer | null = null
          try {
            reply = this.o.onOversize(item.head, conn.info, item.error)
          } catch {
            reply = null
          }
          conn.closing = true
          conn.queue.length = 0
          if (reply && !socket.destroyed) socket.end(frameMessage(reply))
          else socket.end()
          const t = setTimeout(() => socket.destroy(), 2000)
          t.unref()
          return
        }
        if (conn.queuePaused && conn.queue.length <= RESUME_AT) {
          conn.queuePaused = false
          this.flow(conn)
        }
        conn.info.frames++
        this.counters.frames++
        let reply: Buffer | Buffer[] | null
        try {
          reply = await this.o.onFrame(item.payload, conn.info)
        } catch (e) {
          // The handler answers failures itself; reaching here is a bug. Close rather than stay silent.
          this.log.error('frame handler failed; closing the connection', { peer: conn.info.peer, code: isAppError(e) ? e.code : 'internal' })
          socket.destroy()
          return
        } finally {
          // Released once handled (stored or refused): the payload is no longer ours to hold.
          conn.queuedBytes -= item.bytes
          this.account(conn)
        }
        conn.lastFrameAt = this.o.clock.monotonic()
        if (reply && !socket.destroyed && socket.writable) for (const r of Array.isArray(reply) ? reply : [reply]) socket.write(frameMessage(r))
        if (this.guard.overBudget(conn.info.remoteAddress)) this.closeOverBudget(conn)
      }
    } finally {
      conn.busy = false
      this.flow(conn)
      if ((conn.ended || conn.closing) && conn.queue.length === 0 && !socket.destroyed) socket.end()
    }
  }
}
