/**
 * Interop with a real peer: Debian's python3-hl7 `mllp_send` (run with /usr/bin/python3) sends every
 * file of the corpus (test/corpus/hl7, walked, never listed) to our listener, one MLLP
 * frame per file. Every file gets an ACK that python3-hl7 itself parses, with MSA-2 = the file's
 * MSH-10: AA/CA for supported types, AR/CR for everything refused; duplicates (same MSH-3, MSH-4,
 * MSH-10 as an earlier file) get the earlier ACK byte for byte. Refused files are in the error
 * queue with their raw bytes. The `_invalid` files are sent the same way.
 *
 * The interface answers every enhanced-mode message (`acceptAcks: 'always'`), because mllp_send
 * waits for a reply after each message; the default MSH-15 handling (NE = no accept ACK) is tested
 * in listener-ingest.test.ts.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ackPolicy, parseAck, parseHl7, parseHl7Batch, sniffMshHeader, type Hl7Message } from '../../../electron/engine/connectors/hl7'
import { holdsBatch } from '../../../electron/engine/connectors/hl7-engine/inbound-receiver'
import { interfaceAccepts, supportedType } from '../../../electron/engine/connectors/hl7-engine/message-types'
import { mllpSend, openHl7Engine, PYTHON, run, type Hl7TestEngine } from './support'
import { corpus, splitReplies, wireBytes, type CorpusFile } from './corpus-stream'
import { HL7_CORPUS as CORPUS } from '../../support/corpus-dir'


interface Expectation {
  parsed: Hl7Message | null
  controlId: string | null
  ok: boolean
  enhanced: boolean
  dedup: string | null
}

function expectationFor(wire: Buffer): Expectation {
  let msg: Hl7Message | null = null
  try {
    msg = parseHl7(wire)
  } catch {
    msg = null
  }
  if (msg) {
    const accepted = supportedType(msg.code, msg.trigger) !== undefined && interfaceAccepts([], msg.code, msg.trigger)
    const h = msg.header
    return { parsed: msg, controlId: msg.controlId, ok: accepted, enhanced: ackPolicy(msg).mode === 'enhanced', dedup: accepted && msg.controlId ? `${h.field(3)}|${h.field(4)}|${h.field(10)}` : null }
  }
  const sniff = sniffMshHeader(wire)
  return { parsed: null, controlId: sniff.delimiters ? (sniff.fields.get(10) ?? '') : null, ok: false, enhanced: Boolean(sniff.fields.get(15) || sniff.fields.get(16)), dedup: null }
}

/** One MLLP frame over a plain socket; resolves with the reply frame's payload. */
function sendFrame(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.end(Buffer.concat([Buffer.from([0x0b]), payload, Buffer.from([0x1c, 0x0d])])))
    const chunks: Buffer[] = []
    sock.on('data', (d: Buffer) => {
      chunks.push(d)
      const all = Buffer.concat(chunks)
      const end = all.indexOf(Buffer.from([0x1c, 0x0d]))
      if (end >= 0) {
        sock.destroy()
        resolve(all.subarray(all.indexOf(0x0b) + 1, end))
      }
    })
    sock.on('error', reject)
    sock.setTimeout(30_000, () => {
      sock.destroy()
      reject(new Error('no reply within 30 s'))
    })
  })
}

/** The messages of a frame that holds several (a batch the listener splits); null for one message or a batch it cannot parse (refused whole). */
function batchMembers(wire: Buffer): Hl7Message[] | null {
  if (!holdsBatch(wire)) return null
  try {
    return parseHl7Batch(wire).messages
  } catch {
    return null
  }
}

/** python3-hl7 parses each ACK: MSA-1 and MSA-2 as it reads them. */
async function pythonReads(acks: Buffer[], dir: string): Promise<string[][]> {
  const file = join(dir, 'acks.bin')
  writeFileSync(file, Buffer.concat(acks.flatMap((a) => [a, Buffer.from([0x1c])])))
  const script = [
    'import sys, hl7',
    "data = open(sys.argv[1], 'rb').read().split(b'\\x1c')[:-1]",
    'for raw in data:',
    "    m = hl7.parse(raw.decode('utf-8', 'replace'))",
    "    print(str(m.segment('MSA')[1]) + '\\t' + str(m.segment('MSA')[2]))",
  ].join('\n')
  const r = await run(PYTHON, ['-c', script, file], { timeoutMs: 60_000 })
  expect(r.code, r.stderr).toBe(0)
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'))
}

let t: Hl7TestEngine
let port: number
let dir: string

beforeAll(async () => {
  t = await openHl7Engine()
  // The corpus refuses more than the default refused-input budget of one address allows a minute.
  port = (await t.addInbound('corpus-in', { acceptAcks: 'always', unsupportedTypes: 'reject', refusedFramesPerMinute: 0, refusedBytesPerMinute: 0 })).port
  dir = mkdtempSync(join(tmpdir(), 'hl7-interop-'))
})
afterAll(async () => {
  await t?.close()
})

async function sendAll(files: CorpusFile[], label: string): Promise<Buffer[]> {
  for (const f of files) expect(f.bytes.includes(0x0b) || f.bytes.includes(0x1c), `${f.folder}/${f.name} holds framing bytes`).toBe(false)
  const framed = join(dir, `${label}.mllp`)
  writeFileSync(framed, Buffer.concat(files.flatMap((f) => [Buffer.from([0x0b]), f.bytes, Buffer.from([0x1c, 0x0d])])))
  const r = await mllpSend(port, framed, { timeoutMs: 110_000 })
  expect(r.timedOut, r.stderr).toBe(false)
  expect(r.code, r.stderr).toBe(0)
  return splitReplies(r.stdout)
}

describe('mllp_send (python3-hl7) → our listener', () => {
  it('every corpus file outside _invalid gets a valid ACK for its MSH-10; accepted ones are stored once, refused ones are in the error queue with their bytes', async () => {
    // Frames holding several messages go over our own socket below: python3-hl7's client reads one
    // 4,096-byte recv per message, so a batch's longer reply would spill into the next file's.
    const files = corpus((f) => f !== '_invalid').filter((f) => !batchMembers(wireBytes(f.bytes)))
    expect(files.length).toBeGreaterThan(200)
    const replies = await sendAll(files, 'valid')
    expect(replies).toHaveLength(files.length)
    const pyView = await pythonReads(replies, dir)
    expect(pyView).toHaveLength(files.length)
    await t.idle()
    const rows = t.rows("channel = 'corpus-in'")
    const firstAck = new Map<string, Buffer>()
    const tally: Record<string, number> = {}
    files.forEach((f, i) => {
      const where = `${f.folder}/${f.name}`
      const wire = wireBytes(f.bytes)
      const exp = expectationFor(wire)
      const reply = replies[i] as Buffer
      const ack = parseAck(reply)
      tally[ack.code] = (tally[ack.code] ?? 0) + 1
      if (exp.controlId !== null) expect(ack.controlId, where).toBe(exp.controlId)
      expect(pyView[i]![0], where).toBe(ack.code)
      expect(pyView[i]![1] ?? '', where).toBe(reply.toString('latin1').split('\r')[1]!.split(reply.toString('latin1')[3]!)[2] ?? '')
      if (exp.ok) expect(ack.code, where).toBe(exp.enhanced ? 'CA' : 'AA')
      else expect(['AR', 'CR'], where).toContain(ack.code)
      if (exp.dedup !== null && firstAck.has(exp.dedup)) {
        expect(reply.equals(firstAck.get(exp.dedup)!), `${where} is a duplicate and gets the original ACK`).toBe(true)
        return
      }
      if (exp.dedup !== null) firstAck.set(exp.dedup, reply)
      const stored = rows.filter((r) => r.raw.equals(wire))
      expect(stored.length, where).toBeGreaterThanOrEqual(1)
      if (!exp.ok) expect(stored.some((r) => r.status === 'error' && r.response === reply.toString('utf8')), where).toBe(true)
      else expect(stored.every((r) => r.status === 'done' || r.status === 'error' || r.status === 'filtered'), where).toBe(true)
    })
    // Each distinct accepted message exactly once.
    const keys = rows.filter((r) => r.dedup_key !== null).map((r) => r.dedup_key)
    expect(new Set(keys).size).toBe(keys.length)
    expect(tally.AA ?? 0).toBeGreaterThan(50)
    expect(tally.AR ?? 0).toBeGreaterThan(20)
  })

  it('every corpus frame holding several messages (BHS … BTS, or MSH after MSH) gets one ACK per message, in order, for its MSH-10', async () => {
    const batches = corpus((f) => f !== '_invalid')
      .map((f) => ({ f, members: batchMembers(wireBytes(f.bytes)) }))
      .filter((b): b is { f: CorpusFile; members: Hl7Message[] } => b.members !== null)
    expect(batches.length).toBeGreaterThan(5)
    for (const { f, members } of batches) {
      const reply = (await sendFrame(port, f.bytes)).toString('latin1')
      const msas = reply.split('\r').filter((seg) => seg.startsWith('MSA')).map((seg) => seg.split(seg[3]!))
      expect(msas.map((m) => m[2] ?? ''), `${f.folder}/${f.name}`).toEqual(members.map((m) => m.controlId ?? ''))
      // A BHS/FHS batch is answered with a batch; MSH after MSH with the ACKs back to back.
      const enveloped = /^(FHS|BHS)/.test(wireBytes(f.bytes).toString('latin1').trimStart())
      expect(/^(FHS|BHS)/.test(reply), `${f.folder}/${f.name}`).toBe(enveloped)
    }
  })

  it('every _invalid file gets an ACK; what the tolerant parser refuses is in the error queue with its raw bytes', async () => {
    const files = corpus((f) => f === '_invalid')
    expect(files.length).toBeGreaterThan(10)
    const before = t.rows().length
    const replies = await sendAll(files, 'invalid')
    expect(replies).toHaveLength(files.length)
    await t.idle()
    const rows = t.rows('id > ?', before)
    files.forEach((f, i) => {
      const where = `_invalid/${f.name}`
      const wire = wireBytes(f.bytes)
      const exp = expectationFor(wire)
      const ack = parseAck(replies[i] as Buffer)
      const stored = rows.filter((r) => r.raw.equals(wire))
      if (exp.dedup !== null && stored.length === 0) {
        // Same MSH-3/4/10 as a message already stored: answered with that message's ACK.
        expect(t.rows('dedup_key = ?', exp.dedup), where).toHaveLength(1)
        return
      }
      expect(stored, where).toHaveLength(1)
      if (exp.parsed === null) {
        expect(['AR', 'CR'], where).toContain(ack.code)
        expect(stored[0], where).toMatchObject({ status: 'error', response: (replies[i] as Buffer).toString('utf8') })
        expect(stored[0]!.error_code, where).toMatch(/^(parse_error|unsupported_message)$/)
      } else {
        // Leniently parseable (e.g. trailing empty fields, an empty MSH-10): answered by type.
        expect(ack.code, where).toBe(exp.ok ? 'AA' : 'AR')
      }
    })
  })

  it('mllp_send --loose with a plain single-message file (how the e2e helpers send)', async () => {
    const file = join(CORPUS, 'ADT_A04', readdirSync(join(CORPUS, 'ADT_A04')).sort().find((n) => n.startsWith('simple-hl7'))!)
    const r = await mllpSend(port, file, { loose: true })
    expect(r.code, r.stderr).toBe(0)
    const ack = parseAck(splitReplies(r.stdout)[0]!)
    expect(ack.controlId).toBe('1817457')
    expect(['AA']).toContain(ack.code)
  })
})
