import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import { createLogger, memorySink } from '../../../electron/engine/core/logger'
import { buildAck, frameMessage, MllpFramer, MllpSender, parseHl7, type AckCode } from '../../../electron/engine/connectors/hl7'
import { fixedClock } from './corpus-files'

const clock = fixedClock(Date.UTC(2024, 0, 1))
const logLines = memorySink()
const logger = createLogger({ level: 'debug', sinks: [logLines] })

const message = (controlId: string) => Buffer.from(`MSH|^~\\&|S|F|R|F|20240101||ADT^A08|${controlId}|P|2.5.1\rPID|1||42||SECRETNAME^JANE\r`)

type Reply = (controlId: string, socket: net.Socket, connection: number) => void

interface Peer {
  port: number
  connections: number
  closed: number
  received: string[]
  reply: Reply
  close(): Promise<void>
}

const ack = (socket: net.Socket, controlId: string, code: AckCode = 'AA', text?: string) => {
  const original = parseHl7(message(controlId))
  socket.write(frameMessage(Buffer.from(buildAck(original, { code, clock, ...(text ? { text, errors: [{ code: '101', userMessage: text, location: { segment: 'PID', sequence: 1, field: 3 } }] } : {}) }))))
}

async function startPeer(reply: Reply, createServer: (onSocket: (s: net.Socket) => void) => net.Server = (f) => net.createServer(f)): Promise<Peer> {
  const sockets = new Set<net.Socket>()
  const peer = { connections: 0, closed: 0, received: [] as string[], reply } as Peer
  const server = createServer((socket) => {
    const n = ++peer.connections
    sockets.add(socket)
    socket.on('close', () => {
      peer.closed++
      sockets.delete(socket)
    })
    socket.on('error', () => undefined)
    const framer = new MllpFramer({
      onFrame: (payload) => {
        const id = parseHl7(payload).controlId
        peer.received.push(id)
        peer.reply(id, socket, n)
      },
    })
    socket.on('data', (d) => framer.push(d))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  peer.port = (server.address() as net.AddressInfo).port
  peer.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  return peer
}

const peers: Peer[] = []
const senders: MllpSender[] = []
async function setup(reply: Reply, opts: Partial<ConstructorParameters<typeof MllpSender>[0]> = {}) {
  const peer = await startPeer(reply)
  peers.push(peer)
  const sender = new MllpSender({ host: '127.0.0.1', port: peer.port, clock, logger, responseTimeoutMs: 2000, connectTimeoutMs: 2000, ...opts })
  senders.push(sender)
  return { peer, sender }
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(AppError)
    return e as AppError
  }
  throw new Error('expected a rejection')
}

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 5))
}

afterEach(async () => {
  await Promise.all(senders.splice(0).map((s) => s.close()))
  await Promise.all(peers.splice(0).map((p) => p.close()))
})

describe('MllpSender', () => {
  it('sends, matches MSA-2 and reuses one connection for consecutive messages', async () => {
    const { peer, sender } = await setup((id, s) => ack(s, id))
    const a = await sender.send(message('C1'), 'C1')
    const b = await sender.send(message('C2'), 'C2')
    expect(a).toMatchObject({ code: 'AA', accepted: true, controlId: 'C1' })
    expect(b.controlId).toBe('C2')
    expect(peer.connections).toBe(1)
    expect(peer.received).toEqual(['C1', 'C2'])
    expect(sender.connected).toBe(true)
  })

  it('treats an ACK for another control id as ack_mismatch and closes the socket', async () => {
    const { peer, sender } = await setup((id, s, n) => ack(s, n === 1 ? 'OTHER' : id))
    const err = await rejection(sender.send(message('C1'), 'C1'))
    expect(err.code).toBe('ack_mismatch')
    expect(err.retryable).toBe(true)
    expect(err.details).toMatchObject({ expected: 'C1', received: 'OTHER' })
    await until(() => peer.closed === 1)
    expect((await sender.send(message('C2'), 'C2')).controlId).toBe('C2')
    expect(peer.connections).toBe(2)
  })

  it('rejects AE with ack_error and AR with ack_reject, carrying the peer text, and keeps the connection', async () => {
    const { peer, sender } = await setup((id, s) => (id === 'E1' ? ack(s, id, 'AE', 'patient not found') : id === 'R1' ? ack(s, id, 'AR', 'unsupported') : ack(s, id)))
    const ae = await rejection(sender.send(message('E1'), 'E1'))
    expect(ae.code).toBe('ack_error')
    expect(ae.retryable).toBe(true)
    expect(ae.details).toMatchObject({ ack: { code: 'AE', text: 'patient not found', errors: [{ code: '101', userMessage: 'patient not found', location: 'PID-3' }] } })
    const ar = await rejection(sender.send(message('R1'), 'R1'))
    expect(ar.code).toBe('ack_reject')
    expect(ar.retryable).toBe(false)
    expect((ar.details as { ack: { text: string } }).ack.text).toBe('unsupported')
    await sender.send(message('OK'), 'OK')
    expect(peer.connections).toBe(1)
  })

  it('times out, closes the socket, and a late ACK never completes the next message', async () => {
    let held: net.Socket | undefined
    const { peer, sender } = await setup(
      (id, s) => {
        if (id === 'SLOW') held = s
        else ack(s, id)
      },
      // SLOW is never answered in time whatever the timeout; NEXT must be answered within it, so not too short for a loaded machine.
      { responseTimeoutMs: 1_000 },
    )
    const err = await rejection(sender.send(message('SLOW'), 'SLOW'))
    expect(err.code).toBe('timeout')
    expect(err.retryable).toBe(true)
    await until(() => peer.closed === 1)
    // The peer answers the first message now, on the old socket: it must go nowhere.
    if (held && !held.destroyed) ack(held, 'SLOW')
    const next = await sender.send(message('NEXT'), 'NEXT')
    expect(next.controlId).toBe('NEXT')
    expect(peer.connections).toBe(2)
  })

  it('fails with connection_reset when the peer closes without answering', async () => {
    const { sender } = await setup((_id, s) => s.destroy())
    const err = await rejection(sender.send(message('C1'), 'C1'))
    expect(err.code).toBe('connection_reset')
    expect(err.retryable).toBe(true)
  })

  it('detects a kept-open connection the peer closed, and reconnects before reuse', async () => {
    const { peer, sender } = await setup((id, s, n) => {
      ack(s, id)
      if (n === 1) s.end()
    })
    await sender.send(message('C1'), 'C1')
    await until(() => peer.closed === 1)
    await until(() => !sender.connected)
    expect((await sender.send(message('C2'), 'C2')).controlId).toBe('C2')
    expect(peer.connections).toBe(2)
  })

  it('resends once on a fresh connection when a reused socket closes with no reply', async () => {
    const { peer, sender } = await setup((id, s, n) => {
      if (n === 1 && id === 'C2') s.destroy()
      else ack(s, id)
    })
    await sender.send(message('C1'), 'C1')
    expect((await sender.send(message('C2'), 'C2')).controlId).toBe('C2')
    expect(peer.received).toEqual(['C1', 'C2', 'C2'])
    expect(peer.connections).toBe(2)
  })

  it('closes on unsolicited data while idle, and on oversized ACK frames', async () => {
    const { peer, sender } = await setup((id, s, n) => {
      ack(s, id)
      if (n === 1) ack(s, 'DUPLICATE')
      if (id === 'BIG') s.write(frameMessage(Buffer.alloc(5000, 0x41)))
    })
    await sender.send(message('C1'), 'C1')
    await until(() => peer.closed === 1)
    await sender.send(message('C2'), 'C2')
    expect(peer.connections).toBe(2)

    const small = new MllpSender({ host: '127.0.0.1', port: peer.port, clock, logger, maxFrameBytes: 1000, responseTimeoutMs: 2000 })
    senders.push(small)
    // BIG is acknowledged (small frame) before the oversized frame arrives; the next send sees the closed socket.
    await small.send(message('BIG'), 'BIG')
    await until(() => !small.connected)
    expect((await small.send(message('C3'), 'C3')).controlId).toBe('C3')
  })

  it('reports the oversized response itself as frame_too_large', async () => {
    const { sender } = await setup((_id, s) => s.write(frameMessage(Buffer.alloc(5000, 0x41))), { maxFrameBytes: 1000 })
    expect((await rejection(sender.send(message('C1'), 'C1'))).code).toBe('frame_too_large')
  })

  it('refuses a second message while one is in flight, and unreadable ACKs', async () => {
    const { sender } = await setup((id, s) => (id === 'JUNK' ? s.write(frameMessage(Buffer.from('not hl7'))) : setTimeout(() => ack(s, id), 50)))
    const first = sender.send(message('C1'), 'C1')
    expect((await rejection(sender.send(message('C2'), 'C2'))).code).toBe('conflict')
    await first
    const junk = await rejection(sender.send(message('JUNK'), 'JUNK'))
    expect(junk.code).toBe('parse_error')
    expect(junk.retryable).toBe(true)
    expect((await rejection(sender.send(message(''), ''))).code).toBe('invalid_input')
    expect((await rejection(sender.send(Buffer.from([0x41, 0x1c]), 'X'))).code).toBe('invalid_input')
  })

  it('maps refused connections and connect timeouts', async () => {
    const peer = await startPeer(() => undefined)
    const port = peer.port
    await peer.close()
    const refused = new MllpSender({ host: '127.0.0.1', port, clock, logger })
    senders.push(refused)
    expect((await rejection(refused.send(message('C1'), 'C1'))).code).toBe('connection_refused')

    // A clock whose timers fire at once makes the connect timeout win deterministically.
    const live = await startPeer((id, s) => ack(s, id))
    peers.push(live)
    const impatient = new MllpSender({ host: '127.0.0.1', port: live.port, logger, clock: { ...clock, sleep: () => Promise.resolve() } })
    senders.push(impatient)
    const err = await rejection(impatient.send(message('C1'), 'C1'))
    expect(err.code).toBe('timeout')
    expect(err.details).toMatchObject({ phase: 'connect' })
  })

  it('never logs message content', () => {
    const all = logLines.lines.join('\n')
    expect(all).not.toContain('SECRETNAME')
    expect(all).toContain('mllp-sender')
  })
})

describe('MllpSender over TLS', () => {
  let dir = ''
  let pem: { key: Buffer; cert: Buffer; otherCert: Buffer }
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mllp-tls-'))
    const gen = (name: string) =>
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`)], { stdio: 'ignore' })
    gen('server')
    gen('other')
    pem = { key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.crt')), otherCert: readFileSync(join(dir, 'other.crt')) }
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('sends over TLS with certificate validation, and refuses an untrusted certificate', async () => {
    const peer = await startPeer((id, s) => ack(s, id), (f) => tls.createServer({ key: pem.key, cert: pem.cert, minVersion: 'TLSv1.2' }, f))
    peers.push(peer)
    const good = new MllpSender({ host: '127.0.0.1', port: peer.port, clock, logger, tls: { ca: pem.cert } })
    senders.push(good)
    expect((await good.send(message('T1'), 'T1')).controlId).toBe('T1')

    const bad = new MllpSender({ host: '127.0.0.1', port: peer.port, clock, logger, tls: { ca: pem.otherCert } })
    senders.push(bad)
    const err = await rejection(bad.send(message('T2'), 'T2'))
    expect(err.code).toBe('tls_error')
    expect(err.retryable).toBe(false)
  })
})
