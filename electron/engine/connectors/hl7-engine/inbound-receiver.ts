/**
 * What happens to one received frame, before any processing: decode (MSH-18 or the interface's
 * default charset; the raw bytes are what is stored), parse, decide the ACK, commit the raw
 * message as a transaction (group commit, synchronous=FULL) and only then answer.
 *
 * - commit mode (default): AA, or CA in enhanced mode when MSH-15 asks for it, built before the
 *   commit (its content does not depend on processing) and stored with the row, so a duplicate
 *   (same MSH-3, MSH-4, MSH-10 on this interface) gets the original ACK byte for byte and creates
 *   nothing.
 * - application mode (original-mode messages): the ACK waits for processing and reflects it
 *   (AA done or filtered, AE with the error text); enhanced-mode messages still get CA on commit.
 * - malformed or refused input (no MSH, bad MSH-2, unparseable, unsupported charset) is stored in
 *   the error queue with its raw bytes and answered AR/CR (or AE) with a specific text.
 * - a well-formed message of a type the interface does not process follows its `unsupportedTypes`
 *   policy: `ignore` takes it like any other (AA, stored; processing files it as `filtered`),
 *   `reject` answers AR/CR and stores it in the error queue.
 * - if the commit fails (disk full, locked, I/O error) the answer is AE/CE: never AA/CA.
 * - a frame holding a batch (FHS/BHS … BTS/FTS, or several MSH back to back) is split: each
 *   message is stored, deduplicated and acknowledged as if it had come alone, in order (in
 *   application mode every member is stored first, then each ACK waits for its outcome); the reply
 *   is a batch ACK (BHS, the ACKs, BTS) when the frame was a BHS/FHS batch, else the ACKs back to
 *   back in one frame; with `batchAcks: per-message`, each member's ACK in a frame of its own, in
 *   order. A member's stored bytes are its segments joined by CR in the frame's charset.
 */
import { createHash } from 'node:crypto'
import { AppError, isAppError, toErrorData } from '../../../../shared/errors'
import type { Clock } from '../../core/clock'
import { rateLimitedLog, type Logger, type RateLimitedLog } from '../../core/logger'
import type { Pipeline } from '../../pipeline/pipeline'
import {
  ackErrorFor,
  ackPolicy,
  ackRequired,
  buildAck,
  buildAckBatch,
  buildRejectAck,
  charsetForBytes,
  decodeWith,
  encodeHl7Text,
  parseHl7,
  parseHl7Batch,
  peekHl7Charset,
  type AckPolicy,
  type Hl7Message,
} from '../hl7'
import type { IngestGate } from './ingest-gate'
import type { InboundInterface } from './interfaces'
import { interfaceAccepts, isSupportedCode, SUPPORTED_SUMMARY, supportedType } from './message-types'

export interface ReceiverCounters {
  received: number
  accepted: number
  duplicates: number
  rejected: number
  storeFailures: number
  /** Refused frames answered but not stored: their address had spent its refused-input budget. */
  refusedNotStored: number
  lastReceivedAt: number | null
}

/** What the listener knows about the sending address (peer-guard.ts). */
export interface PeerPolicy {
  /** Charges one refused frame of `bytes`; false when the address's budget is spent (do not store). */
  mayStoreRefused(address: string, bytes: number): boolean
  /** The address delivered an accepted message. */
  accepted(address: string): void
}

export interface ReceiverDeps {
  pipeline: Pipeline
  clock: Clock
  logger: Logger
  practiceId: string
  iface: InboundInterface
  /** Longest an application-mode ACK waits for processing; default 60 s. */
  applicationAckTimeoutMs?: number
  /** Groups frames of several connections into one commit (see ingest-gate.ts). */
  gate?: IngestGate
  peers?: PeerPolicy
}

const CONNECTOR = 'hl7'

/**
 * Longest MSH-10 (message control id) taken. MSH-10 is an ST of at most 20 characters in v2.5 and
 * 199 from v2.7 on; senders that outgrew 20 (GUIDs, 36) exist, so the later limit is the cap. A
 * longer id cannot come from a conformant sender, and accepting it would store and index it at full
 * length (the probe sent 11 MB ids) in control_id and the dedup key. So it is refused (AR naming
 * MSH-10, stored in the error queue under the refused-input budget, its id cut to this length) and
 * every accepted message's id is whole: dedup stays exact, with no hash or truncation to collide.
 */
export const MAX_CONTROL_ID_LENGTH = 199

/** Keys up to this length are stored as they are (readable in the database); longer ones are hashed. */
const MAX_PLAIN_DEDUP_KEY = 512

/**
 * MSH-3|MSH-4|MSH-10, the duplicate key. MSH-10 is capped above, but MSH-3 and MSH-4 are not
 * length-checked, and a sender could make every stored key (and its unique index) megabytes long:
 * a long key is replaced by its SHA-256, which keeps duplicate detection exact.
 */
export function duplicateKey(sendingApp: string, sendingFacility: string, controlId: string): string {
  const key = `${sendingApp}|${sendingFacility}|${controlId}`
  return key.length <= MAX_PLAIN_DEDUP_KEY ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`
}

/** A control id as stored for a refused frame: cut to MAX_CONTROL_ID_LENGTH with a marker saying how much is missing. */
export function capControlId(id: string): string {
  return id.length <= MAX_CONTROL_ID_LENGTH ? id : `${id.slice(0, MAX_CONTROL_ID_LENGTH)}…[+${id.length - MAX_CONTROL_ID_LENGTH} chars]`
}

export class InboundReceiver {
  readonly counters: ReceiverCounters = { received: 0, accepted: 0, duplicates: 0, rejected: 0, storeFailures: 0, refusedNotStored: 0, lastReceivedAt: null }
  private readonly defaultCharset: string
  private readonly types: readonly string[]
  private readonly alwaysAccept: boolean
  /** Lines a sender causes frame by frame (duplicates, refusals) are rate-limited. */
  private readonly note: RateLimitedLog
  private readonly ignoreUnprocessed: boolean

  constructor(private readonly d: ReceiverDeps) {
    this.defaultCharset = d.iface.config.defaultCharset
    this.types = d.iface.config.messageTypes
    this.alwaysAccept = d.iface.config.acceptAcks === 'always'
    this.note = rateLimitedLog(d.logger, () => d.clock.monotonic(), { duplicate: 20, refused: 20, unparseable: 20 })
    this.ignoreUnprocessed = d.iface.config.unsupportedTypes !== 'reject'
  }

  /** Whether an enhanced-mode accept ACK goes out for this outcome (MSH-15, unless configured to always answer). */
  private acceptWanted(policy: AckPolicy, success: boolean): boolean {
    return this.alwaysAccept || ackRequired(policy.accept, success)
  }

  /**
   * The reply to one frame (unframed, encoded), or null when the sender asked for none; a batch
   * answered per message (`batchAcks: per-message`) gives one reply per member, each to be framed
   * on its own. `address`: the peer's IP, without the port.
   */
  async handle(payload: Buffer, peer: string, address: string = peer): Promise<Buffer | Buffer[] | null> {
    if (holdsBatch(payload)) return this.handleBatch(payload, peer, address)
    return this.handleMessage(payload, peer, address)
  }

  /** A frame of several messages: each handled as if it had come alone, in order (see the file comment). */
  private async handleBatch(payload: Buffer, peer: string, address: string): Promise<Buffer | Buffer[] | null> {
    let batch
    let charsetName: string
    try {
      const { name, charset } = charsetForBytes(payload, { defaultCharset: this.defaultCharset })
      charsetName = name
      batch = parseHl7Batch(decodeWith(payload, charset))
    } catch (e) {
      this.counters.received++
      return this.rejectUnparsed(payload, e, peer, address)
    }
    // Every member is stored first, in order; then the application ACKs (application mode) wait for
    // their outcomes together, so a batch waits for its slowest member, not for the sum of them.
    const admitted: Reply[] = []
    for (const m of batch.messages) admitted.push(await this.admit(encodeHl7Text(m.raw, m.charsetName ?? charsetName), peer, address))
    const replies = (await Promise.all(admitted.map(settle))).filter((r): r is Buffer => r !== null)
    this.d.logger.info('batch split into its messages', { messages: batch.messages.length, peer, envelope: batch.groups.some((g) => g.header) || batch.fileHeader ? 'batch' : 'messages' })
    if (this.d.iface.config.batchAcks === 'per-message') return replies.length > 0 ? replies : null
    if (!batch.fileHeader && !batch.groups.some((g) => g.header)) return replies.length > 0 ? Buffer.concat(replies) : null
    // A batch is answered with a batch: the ACKs (in the batch's charset) under BHS … BTS.
    const acks = replies.map((r) => decodeWith(r, charsetForBytes(r, { defaultCharset: charsetName }).charset))
    return encodeHl7Text(buildAckBatch({ fileHeader: batch.fileHeader, header: batch.groups.find((g) => g.header)?.header }, acks, this.d.clock), charsetName)
  }

  private async handleMessage(payload: Buffer, peer: string, address: string): Promise<Buffer | null> {
    return settle(await this.admit(payload, peer, address))
  }

  /** Stores one message and says how to answer it: now, or (application mode) once it is processed. */
  private async admit(payload: Buffer, peer: string, address: string): Promise<Reply> {
    this.counters.received++
    this.counters.lastReceivedAt = this.d.clock.now()
    let text: string
    let msg: Hl7Message
    let utf8: boolean
    try {
      const { charset } = charsetForBytes(payload, { defaultCharset: this.defaultCharset })
      utf8 = charset.encoding === 'utf-8'
      text = decodeWith(payload, charset)
      msg = parseHl7(text)
    } catch (e) {
      return this.rejectUnparsed(payload, e, peer, address)
    }
    const policy = ackPolicy(msg)
    if (msg.controlId.length > MAX_CONTROL_ID_LENGTH) return this.rejectControlId(payload, text, msg, policy, peer, address)
    const type = supportedType(msg.code, msg.trigger)
    // An ignored type is taken like any other: acknowledged once stored, then filtered by processing.
    // An empty MSH-9 is not well formed: always refused.
    const ignore = this.ignoreUnprocessed && msg.code.trim() !== ''
    if (!ignore && (!type || !interfaceAccepts(this.types, msg.code, msg.trigger))) return this.rejectType(payload, text, msg, policy, peer, address, Boolean(type))

    const controlId = msg.controlId
    const h = msg.header
    const dedupKey = controlId ? duplicateKey(h.field(3), h.field(4), h.field(10)) : null
    const application = this.d.iface.config.ackMode === 'application' && policy.mode === 'original'
    let ack: string | null = null
    if (!application) {
      if (policy.mode === 'original') ack = buildAck(msg, { code: 'AA', clock: this.d.clock })
      else if (this.acceptWanted(policy, true)) ack = buildAck(msg, { code: 'CA', clock: this.d.clock })
    }
    let r
    // The gate groups commits on the main thread; the ingest writer's thread groups them by itself.
    const offThread = !application && this.d.pipeline.acceptsOffThread
    const leave = this.d.gate && !offThread ? await this.d.gate.enter() : null
    try {
      const tx = {
        practiceId: this.d.practiceId,
        connector: CONNECTOR,
        channel: this.d.iface.name,
        direction: 'in',
        messageType: msg.messageType,
        contentType: 'hl7v2',
        raw: payload,
        peer,
        controlId: controlId || null,
        mrn: msg.get('PID-3.1') ?? null,
        dedupKey,
        response: ack,
        // The index reads UTF-8 bytes by itself; other charsets need the decoded text.
        searchText: utf8 ? null : text,
        // Nothing here reads the frame after the commit: the ingest writer may take its memory.
        handOverRaw: !application,
      } as const
      r = application ? await this.d.pipeline.receive(tx) : await this.d.pipeline.accept(tx)
    } catch (e) {
      return this.storeFailed(msg, policy, e, peer)
    } finally {
      leave?.()
    }
    if (r.duplicate) {
      this.counters.duplicates++
      if (dedupKey) this.d.pipeline.noteResent(this.d.practiceId, this.d.iface.name, dedupKey)
      this.note('info', 'duplicate', 'duplicate message; answering with the original acknowledgment', { controlId, messageType: msg.messageType, peer, ...('table' in r && r.table === 'inbox' ? { inbox: r.id } : { tx: r.id }) })
      if (r.response !== null && !application) return encodeHl7Text(r.response, msg.charsetName)
    } else {
      this.counters.accepted++
    }
    this.d.peers?.accepted(address)
    if (application) return () => this.applicationAck(msg, r.id, peer)
    return ack === null ? null : encodeHl7Text(ack, msg.charsetName)
  }

  private async applicationAck(msg: Hl7Message, id: number, peer: string): Promise<Buffer> {
    const timeoutMs = this.d.applicationAckTimeoutMs ?? 60_000
    const ac = new AbortController()
    const timeout = this.d.clock.sleep(timeoutMs, ac.signal).then(
      () => null,
      () => null,
    )
    try {
      const o = await Promise.race([this.d.pipeline.outcome(id), timeout])
      if (o === null) {
        this.d.logger.warn('processing did not finish before the application ACK timeout', { controlId: msg.controlId, tx: id, peer })
        return this.encode(msg, buildAck(msg, { code: 'AE', text: `The message is stored (transaction ${id}) but processing did not finish within ${Math.round(timeoutMs / 1000)} s; it will be processed.`, clock: this.d.clock }))
      }
      if (o.response) return this.encode(msg, o.response)
      if (o.status === 'done' || o.status === 'filtered') return this.encode(msg, buildAck(msg, { code: 'AA', clock: this.d.clock }))
      const err = o.error ?? { code: 'internal', message: 'processing failed', retryable: false }
      return this.encode(msg, buildAck(msg, { code: 'AE', errors: [ackErrorFor(new AppError(err.code, err.message))], text: err.message, clock: this.d.clock }))
    } catch (e) {
      return this.encode(msg, buildAck(msg, { code: 'AE', errors: [ackErrorFor(e)], clock: this.d.clock }))
    } finally {
      ac.abort()
    }
  }

  private encode(msg: Hl7Message, text: string): Buffer {
    return encodeHl7Text(text, msg.charsetName)
  }

  /** Storage refused the message: say so with AE/CE so the sender keeps it and retries. */
  private storeFailed(msg: Hl7Message, policy: AckPolicy, e: unknown, peer: string): Buffer | null {
    this.counters.storeFailures++
    const code = isAppError(e) ? e.code : 'internal'
    this.d.logger.error('message could not be stored; answering with an error acknowledgment', { controlId: msg.controlId, messageType: msg.messageType, peer, code })
    const text = `The message could not be stored (${code}); it was not accepted. Send it again later.`
    const ackCode = policy.mode === 'enhanced' ? 'CE' : 'AE'
    if (policy.mode === 'enhanced' && !this.acceptWanted(policy, false)) return null
    return this.encode(msg, buildAck(msg, { code: ackCode, errors: [{ code: '207', severity: 'E', userMessage: text }], text, clock: this.d.clock }))
  }

  /** Parseable but not something this interface takes: AR (CR in enhanced mode), stored as an error. */
  private async rejectType(payload: Buffer, text: string, msg: Hl7Message, policy: AckPolicy, peer: string, address: string, supported: boolean): Promise<Buffer | null> {
    const type = msg.messageType || '(empty MSH-9)'
    const reason = supported
      ? `Message type ${type} is not accepted by interface "${this.d.iface.name}" (accepted: ${this.types.join(', ')}).`
      : `Message type ${type} is not supported (supported: ${SUPPORTED_SUMMARY}).`
    const hl7Code = supported || !isSupportedCode(msg.code) ? '200' : '201'
    const error = new AppError('unsupported_message', reason, { retryable: false, details: { hl7ErrorCode: hl7Code } })
    const ackCode = policy.mode === 'enhanced' ? 'CR' : 'AR'
    const ack = buildAck(msg, {
      code: ackCode,
      errors: [{ code: hl7Code, severity: 'E', location: { segment: 'MSH', sequence: 1, field: 9 }, userMessage: reason }],
      text: reason,
      clock: this.d.clock,
    })
    const stored = await this.storeRejected(payload, text, error, ack, { controlId: msg.controlId || null, messageType: msg.messageType || null, peer, address })
    if (stored === 'failed') return this.storeFailed(msg, policy, new AppError('storage_full', 'not stored'), peer)
    this.note('info', 'refused', 'message type refused', { controlId: msg.controlId, messageType: msg.messageType, peer, ack: ackCode })
    if (policy.mode === 'enhanced' && !this.acceptWanted(policy, false)) return null
    return this.encode(msg, ack)
  }

  /** MSH-10 longer than MAX_CONTROL_ID_LENGTH: AR (CR in enhanced mode) naming MSH-10, stored as an error with the id cut. */
  private async rejectControlId(payload: Buffer, text: string, msg: Hl7Message, policy: AckPolicy, peer: string, address: string): Promise<Buffer | null> {
    const reason = `MSH-10 (message control id) is ${msg.controlId.length} characters long; at most ${MAX_CONTROL_ID_LENGTH} are accepted.`
    const error = new AppError('parse_error', reason, { retryable: false, details: { reason: 'control_id_too_long', hl7ErrorCode: '102', segmentId: 'MSH', field: 10, length: msg.controlId.length } })
    const ackCode = policy.mode === 'enhanced' ? 'CR' : 'AR'
    const ack = buildAck(msg, { code: ackCode, errors: [{ code: '102', severity: 'E', location: { segment: 'MSH', sequence: 1, field: 10 }, userMessage: reason }], text: reason, clock: this.d.clock })
    // The raw bytes are kept whole; the search index gets the text with the id cut (one 11 MB token otherwise).
    const searchText = text.replace(msg.controlId, capControlId(msg.controlId))
    const stored = await this.storeRejected(payload, searchText, error, ack, { controlId: capControlId(msg.controlId), messageType: msg.messageType || null, peer, address })
    if (stored === 'failed') return this.storeFailed(msg, policy, new AppError('storage_full', 'not stored'), peer)
    this.note('info', 'refused', 'control id too long; message refused', { controlId: msg.controlId, messageType: msg.messageType, peer, ack: ackCode })
    if (policy.mode === 'enhanced' && !this.acceptWanted(policy, false)) return null
    return this.encode(msg, ack)
  }

  /** Could not be decoded or parsed: answered from a best-effort read of the header. */
  private async rejectUnparsed(payload: Buffer, e: unknown, peer: string, address: string): Promise<Buffer> {
    const error = isAppError(e) ? e : new AppError('parse_error', 'The message could not be parsed', { retryable: false })
    const ack = buildRejectAck(payload, { error, clock: this.d.clock })
    const sniffed = safeSniff(payload)
    const stored = await this.storeRejected(payload, null, error, ack, { controlId: sniffed.controlId, messageType: sniffed.messageType, peer, address })
    const charset = safeCharset(payload)
    if (stored === 'failed') {
      const text = 'The message could not be stored; it was not accepted. Send it again later.'
      return encodeHl7Text(buildRejectAck(payload, { error: new AppError('storage_full', text), code: 'AE', clock: this.d.clock }), charset)
    }
    this.note('info', 'unparseable', 'unparseable message rejected', { peer, code: error.code, reason: (error.details as { reason?: string } | undefined)?.reason, controlId: sniffed.controlId })
    return encodeHl7Text(ack, charset)
  }

  /**
   * Stores a refused frame in the error queue, unless its address spent its refused-input budget
   * ('over': answered the same, not stored, counted; the listener then closes the connection).
   */
  private async storeRejected(
    payload: Buffer,
    text: string | null,
    error: AppError,
    ack: string,
    k: { controlId: string | null; messageType: string | null; peer: string; address: string },
  ): Promise<'stored' | 'over' | 'failed'> {
    this.counters.rejected++
    if (this.d.peers && !this.d.peers.mayStoreRefused(k.address, payload.length)) {
      this.counters.refusedNotStored++
      return 'over'
    }
    try {
      await this.d.pipeline.receive({
        practiceId: this.d.practiceId,
        connector: CONNECTOR,
        channel: this.d.iface.name,
        direction: 'in',
        messageType: k.messageType,
        contentType: 'hl7v2',
        raw: payload,
        peer: k.peer,
        controlId: k.controlId,
        // Not deduplicated: a corrected resend with the same control id must be looked at again.
        dedupKey: null,
        response: ack,
        error: toErrorData(error),
        ...(text !== null ? { searchText: text } : { searchText: payload.toString('latin1') }),
      })
      return 'stored'
    } catch (e) {
      this.counters.storeFailures++
      this.d.logger.error('rejected message could not be stored', { peer: k.peer, code: isAppError(e) ? e.code : 'internal' })
      return 'failed'
    }
  }
}

/** A message's answer: ready, none, or (application mode) to be awaited once it is processed. */
type Reply = Buffer | null | (() => Promise<Buffer>)

const settle = (r: Reply): Promise<Buffer | null> | Buffer | null => (typeof r === 'function' ? r() : r)

/** Whether a frame holds more than one message: it opens with a batch header, or a second MSH starts a segment. */
export function holdsBatch(payload: Buffer): boolean {
  let at = 0
  while (at < payload.length && (payload[at] === 0x0d || payload[at] === 0x0a || payload[at] === 0xef || payload[at] === 0xbb || payload[at] === 0xbf)) at++
  const head = payload.toString('latin1', at, at + 3)
  if (head === 'FHS' || head === 'BHS') return true
  return payload.indexOf(CR_MSH, at) >= 0 || payload.indexOf(LF_MSH, at) >= 0
}

const CR_MSH = Buffer.from('\rMSH', 'latin1')
const LF_MSH = Buffer.from('\nMSH', 'latin1')

/** Control id and type read without trusting the header (for the error row's business keys). */
function safeSniff(payload: Buffer): { controlId: string | null; messageType: string | null } {
  try {
    const head = payload.subarray(0, 4096).toString('latin1')
    const start = head.indexOf('MSH')
    if (start < 0) return { controlId: null, messageType: null }
    const line = head.slice(start).split(/[\r\n]/, 1)[0] as string
    const fs = line[3]
    if (!fs) return { controlId: null, messageType: null }
    const f = line.split(fs)
    const cs = line[4] ?? '^'
    const type = (f[8] ?? '').split(cs).slice(0, 2).filter(Boolean).join('^')
    const ctrl = (f[9] ?? '').slice(0, 100)
    return { controlId: ctrl || null, messageType: type.slice(0, 40) || null }
  } catch {
    return { controlId: null, messageType: null }
  }
}

function safeCharset(payload: Buffer): string | undefined {
  try {
    return peekHl7Charset(payload)
  } catch {
    return undefined
  }
}
