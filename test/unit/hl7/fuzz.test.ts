/**
 * Seeded mutation fuzzing over the corpus: whatever the bytes, the parser returns or throws an
 * AppError (never anything else, never hangs), and anything it accepts round-trips and can be
 * acknowledged with a frame-safe ACK.
 */
import { isDeepStrictEqual } from 'node:util'
import { describe, expect, it } from 'vitest'
import { isAppError } from '../../../shared/errors'
import {
  buildAck,
  buildRejectAck,
  encodeHl7Text,
  frameMessage,
  MllpFramer,
  parseAck,
  parseHl7,
  parseHl7Batch,
  readMsh,
  readObx,
  readPid,
  serializeStructure,
  type Hl7Message,
} from '../../../electron/engine/connectors/hl7'
import { corpusFiles, cpuMs, fixedClock, prng } from './corpus-files'

const ITERATIONS = 3000
/** CPU time one input may take (cpuMs says why not wall time); a hang or a quadratic blow-up costs far more. */
const GUARD_MS = 2000
const clock = fixedClock(Date.UTC(2024, 5, 1))
const seeds = corpusFiles().map((f) => f.bytes).filter((b) => b.length < 20_000)
const INTERESTING = [0x7c, 0x5e, 0x7e, 0x5c, 0x26, 0x23, 0x0d, 0x0a, 0x0b, 0x1c, 0x00, 0x22, 0x20, 0xff, 0xef, 0xbb, 0xbf, 0xc3, 0x4d, 0x53, 0x48]

function mutate(input: Buffer, rnd: () => number): Buffer {
  let b = Buffer.from(input)
  const ops = 1 + Math.floor(rnd() * 4)
  for (let k = 0; k < ops; k++) {
    const pos = Math.floor(rnd() * (b.length + 1))
    const pick = (): number => (rnd() < 0.7 ? (INTERESTING[Math.floor(rnd() * INTERESTING.length)] as number) : Math.floor(rnd() * 256))
    switch (Math.floor(rnd() * 8)) {
      case 0: // flip a byte
        if (b.length) b[Math.min(pos, b.length - 1)] = pick()
        break
      case 1: // insert bytes
        b = Buffer.concat([b.subarray(0, pos), Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 8) }, pick)), b.subarray(pos)])
        break
      case 2: // delete a range
        b = Buffer.concat([b.subarray(0, pos), b.subarray(pos + Math.floor(rnd() * 40))])
        break
      case 3: // duplicate a range
        b = Buffer.concat([b.subarray(0, pos), b.subarray(pos, pos + Math.floor(rnd() * 200)), b.subarray(pos)])
        break
      case 4: // truncate
        b = b.subarray(0, pos)
        break
      case 5: // splice another corpus file in
        b = Buffer.concat([b.subarray(0, pos), seeds[Math.floor(rnd() * seeds.length)] as Buffer])
        break
      case 6: // rewrite the delimiters
        if (b.length > 8) for (let i = 3; i < 8; i++) b[i] = pick()
        break
      default: // pure noise
        b = Buffer.from(Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256)))
    }
  }
  return b
}

function attempt(fn: () => unknown): unknown {
  try {
    return fn()
  } catch (e) {
    if (!isAppError(e)) throw new Error(`non-AppError thrown: ${String(e)}`, { cause: e })
    return e
  }
}

/** Plain checks in the hot loop (expect() per iteration would dominate the run time). */
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`fuzz invariant broken: ${what}`)
}

function exercise(m: Hl7Message): void {
  const model = m.toStructure()
  check(isDeepStrictEqual(parseHl7(m.toString(), { anyVersion: true }).toStructure(), model), 'toString round trip')
  check(isDeepStrictEqual(parseHl7(serializeStructure(model, m.delimiters), { anyVersion: true }).toStructure(), model), 're-encoded round trip')
  for (const p of ['MSH-9', 'MSH-10', 'PID-3(2).4.2', 'PID-5.1', 'OBX[2]-5', 'ZZZ-1']) {
    m.get(p)
    m.getAll(p)
    m.getRaw(p)
  }
  readMsh(m.header)
  const pid = m.segment('PID')
  if (pid) readPid(pid)
  const obx = m.segment('OBX')
  if (obx) readObx(obx)
  const ack = buildAck(m, { code: 'AE', text: 'fuzz', clock })
  frameMessage(encodeHl7Text(ack, m.charsetName))
  check(parseAck(ack).controlId === m.controlId, 'ACK echoes MSH-10')
}

describe('fuzzing', () => {
  it(`survives ${ITERATIONS} seeded mutations of corpus messages`, () => {
    const rnd = prng(20240601)
    let accepted = 0
    for (let i = 0; i < ITERATIONS; i++) {
      const input = mutate(seeds[Math.floor(rnd() * seeds.length)] as Buffer, rnd)
      const t0 = cpuMs()
      const single = attempt(() => parseHl7(input))
      const batch = attempt(() => parseHl7Batch(input))
      attempt(() => parseHl7(input.toString('latin1'), { strict: true }))
      attempt(() => parseAck(input))
      if (single instanceof Error) {
        const reject = buildRejectAck(input, { error: single, clock })
        frameMessage(encodeHl7Text(reject))
        check(/^[AC]R$/.test(parseAck(reject).code), 'reject ACK code')
      } else {
        accepted++
        exercise(single as Hl7Message)
      }
      if (!(batch instanceof Error)) for (const m of (batch as ReturnType<typeof parseHl7Batch>).messages) exercise(m)
      check(cpuMs() - t0 < GUARD_MS, `iteration ${i} within the guard`)
    }
    // The mutations must not all be rejected at the door, or the test proves little.
    expect(accepted).toBeGreaterThan(ITERATIONS / 10)
  }, 120_000)

  it('stays linear on pathological shapes (many repetitions, segments, escapes)', () => {
    const msh = 'MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5\r'
    const cases: [string, (m: Hl7Message) => unknown][] = [
      [msh + 'PID|1||' + 'a^b^c&d~'.repeat(100_000), (m) => [m.getAll('PID-3.3.2').length, readPid(m.segment('PID')!).identifiers.length]],
      [msh + 'OBX|1|ST|x||v\r'.repeat(50_000), (m) => [m.getAll('OBX-5').length, m.get('OBX[50000]-5')]],
      [msh + 'NTE|1||' + '\\'.repeat(200_000) + 'F\\' + '\\X'.repeat(50_000), (m) => m.get('NTE-3')?.length],
      [msh + 'NTE|1||\\X' + '41'.repeat(200_000) + '\\', (m) => m.get('NTE-3')?.length],
      [msh + 'ERR|' + 'PID^1^3^101&x&HL70357~'.repeat(50_000) + '\rMSA|AE|1', (m) => parseAck(m).errors.length],
    ]
    for (const [text, use] of cases) {
      const t0 = cpuMs()
      const m = parseHl7(text)
      use(m)
      m.toString()
      buildAck(m, { code: 'AA', clock })
      expect(cpuMs() - t0).toBeLessThan(GUARD_MS)
    }
  })

  it('the framer never throws on random byte streams', () => {
    const rnd = prng(7)
    for (let i = 0; i < 500; i++) {
      let frames = 0
      const f = new MllpFramer({ maxFrameBytes: 1 + Math.floor(rnd() * 512), onFrame: () => frames++ })
      for (let k = 0; k < 20; k++) {
        f.push(Buffer.from(Array.from({ length: Math.floor(rnd() * 64) }, () => (rnd() < 0.2 ? [0x0b, 0x1c, 0x0d][Math.floor(rnd() * 3)] : Math.floor(rnd() * 256)) as number)))
      }
      expect(frames).toBeGreaterThanOrEqual(0)
    }
  })
})
