/**
 * One MLLP server socket (plain TCP or TLS 1.2+, optionally mutual TLS with certificate pinning).
 * Per connection: a framer (partial frames, several frames per chunk, garbage between frames,
 * hard size cap), frames handled strictly in order with one in flight (MLLP is synchronous; later
 * frames of the same socket queue, and the socket is paused when the queue grows), half-close
 * (the ACKs of frames already received are still written), an idle timeout plus TCP keepalive,
 * an allow-list of peer addresses and a connection cap. Logs peers, counts and codes, never bytes.
 */
import net from 'node:net'
import tls from 'node:tls'
import { AppError, isAppError } from '../../../../shared/errors'
import type { Clock } from '../../core/clock'
import type { Logger } from '../../core/logger'
import { frameMessage, MllpFramer } from '../hl7'

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
  /** 0 = never. */
  idleTimeoutMs: number
  maxConnections: number
  keepAliveMs?: number
  /** Handles one complete frame; resolves with the reply payload (unframed) or null for none. */
  onFrame(payload: Buffer, conn: ConnectionInfo): Promise<Buffer | null>
  /** The reply to an oversized frame (built from its first bytes), or null. */
  onOversize(head: Buffer, conn: ConnectionInfo, error: AppError): Buffer | null
  clock: Clock
  logger: Logger
}

export interface ListenerCounters {
  connectionsAccepted: number
  connectionsRefused: number
  tlsFailures: number
  frames: number
  oversizedFrames: number
  discardedBytes: number
  idleTimeouts: number
  incompleteFrames: number
}

type Item = { kind: 'frame'; payload: Buffer } | { kind: 'oversize'; head: Buffer; error: AppError }

interface Conn {
  info: ConnectionInfo
  socket: net.Socket
  framer: MllpFramer
  queue: Item[]
  busy: boolean
  ended: boolean
  closing: boolean
}

const PAUSE_AT = 32
const RESUME_AT = 8

function normaliseAddress(a: string | undefined): string {
  if (!a) return ''
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a
}

export function normaliseFingerprint(f: string): string {
  return f.replace(/:/g, '').toUpperCase()
}

/** An allow-list of IPs and CIDR ranges (IPv4 and IPv6); throws on an entry that is neither. */
export function buildAllowList(entries: readonly string[]): net.BlockList | null {
  if (entries.length === 0) return null
  const list = new net.BlockList()
  for (const raw of entries) {
    const e = raw.trim()
    const [addr, bits] = e.split('/')
    const type = net.isIPv4(addr ?? '') ? 'ipv4' : net.isIPv6(addr ?? '') ? 'ipv6' : null
    if (!type || !addr) throw new AppError('config_invalid', `allowedPeers: "${e.slice(0, 60)}" is not an IP address or CIDR range`)
    if (bits === undefined) list.addAddress(addr, type)
    else {
      const n = Number(bits)
      if (!Number.isInteger(n) || n < 0 || n > (type === 'ipv4' ? 32 : 128)) throw new AppError('config_invalid', `allowedPeers: "${e.slice(0, 60)}" has an invalid prefix length`)
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
  private readonly allow: net.BlockList | null
  private readonly log: Logger
  private bound: { host: string; port: number } | null = null
  readonly counters: ListenerCounters = { connectionsAccepted: 0, connectionsRefused: 0, tlsFailures: 0, frames: 0, oversizedFrames: 0, discardedBytes: 0, idleTimeouts: 0, incompleteFrames: 0 }

  constructor(private readonly o: MllpListenerOptions) {
    this.allow = buildAllowList(o.allowedPeers)
    this.log = o.logger
  }

  get address(): { host: string; port: number } | null {
    return this.bound
  }

  get connectionCount(): number {
    return this.conns.size
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
        if (!this.admit(raw)) {
          raw.destroy()
          return
        }
        this.track(raw)
      })
      server.on('secureConnection', (s: tls.TLSSocket) => this.onSecure(s))
      server.on('tlsClientError', (e: Error & { code?: string }, s: tls.TLSSocket) => {
        this.counters.tlsFailures++
        this.log.warn('TLS handshake refused', { peer: `${normaliseAddress(s.remoteAddress)}:${s.remotePort ?? ''}`, code: e.code ?? 'tls_error' })
        s.destroy()
      })
    } else {
      server.on('connection', (s: net.Socket) => {
        if (!this.admit(s)) {
          s.destroy()
          return
        }
        this.track(s)
        this.attach(s)
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
    return this.bound
  }

  /** Stops listening, lets frames being processed finish briefly, then closes every connection. */
  async stop(graceMs = 1000): Promise<void> {
    const server = this.server
    this.server = null
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

  private track(s: net.Socket): void {
    this.raw.add(s)
    s.once('close', () => this.raw.delete(s))
  }

  private admit(s: net.Socket): boolean {
    const addr = normaliseAddress(s.remoteAddress)
    if (this.allow) {
      const type = net.isIPv6(addr) ? 'ipv6' : 'ipv4'
      if (!this.allow.check(addr, type)) {
        this.counters.connectionsRefused++
        this.log.warn('connection refused: peer not in allowedPeers', { peer: addr })
        return false
      }
    }
    if (this.conns.size >= this.o.maxConnections) {
      this.counters.connectionsRefused++
      this.log.warn('connection refused: maxConnections reached', { peer: addr, maxConnections: this.o.maxConnections })
      return false
    }
    return true
  }

  private onSecure(s: tls.TLSSocket): void {
    const t = this.o.tls
    if (t && t.clientCertFingerprints.length > 0) {
      const fp = normaliseFingerprint(s.getPeerCertificate()?.fingerprint256 ?? '')
      if (!fp || !t.clientCertFingerprints.includes(fp)) {
        this.counters.tlsFailures++
        this.log.warn('TLS client certificate not pinned; connection closed', { peer: normaliseAddress(s.remoteAddress) })
        s.destroy()
        return
      }
    }
    // The cap is checked again: handshakes may have been in flight together.
    if (this.conns.size >= this.o.maxConnections) {
      this.counters.connectionsRefused++
      this.log.warn('connection refused: maxConnections reached', { peer: normaliseAddress(s.remoteAddress), maxConnections: this.o.maxConnections })
      s.destroy()
      return
    }
    this.attach(s)
  }

  private attach(socket: net.Socket): void {
    const remoteAddress = normaliseAddress(socket.remoteAddress)
    const info: ConnectionInfo = { id: this.nextId++, peer: `${remoteAddress}:${socket.remotePort ?? ''}`, remoteAddress, since: this.o.clock.now(), frames: 0 }
    const conn: Conn = {
      info,
      socket,
      queue: [],
      busy: false,
      ended: false,
      closing: false,
      framer: new MllpFramer({
        maxFrameBytes: this.o.maxFrameBytes,
        onFrame: (payload) => this.enqueue(conn, { kind: 'frame', payload }),
        onDiscard: (n, why) => {
          this.counters.discardedBytes += n
          this.log.info('bytes outside MLLP frames discarded', { peer: info.peer, bytes: n, why })
        },
        onError: (error, head) => {
          this.counters.oversizedFrames++
          this.log.warn('MLLP frame too large; rejecting and closing the connection', { peer: info.peer, maxFrameBytes: this.o.maxFrameBytes })
          socket.pause()
          this.enqueue(conn, { kind: 'oversize', head, error })
        },
      }),
    }
    this.conns.add(conn)
    this.counters.connectionsAccepted++
    this.log.info('peer connected', { peer: info.peer, connections: this.conns.size })
    socket.setNoDelay(true)
    socket.setKeepAlive(true, this.o.keepAliveMs ?? 60_000)
    if (this.o.idleTimeoutMs > 0) socket.setTimeout(this.o.idleTimeoutMs)
    socket.on('data', (chunk: Buffer) => {
      if (!conn.closing) conn.framer.push(chunk)
    })
    socket.on('end', () => {
      conn.ended = true
      if (conn.framer.pendingBytes > 0) {
        this.counters.incompleteFrames++
        this.log.info('peer closed in the middle of a frame; the partial frame is dropped', { peer: info.peer, bytes: conn.framer.pendingBytes })
      }
      if (!conn.busy && conn.queue.length === 0) socket.end()
    })
    socket.on('timeout', () => {
      if (conn.busy) {
        // Waiting on our own processing is not the peer being idle.
        socket.setTimeout(this.o.idleTimeoutMs)
        return
      }
      this.counters.idleTimeouts++
      this.log.info('idle timeout; closing the connection', { peer: info.peer, pendingBytes: conn.framer.pendingBytes })
      socket.destroy()
    })
    socket.on('error', (e: NodeJS.ErrnoException) => this.log.debug('connection error', { peer: info.peer, code: e.code ?? 'error' }))
    socket.on('close', () => {
      conn.closing = true
      conn.queue.length = 0
      this.conns.delete(conn)
      this.log.info('peer disconnected', { peer: info.peer, frames: info.frames, connections: this.conns.size })
    })
  }

  private enqueue(conn: Conn, item: Item): void {
    if (conn.closing) return
    conn.queue.push(item)
    if (conn.queue.length >= PAUSE_AT) conn.socket.pause()
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
        if (conn.queue.length <= RESUME_AT && socket.isPaused() && !conn.closing) socket.resume()
        conn.info.frames++
        this.counters.frames++
        let reply: Buffer | null
        try {
          reply = await this.o.onFrame(item.payload, conn.info)
        } catch (e) {
          // The handler answers failures itself; reaching here is a bug. Close rather than stay silent.
          this.log.error('frame handler failed; closing the connection', { peer: conn.info.peer, code: isAppError(e) ? e.code : 'internal' })
          socket.destroy()
          return
        }
        if (reply && !socket.destroyed && socket.writable) socket.write(frameMessage(reply))
      }
    } finally {
      conn.busy = false
      if (!conn.closing && socket.isPaused() && conn.queue.length === 0) socket.resume()
      if ((conn.ended || conn.closing) && conn.queue.length === 0 && !socket.destroyed) socket.end()
    }
  }
}
