/**
 * MLLP framing (`<VT> payload <FS><CR>`) as a byte-level state machine. It reassembles frames
 * across any TCP segmentation, delivers several frames from one chunk, never delivers a frame
 * without its terminator, counts (never shows) bytes outside frames, and enforces a hard size
 * cap: on overflow it reports `frame_too_large` once and stops buffering for good, so the
 * connection can be answered and closed without memory growing with the peer's input.
 */
import { AppError } from '../../../../shared/errors'

export const VT = 0x0b
export const FS = 0x1c
export const CR = 0x0d

/** Proposed default cap (MLLP-02): 16 MiB of payload. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024

export interface MllpFramerOptions {
  /** Largest payload accepted, in bytes (framing bytes excluded). */
  maxFrameBytes?: number
  /** A complete payload (framing bytes removed). The buffer is the caller's to keep. */
  onFrame: (payload: Buffer) => void
  /**
   * Bytes dropped: outside any frame, or a frame abandoned because a new VT arrived before its
   * terminator (or FS was not followed by CR). Only the count is reported, never the content.
   */
  onDiscard?: (byteCount: number, why: 'outside_frame' | 'unterminated_frame') => void
  /**
   * Called once with `frame_too_large`; the framer ignores all input afterwards. `head` holds the
   * first bytes of the oversized frame (at most `headBytes`), so a receiver can still address an
   * AR to the sender (MSH-3/4, MSH-10) without the framer keeping the whole frame.
   */
  onError?: (error: AppError, head: Buffer) => void
  /** How many leading bytes of an oversized frame `onError` receives; default 4096. */
  headBytes?: number
}

type State = 'idle' | 'in_frame' | 'after_fs' | 'failed'

export class MllpFramer {
  private state: State = 'idle'
  private parts: Buffer[] = []
  private size = 0
  private readonly max: number

  constructor(private readonly opts: MllpFramerOptions) {
    this.max = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
    if (!Number.isInteger(this.max) || this.max < 1) throw new AppError('invalid_input', 'maxFrameBytes must be a positive integer')
  }

  /** True after an overflow: the stream is out of sync and must be closed. */
  get failed(): boolean {
    return this.state === 'failed'
  }

  /** True between a frame's start byte and its terminator. */
  get inFrame(): boolean {
    return this.state === 'in_frame' || this.state === 'after_fs'
  }

  /** Bytes of a frame started but not yet terminated (e.g. to report on close). */
  get pendingBytes(): number {
    return this.state === 'in_frame' || this.state === 'after_fs' ? this.size : 0
  }

  push(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    this.consume(buf)
    // A partial frame must not alias the caller's chunk, which it may reuse after we return.
    const last = this.parts.length - 1
    if (last >= 0 && (this.parts[last] as Buffer).buffer === buf.buffer) this.parts[last] = Buffer.from(this.parts[last] as Buffer)
  }

  private consume(buf: Buffer): void {
    let i = 0
    const n = buf.length
    while (i < n && this.state !== 'failed') {
      if (this.state === 'idle') {
        const vt = buf.indexOf(VT, i)
        const skipped = (vt < 0 ? n : vt) - i
        if (skipped > 0) this.opts.onDiscard?.(skipped, 'outside_frame')
        if (vt < 0) return
        this.state = 'in_frame'
        this.parts = []
        this.size = 0
        i = vt + 1
      } else if (this.state === 'after_fs') {
        if (buf[i] === CR) {
          i++
          this.deliver()
        } else {
          // FS without CR is not a terminator: the frame is corrupt, resynchronise on the next VT.
          this.abandon(1)
        }
      } else {
        const fs = buf.indexOf(FS, i)
        const end = fs < 0 ? n : fs
        const vt = buf.indexOf(VT, i)
        if (vt >= 0 && vt < end) {
          // A new start block before the terminator: the sender gave up on the previous frame.
          if (!this.append(buf, i, vt)) return
          this.abandon()
          i = vt
          continue
        }
        if (!this.append(buf, i, end)) return
        if (fs < 0) return
        this.state = 'after_fs'
        i = fs + 1
      }
    }
  }

  /** Drops any partial frame (e.g. after the connection was reset) and clears a failure. */
  reset(): void {
    this.state = 'idle'
    this.parts = []
    this.size = 0
  }

  private append(buf: Buffer, from: number, to: number): boolean {
    const len = to - from
    if (len <= 0) return true
    if (this.size + len > this.max) {
      const head = this.head(buf.subarray(from, to))
      this.state = 'failed'
      this.parts = []
      const size = this.size + len
      this.size = 0
      this.opts.onError?.(
        new AppError('frame_too_large', `MLLP frame exceeds the ${this.max}-byte limit`, { retryable: false, details: { maxFrameBytes: this.max, receivedAtLeast: size } }),
        head,
      )
      return false
    }
    this.parts.push(buf.subarray(from, to))
    this.size += len
    return true
  }

  /** The first `headBytes` of the frame being built followed by `more` (a copy). */
  private head(more: Buffer): Buffer {
    const limit = this.opts.headBytes ?? 4096
    const out: Buffer[] = []
    let n = 0
    for (const p of [...this.parts, more]) {
      if (n >= limit) break
      const take = p.subarray(0, limit - n)
      out.push(take)
      n += take.length
    }
    return Buffer.concat(out, n)
  }

  private deliver(): void {
    const payload = Buffer.concat(this.parts, this.size)
    this.state = 'idle'
    this.parts = []
    this.size = 0
    this.opts.onFrame(payload)
  }

  private abandon(extra = 0): void {
    // +1 for the VT that opened the abandoned frame (+1 more for a stray FS).
    this.opts.onDiscard?.(this.size + 1 + extra, 'unterminated_frame')
    this.state = 'idle'
    this.parts = []
    this.size = 0
  }
}

/** Wraps one payload in MLLP framing; refuses payloads that contain framing bytes. */
export function frameMessage(payload: Uint8Array): Buffer {
  const p = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
  if (p.indexOf(VT) >= 0 || p.indexOf(FS) >= 0) {
    throw new AppError('invalid_input', 'An MLLP payload cannot contain the framing bytes 0x0B or 0x1C')
  }
  const out = Buffer.allocUnsafe(p.length + 3)
  out[0] = VT
  p.copy(out, 1)
  out[p.length + 1] = FS
  out[p.length + 2] = CR
  return out
}
