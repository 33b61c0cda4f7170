/**
 * One outbound MLLP connection (plain TCP or TLS) with one message in flight. Each send waits
 * for the ACK frame and accepts it only if MSA-2 equals the control id just sent; on a mismatch,
 * a response timeout, an unreadable ACK or unsolicited data the socket is destroyed, so a late
 * ACK can never complete a later message (MLLP-07, Mirth #1441). A kept-open connection the peer
 * has closed is detected before reuse and replaced. Retries, backoff and queueing live above this
 * class, on the durable store.
 */
import net from 'node:net'
import tls from 'node:tls'
import { AppError, isAppError } from '../../../../shared/errors'
import type { Clock } from '../../core/clock'
import type { Logger } from '../../core/logger'
import { parseAck, type ParsedAck } from './ack-parser'
import { decodeHl7Bytes } from './charset'
import { DEFAULT_MAX_FRAME_BYTES, frameMessage, MllpFramer } from './mllp-framer'

export interface MllpTlsOptions {
  /** Trusted CA certificate(s) in PEM; default: the system store. */
  ca?: string | Buffer | (string | Buffer)[]
  /** Client certificate and key for mutual TLS. */
  cert?: string | Buffer
  key?: string | Buffer
  /** SNI and certificate host name; default the host. */
  servername?: string
  /** Certificate validation is on unless explicitly disabled (tests only). */
  rejectUnauthorized?: boolean
}

export interface MllpSenderOptions {
  host: string
  port: number
  /** MLLP over TLS (TLS 1.2+); no automatic fallback to plaintext. */
  tls?: MllpTlsOptions
  connectTimeoutMs?: number
  /** Time allowed for the ACK after the message is written (MLLP-08 proposes 30 s). */
  responseTimeoutMs?: number
  maxFrameBytes?: number
  keepAliveInitialDelayMs?: number
  /** Charset for ACKs whose MSH-18 is empty. */
  defaultCharset?: string
  clock: Clock
  logger: Logger
}

interface Pending {
  onFrame(payload: Buffer): void
  onFail(error: AppError): void
}

interface Connection {
  socket: net.Socket
  framer: MllpFramer
  /** The peer sent FIN or the socket closed/errored: never write to it again. */
  dead: boolean
  pending?: Pending
  bytesSinceSend: number
}

/** Marks the one failure that is safe to repeat on a fresh connection: a reused socket closed with no reply. */
const CLOSED_WITHOUT_RESPONSE = 'closed_without_response'

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_)/

export function mapSocketError(e: unknown, peer: string): AppError {
  if (isAppError(e)) return e
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? ''
  const details = { peer, errno: code || undefined }
  switch (code) {
    case 'ECONNREFUSED':
      return new AppError('connection_refused', `Connection refused by ${peer}`, { details })
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
    case 'ERR_STREAM_DESTROYED':
      return new AppError('connection_reset', `Connection to ${peer} was reset`, { details })
    case 'ETIMEDOUT':
      return new AppError('timeout', `Connection to ${peer} timed out`, { details })
    default:
      if (TLS_CODES.test(code) || /ssl|tls|certificate/i.test((e as Error | undefined)?.message ?? '')) {
        return new AppError('tls_error', `TLS handshake with ${peer} failed`, { details })
      }
      return new AppError('network_error', `Network error talking to ${peer}`, { details })
  }
}

export class MllpSender {
  private conn: Connection | undefined
  private inFlight = false
  private closed = false
  private readonly peer: string
  private readonly log: Logger

  constructor(private readonly opts: MllpSenderOptions) {
    this.peer = `${opts.host}:${opts.port}`
    this.log = opts.logger.child({ component: 'mllp-sender', peer: this.peer })
  }

  /** True while a connection is open and the peer has not closed its side. */
  get connected(): boolean {
    return this.conn !== undefined && !this.conn.dead
  }

  /** True while a message has been sent and its ACK (or failure) has not come back. */
  get busy(): boolean {
    return this.inFlight
  }

  /** Opens the connection ahead of the first send (optional). */
  async connect(): Promise<void> {
    if (this.closed) throw new AppError('conflict', 'The MLLP sender is closed')
    if (!this.usable()) this.conn = await this.open()
  }

  /**
   * Sends one framed message and resolves with the peer's AA/CA. AE/CE reject with `ack_error`,
   * AR/CR with `ack_reject` (the parsed ACK, with the peer's MSA-3/ERR text, is in `details.ack`).
   */
  async send(payload: Buffer, controlId: string): Promise<ParsedAck> {
    if (this.closed) throw new AppError('conflict', 'The MLLP sender is closed')
    if (this.inFlight) throw new AppError('conflict', 'A message is already in flight on this MLLP connection', { retryable: true })
    // Without a control id no ACK could be told apart from a stale one.
    if (controlId === '') throw new AppError('invalid_input', 'A message needs an MSH-10 control id to be sent over MLLP')
    const frame = frameMessage(payload)
    this.inFlight = true
    try {
      let conn = this.usable()
      const reused = conn !== undefined
      if (!conn) conn = this.conn = await this.open()
      try {
        return await this.exchange(conn, frame, controlId)
      } catch (e) {
        // The peer closed an idle kept-open socket just as we wrote (Mirth #1889): nothing came
        // back, so resend once on a fresh connection. The receiver deduplicates if it got it.
        if (reused && isAppError(e) && (e.details as { reason?: string } | undefined)?.reason === CLOSED_WITHOUT_RESPONSE && !this.closed) {
          this.log.info('reconnecting after the peer closed a reused connection', { controlId })
          conn = this.conn = await this.open()
          return await this.exchange(conn, frame, controlId)
        }
        throw e
      }
    } finally {
      this.inFlight = false
    }
  }

  /** Closes the connection; a send in flight fails with `connection_reset`. */
  async close(): Promise<void> {
    this.closed = true
    const c = this.conn
    this.conn = undefined
    if (!c) return
    c.pending?.onFail(new AppError('connection_reset', 'The MLLP sender was closed', { details: { peer: this.peer } }))
    if (c.socket.destroyed) return
    await new Promise<void>((resolve) => {
      const ac = new AbortController()
      c.socket.once('close', () => {
        ac.abort()
        resolve()
      })
      c.socket.end()
      this.opts.clock.sleep(1000, ac.signal).then(
        () => {
          c.socket.destroy()
          resolve()
        },
        () => undefined,
      )
    })
  }

  /** The current connection if it can carry another message; a dead one is discarded. */
  private usable(): Connection | undefined {
    const c = this.conn
    if (!c) return undefined
    if (c.dead || c.socket.destroyed || !c.socket.writable || c.socket.readableEnded) {
      this.log.debug('discarding a connection the peer closed', {})
      this.destroy(c)
      return undefined
    }
    return c
  }

  private destroy(c: Connection): void {
    c.dead = true
    if (!c.socket.destroyed) c.socket.destroy()
    if (this.conn === c) this.conn = undefined
  }

  private open(): Promise<Connection> {
    const { host, port, clock } = this.opts
    const timeoutMs = this.opts.connectTimeoutMs ?? 10_000
    return new Promise<Connection>((resolve, reject) => {
      const ac = new AbortController()
      const t = this.opts.tls
      const socket: net.Socket = t
        ? tls.connect({
            host,
            port,
            ...(t.ca !== undefined ? { ca: t.ca } : {}),
            ...(t.cert !== undefined ? { cert: t.cert } : {}),
            ...(t.key !== undefined ? { key: t.key } : {}),
            servername: t.servername ?? (net.isIP(host) ? undefined : host),
            rejectUnauthorized: t.rejectUnauthorized ?? true,
            minVersion: 'TLSv1.2',
          })
        : net.connect({ host, port })
      const connectEvent = t ? 'secureConnect' : 'connect'
      let settled = false
      const finish = (err?: AppError): void => {
        if (settled) return
        settled = true
        ac.abort()
        socket.removeListener(connectEvent, onConnect)
        socket.removeListener('error', onError)
        if (err) {
          // An abandoned socket may still report an error; with no listener that would crash the process.
          socket.on('error', () => undefined)
          socket.destroy()
          this.log.warn('mllp connect failed', { code: err.code })
          reject(err)
          return
        }
        resolve(this.attach(socket))
      }
      const onConnect = (): void => finish()
      const onError = (e: unknown): void => finish(mapSocketError(e, this.peer))
      socket.once(connectEvent, onConnect)
      socket.once('error', onError)
      clock.sleep(timeoutMs, ac.signal).then(
        () => finish(new AppError('timeout', `Connecting to ${this.peer} timed out after ${timeoutMs} ms`, { details: { peer: this.peer, phase: 'connect' } })),
        () => undefined,
      )
    })
  }

  private attach(socket: net.Socket): Connection {
    socket.setNoDelay(true)
    socket.setKeepAlive(true, this.opts.keepAliveInitialDelayMs ?? 60_000)
    const conn: Connection = {
      socket,
      dead: false,
      bytesSinceSend: 0,
      framer: new MllpFramer({
        maxFrameBytes: this.opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
        onFrame: (payload) => {
          const p = conn.pending
          if (p) {
            conn.pending = undefined
            p.onFrame(payload)
            return
          }
          // Nothing is waiting: a duplicate or late ACK. The stream can no longer be trusted.
          this.log.warn('unsolicited frame on an idle MLLP connection; closing it', { bytes: payload.length })
          this.destroy(conn)
        },
        onDiscard: (count, why) => this.log.warn('bytes outside MLLP frames discarded', { bytes: count, why }),
        onError: (err) => {
          this.log.warn('mllp response frame too large; closing', { code: err.code })
          conn.pending?.onFail(err)
          conn.pending = undefined
          this.destroy(conn)
        },
      }),
    }
    this.log.debug('mllp connected', { tls: this.opts.tls !== undefined })
    socket.on('data', (chunk: Buffer) => {
      conn.bytesSinceSend += chunk.length
      conn.framer.push(chunk)
    })
    const lost = (err: AppError): void => {
      conn.dead = true
      const p = conn.pending
      conn.pending = undefined
      p?.onFail(err)
    }
    socket.on('end', () => {
      // The peer half-closed: it will not answer on this socket. Close our side too.
      lost(this.closedError(conn))
      this.destroy(conn)
    })
    socket.on('error', (e) => lost(mapSocketError(e, this.peer)))
    socket.on('close', () => lost(this.closedError(conn)))
    return conn
  }

  private closedError(conn: Connection): AppError {
    const noResponse = conn.bytesSinceSend === 0
    return new AppError('connection_reset', `${this.peer} closed the connection before acknowledging`, {
      details: { peer: this.peer, ...(noResponse ? { reason: CLOSED_WITHOUT_RESPONSE } : {}) },
    })
  }

  private exchange(conn: Connection, frame: Buffer, controlId: string): Promise<ParsedAck> {
    const timeoutMs = this.opts.responseTimeoutMs ?? 30_000
    return new Promise<ParsedAck>((resolve, reject) => {
      const ac = new AbortController()
      let done = false
      const fail = (err: AppError, destroy: boolean): void => {
        if (done) return
        done = true
        ac.abort()
        conn.pending = undefined
        if (destroy) this.destroy(conn)
        reject(err)
      }
      conn.bytesSinceSend = 0
      conn.pending = {
        onFrame: (payload) => {
          if (done) return
          let ack: ParsedAck
          try {
            const text = decodeHl7Bytes(payload, this.opts.defaultCharset ? { defaultCharset: this.opts.defaultCharset } : {})
            ack = { ...parseAck(text), raw: text }
          } catch (e) {
            this.log.warn('unreadable acknowledgment; closing the connection', { controlId, code: isAppError(e) ? e.code : 'internal' })
            // Delivery is unknown, so the caller may retry; the receiver deduplicates.
            fail(
              new AppError('parse_error', `${this.peer} answered with an unreadable acknowledgment`, {
                retryable: true,
                details: { peer: this.peer, reason: 'invalid_ack', ...(isAppError(e) ? { cause: e.toData() } : {}) },
              }),
              true,
            )
            return
          }
          if (ack.controlId !== controlId) {
            this.log.warn('acknowledgment for another message; closing the connection', { controlId, ackFor: ack.controlId })
            fail(
              new AppError('ack_mismatch', `${this.peer} acknowledged control id "${ack.controlId}" instead of "${controlId}"`, {
                retryable: true,
                details: { peer: this.peer, expected: controlId, received: ack.controlId },
              }),
              true,
            )
            return
          }
          done = true
          ac.abort()
          if (ack.accepted) {
            resolve(ack)
            return
          }
          const reject_ = ack.code === 'AR' || ack.code === 'CR'
          this.log.info('message not accepted by peer', { controlId, ackCode: ack.code })
          reject(
            new AppError(reject_ ? 'ack_reject' : 'ack_error', `${this.peer} answered ${ack.code} for control id "${controlId}"`, {
              details: { peer: this.peer, ack },
            }),
          )
        },
        onFail: (err) => fail(err, true),
      }
      this.opts.clock.sleep(timeoutMs, ac.signal).then(
        () => {
          this.log.warn('no acknowledgment within the response timeout; closing the connection', { controlId, timeoutMs })
          fail(new AppError('timeout', `No acknowledgment from ${this.peer} within ${timeoutMs} ms`, { details: { peer: this.peer, phase: 'response', timeoutMs } }), true)
        },
        () => undefined,
      )
      conn.socket.write(frame, (err) => {
        if (err) fail(mapSocketError(err, this.peer), true)
      })
    })
  }
}
