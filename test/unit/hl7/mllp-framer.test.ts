import { describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import { CR, frameMessage, FS, MllpFramer, VT } from '../../../electron/engine/connectors/hl7'
import { prng, validFiles } from './corpus-files'

interface Collected {
  frames: Buffer[]
  discarded: { count: number; why: string }[]
  errors: AppError[]
  framer: MllpFramer
}

function collect(maxFrameBytes?: number): Collected {
  const c: Collected = { frames: [], discarded: [], errors: [], framer: undefined as unknown as MllpFramer }
  c.framer = new MllpFramer({
    ...(maxFrameBytes !== undefined ? { maxFrameBytes } : {}),
    onFrame: (p) => c.frames.push(p),
    onDiscard: (count, why) => c.discarded.push({ count, why }),
    onError: (e) => c.errors.push(e),
  })
  return c
}

/** Feeds `stream` in random slices of 1 byte up to `maxSlice` bytes. */
function feed(framer: MllpFramer, stream: Buffer, rnd: () => number, maxSlice: number): void {
  let i = 0
  while (i < stream.length) {
    const n = 1 + Math.floor(rnd() * maxSlice)
    // Copy each slice into a reused scratch buffer: the framer must not keep references to it.
    const scratch = Buffer.alloc(Math.min(n, stream.length - i))
    stream.copy(scratch, 0, i, i + scratch.length)
    framer.push(scratch)
    scratch.fill(0x58)
    i += scratch.length
  }
}

const payloads = validFiles()
  .slice(0, 60)
  .map((f) => f.bytes)
  .concat([Buffer.from('MSA|AR|I♥HAPI\r', 'utf8'), Buffer.alloc(70_000, 0x41), Buffer.alloc(0)])

describe('MllpFramer', () => {
  it.each([1, 2, 7, 64, 1500, 65_536])('reassembles byte-exact payloads with random segmentation up to %i bytes', (maxSlice) => {
    const rnd = prng(0xc0ffee + maxSlice)
    const c = collect()
    const stream = Buffer.concat(payloads.map((p) => frameMessage(p)))
    feed(c.framer, stream, rnd, maxSlice)
    expect(c.frames).toHaveLength(payloads.length)
    c.frames.forEach((f, i) => expect(f.equals(payloads[i] as Buffer)).toBe(true))
    expect(c.discarded).toEqual([])
    expect(c.framer.pendingBytes).toBe(0)
  })

  it('delivers several frames from one chunk and counts garbage between frames without showing it', () => {
    const c = collect()
    const a = Buffer.from('MSH|A\r')
    const b = Buffer.from('MSH|B\r')
    c.framer.push(Buffer.concat([Buffer.from('junk'), frameMessage(a), Buffer.from('\r\n'), frameMessage(b), Buffer.from('zz')]))
    expect(c.frames.map(String)).toEqual(['MSH|A\r', 'MSH|B\r'])
    expect(c.discarded).toEqual([
      { count: 4, why: 'outside_frame' },
      { count: 2, why: 'outside_frame' },
      { count: 2, why: 'outside_frame' },
    ])
  })

  it('never delivers a frame without its terminator', () => {
    const c = collect()
    c.framer.push(Buffer.from([VT, 0x41, 0x42, FS]))
    expect(c.frames).toEqual([])
    expect(c.framer.pendingBytes).toBe(2)
    c.framer.push(Buffer.from([CR]))
    expect(c.frames.map(String)).toEqual(['AB'])

    // FS not followed by CR is no terminator: the frame is dropped and the stream resynchronises.
    const d = collect()
    d.framer.push(Buffer.from([VT, 0x41, FS, 0x41, VT, 0x42, FS, CR]))
    expect(d.frames.map(String)).toEqual(['B'])
    expect(d.discarded).toEqual([
      { count: 3, why: 'unterminated_frame' },
      { count: 1, why: 'outside_frame' },
    ])
  })

  it('abandons a frame restarted by a new VT (sender gave up mid-frame)', () => {
    const c = collect()
    c.framer.push(Buffer.from([VT, 0x41, 0x41, 0x41]))
    c.framer.push(Buffer.from([0x41, VT, 0x42, FS, CR]))
    expect(c.frames.map(String)).toEqual(['B'])
    expect(c.discarded).toEqual([{ count: 5, why: 'unterminated_frame' }])
  })

  it('enforces the size cap in bytes, reports once and stops buffering', () => {
    const c = collect(10)
    c.framer.push(frameMessage(Buffer.from('0123456789')))
    expect(c.frames).toHaveLength(1)
    c.framer.push(Buffer.from([VT]))
    for (let i = 0; i < 1000; i++) c.framer.push(Buffer.alloc(64, 0x41))
    expect(c.errors).toHaveLength(1)
    expect(c.errors[0]?.code).toBe('frame_too_large')
    expect(c.framer.failed).toBe(true)
    expect(c.framer.pendingBytes).toBe(0)
    c.framer.push(frameMessage(Buffer.from('ok')))
    expect(c.frames).toHaveLength(1)

    // Multi-byte characters count as bytes: 4 characters, 8 bytes.
    const u = collect(7)
    u.framer.push(frameMessage(Buffer.from('éééé', 'utf8')))
    expect(u.errors[0]?.code).toBe('frame_too_large')
  })

  it('accepts a frame of exactly the cap, split anywhere', () => {
    const payload = Buffer.alloc(4096, 0x42)
    for (const split of [1, 2, 4096, 4097, 4098]) {
      const c = collect(4096)
      const framed = frameMessage(payload)
      c.framer.push(framed.subarray(0, split))
      c.framer.push(framed.subarray(split))
      expect(c.frames[0]?.equals(payload)).toBe(true)
      expect(c.errors).toEqual([])
    }
  })

  it('frameMessage wraps bytes and refuses payloads containing framing bytes', () => {
    expect([...frameMessage(Buffer.from('A'))]).toEqual([VT, 0x41, FS, CR])
    expect(() => frameMessage(Buffer.from([0x41, VT]))).toThrow(AppError)
    expect(() => frameMessage(Buffer.from([0x41, FS]))).toThrow(AppError)
    expect(() => new MllpFramer({ onFrame: () => undefined, maxFrameBytes: 0 })).toThrow(AppError)
  })
})
