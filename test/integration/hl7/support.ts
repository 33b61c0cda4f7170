/**
 * HL7 engine integration harness: a real engine (encrypted SQLite in a temp folder, file secret
 * store) with the HL7 module, interfaces created through the API, a small MLLP client that keeps
 * every ACK it gets, message builders, and the python3-hl7 peers (Debian's /usr/bin/python3).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import { hl7EngineModule, hl7Runtime } from '../../../electron/engine/connectors/hl7-engine'
import { buildAck, frameMessage, MllpFramer, parseAck, parseHl7, type Hl7Message, type ParsedAck } from '../../../electron/engine/connectors/hl7'
import type { CallOrigin } from '../../../electron/engine/api/dispatcher'
import { systemClock, type Clock } from '../../../electron/engine/core/clock'
import { openEngine, type ConnectorModule, type Engine } from '../../../electron/engine/core/engine'
import { createLogger, fileSink, memorySink } from '../../../electron/engine/core/logger'
import { DEFAULT_ENGINE_SETTINGS, type EngineSettings } from '../../../electron/engine/core/engine-settings'
import { engineLogFile } from '../../../electron/engine/core/log-reader'
import { createFileStore } from '../../../electron/engine/secrets/file-store'
import type { TxRow } from '../../../electron/engine/pipeline/types'

import { PYTHON } from '../../support/py-mllp-server'
import { adtMsg, hl7 } from '../../support/hl7-messages'

export { adtMsg }

export { PYTHON, PY_SERVER, startPyServer } from '../../support/py-mllp-server'
export const MLLP_SEND = '/usr/bin/mllp_send'
export const ACTOR: CallOrigin = { actor: 'tester@hl7 (console)', transport: 'internal' }

export interface Hl7TestEngine {
  engine: Engine
  dir: string
  logs: string[]
  call<T = unknown>(method: string, input?: unknown): Promise<T>
  callRaw(method: string, input?: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }>
  /** Creates an inbound interface on 127.0.0.1 port 0 (plus `config`) and returns its bound port. */
  addInbound(name: string, config?: Record<string, unknown>, practiceId?: string): Promise<{ id: string; port: number }>
  addOutbound(name: string, config: Record<string, unknown>, practiceId?: string): Promise<{ id: string }>
  /** Transactions (after moving whatever is still in the inbox). */
  /** Transactions (after moving whatever is still in the inbox). */
  rows(where?: string, ...params: unknown[]): TxRow[]
  /** Waits until the pipeline has nothing left to do now. */
  idle(): Promise<void>
  close(): Promise<void>
}

export async function openHl7Engine(
  opts: { clock?: Clock; modules?: ConnectorModule[]; dir?: string; keepDir?: boolean; start?: boolean; settings?: Partial<EngineSettings>; logFile?: boolean } = {},
): Promise<Hl7TestEngine> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'ps-hl7-'))
  const secrets = createFileStore({ file: join(dir, 'secrets.enc'), masterKey: Buffer.from('5a'.repeat(32), 'hex'), location: 'hl7 test store' })
  const mem = memorySink()
  const settings = { ...DEFAULT_ENGINE_SETTINGS, ...opts.settings }
  // logFile: also the data folder's engine log, as serve writes it (rotation as configured).
  const sinks = opts.logFile ? [mem, fileSink(engineLogFile(dir), { maxBytes: settings.logMaxBytes, files: settings.logFiles })] : [mem]
  const logger = createLogger({ level: 'debug', sinks })
  const engine = await openEngine(
    { dataDir: dir, secrets, logger, clock: opts.clock ?? systemClock, mode: 'headless', version: 'test', operator: 'tester@hl7', settings },
    opts.modules ?? [hl7EngineModule({ outboundPollMs: 50 })],
  )
  if (opts.start !== false) await engine.start()
  const callRaw = (method: string, input: unknown = {}) => engine.dispatch(method, input, ACTOR) as Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }>
  const call = async <T,>(method: string, input: unknown = {}): Promise<T> => {
    const r = await callRaw(method, input)
    if (!r.ok) throw new Error(`${method} failed: ${r.error?.code}: ${r.error?.message}`)
    return r.value as T
  }
  return {
    engine,
    dir,
    logs: mem.lines,
    call,
    callRaw,
    async addInbound(name, config = {}, practiceId = 'sandbox') {
      const c = await call<{ id: string }>('connections.create', { practiceId, kind: 'hl7-inbound', name, config: { host: '127.0.0.1', port: 0, ...config } })
      const l = hl7Runtime(engine.ctx)!.listeners.find(practiceId, name)
      if (!l || l.state !== 'listening') throw new Error(`listener ${name} did not start: ${l?.error ?? 'missing'}`)
      return { id: c.id, port: l.port }
    },
    async addOutbound(name, config, practiceId = 'sandbox') {
      return call<{ id: string }>('connections.create', { practiceId, kind: 'hl7-outbound', name, config })
    },
    rows(where = '1', ...params) {
      // Everything acknowledged so far, including messages not yet moved out of the inbox.
      engine.ctx.pipeline.drainInbox()
      // The raw bytes live in transaction_raw (migration 0160); `raw` reads them as the row's.
      return engine.ctx.db.prepare(`SELECT t.*, coalesce(r.raw, t.raw) AS raw FROM transactions AS t LEFT JOIN transaction_raw AS r ON r.tx_id = t.id WHERE ${where} ORDER BY t.id`).all(...params) as TxRow[]
    },
    idle: () => engine.ctx.pipeline.idle(60_000),
    async close() {
      await engine.stop()
      if (!opts.keepDir) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Polls until `fn` returns something truthy (generous guard, no timing assertions). `what` may describe the state at the timeout. */
export async function until<T>(fn: () => T | Promise<T>, what: string | (() => string) = 'condition', timeoutMs = 90_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v as NonNullable<T>
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

// ------------------------------------------------------------------------------------------ MLLP client

export class MllpTestClient {
  readonly acks: Buffer[] = []
  private waiters: { resolve: (b: Buffer) => void; reject: (e: Error) => void }[] = []
  closed = false
  private readonly closedP: Promise<void>
  readonly framer: MllpFramer

  private constructor(readonly socket: net.Socket) {
    this.framer = new MllpFramer({ onFrame: (p) => this.onFrame(p) })
    socket.on('data', (d) => this.framer.push(d))
    socket.on('error', () => undefined)
    this.closedP = new Promise((r) =>
      socket.once('close', () => {
        this.closed = true
        for (const w of this.waiters.splice(0)) w.reject(new Error('connection closed before the reply'))
        r()
      }),
    )
  }

  /** `localAddress`: connect from another loopback address (127.0.0.2 …), as another host would. */
  static connect(port: number, opts: { tls?: tls.ConnectionOptions; allowHalfOpen?: boolean; localAddress?: string } = {}): Promise<MllpTestClient> {
    return new Promise((resolveC, reject) => {
      const from = opts.localAddress ? { localAddress: opts.localAddress } : {}
      const s = opts.tls ? tls.connect({ host: '127.0.0.1', port, ...from, ...opts.tls }) : net.connect({ host: '127.0.0.1', port, allowHalfOpen: opts.allowHalfOpen ?? false, ...from })
      s.once(opts.tls ? 'secureConnect' : 'connect', () => resolveC(new MllpTestClient(s)))
      s.once('error', reject)
    })
  }

  private onFrame(p: Buffer): void {
    const w = this.waiters.shift()
    if (w) w.resolve(p)
    else this.acks.push(p)
  }

  /** The next reply frame (already received or still to come). */
  next(timeoutMs = 20_000): Promise<Buffer> {
    const b = this.acks.shift()
    if (b) return Promise.resolve(b)
    if (this.closed) return Promise.reject(new Error('connection closed before the reply'))
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error('no reply frame')), timeoutMs)
      this.waiters.push({
        resolve: (x) => {
          clearTimeout(t)
          res(x)
        },
        reject: (e) => {
          clearTimeout(t)
          rej(e)
        },
      })
    })
  }

  write(bytes: Buffer | string): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes)
  }

  /** Sends one message framed and waits for its reply. */
  async send(message: string | Buffer): Promise<Buffer> {
    this.socket.write(frameMessage(typeof message === 'string' ? Buffer.from(message, 'utf8') : message))
    return this.next()
  }

  async sendAck(message: string | Buffer): Promise<ParsedAck> {
    return parseAck(await this.send(message))
  }

  waitClose(timeoutMs = 20_000): Promise<void> {
    return Promise.race([this.closedP, new Promise<void>((_, rej) => setTimeout(() => rej(new Error('connection stayed open')), timeoutMs))])
  }

  close(): void {
    this.socket.end()
  }
}

// ------------------------------------------------------------------------------------------ messages

export function siuMsg(o: { control: string; trigger: 'S12' | 'S14' | 'S15'; appt: string; mrn?: string; last?: string; dob?: string; start?: string; status?: string }): string {
  return hl7(
    `MSH|^~\\&|SCHED|RIVERSIDE|PRACTICESTUDIO|CLINIC|20260603080000||SIU^${o.trigger}^SIU_${o.trigger}|${o.control}|P|2.5.1`,
    `SCH|P${o.appt}^RIVERSIDE|${o.appt}^RIVERSIDE|||||ROUTINE^Routine follow-up^HL70276|FOLLOWUP^Follow-up visit^HL70277|30|MIN|^^30^${o.start ?? '20260610143000'}^20260610150000|||||1234567890^CAREFUL^ADAM^^^DR||||1234567890^CAREFUL^ADAM^^^DR|||||${o.status ?? (o.trigger === 'S15' ? 'Cancelled' : 'Booked')}`,
    `PID|1||${o.mrn ?? 'MRN1'}^^^RIVERSIDE^MR||${o.last ?? 'QUINTERO'}^ELENA^MARISOL||${o.dob ?? '19870618'}|F`,
    'RGS|1|A',
    `AIL|1|A|CLINIC^101^1^RIVERSIDE|||${o.start ?? '20260610143000'}|||30|MIN`,
    `AIP|1|A|1234567890^CAREFUL^ADAM^^^DR|ATND|||${o.start ?? '20260610143000'}|||30|MIN`,
  )
}

export function oruMsg(o: { control: string; mrn?: string; last?: string; dob?: string }): string {
  return hl7(
    `MSH|^~\\&|LAB|FACILITY_B|PRACTICESTUDIO|CLINIC|20260309140000||ORU^R01^ORU_R01|${o.control}|P|2.5.1`,
    `PID|1||${o.mrn ?? 'MRN1'}^^^RIVERSIDE^MR||${o.last ?? 'QUINTERO'}^ELENA||${o.dob ?? '19870618'}|F`,
    'OBR|1|ORD001|LAB001|CBC^Complete Blood Count^LN|||20260309100000',
    'OBX|1|NM|WBC^White Blood Cell Count^LN||7.5|10*3/uL|4.5-11.0|N|||F',
    'OBX|2|NM|HGB^Hemoglobin^LN||14.2|g/dL|12.0-16.0|N|||F',
    'OBR|2|ORD002|LAB002|CULT^Culture^LN|||20260309100000',
    'OBX|1|CWE|600-7^Bacteria identified^LN|1|112283007^Escherichia coli^SCT||||||P',
    'OBX|2|TX|NOTE^Comment^L||First line~Second line||||||F',
  )
}

/** An ORU reporting on two patients, each PID followed by its own order and results. */
export function oruTwoPatientsMsg(o: { control: string; first: string; second: string; orphan?: boolean }): string {
  return hl7(
    `MSH|^~\\&|LAB|FACILITY_B|PRACTICESTUDIO|CLINIC|20260309140000||ORU^R01^ORU_R01|${o.control}|P|2.5.1`,
    ...(o.orphan ? ['OBR|1|ORD000|LAB000|LIPID^Lipid panel^LN|||20260309100000', 'OBX|1|NM|LDL^LDL^LN||99|mg/dL||N|||F'] : []),
    `PID|1||${o.first}^^^RIVERSIDE^MR||QUINTERO^ELENA||19870618|F`,
    'OBR|1|ORD001|LAB001|CBC^Complete Blood Count^LN|||20260309100000',
    'OBX|1|NM|WBC^White Blood Cell Count^LN||7.5|10*3/uL|4.5-11.0|N|||F',
    `PID|2||${o.second}^^^RIVERSIDE^MR||OKONKWO^DANIEL||19750411|M`,
    'OBR|1|ORD001|LAB001|CBC^Complete Blood Count^LN|||20260309100000',
    'OBX|1|NM|WBC^White Blood Cell Count^LN||12.9|10*3/uL|4.5-11.0|H|||F',
    'OBX|2|NM|HGB^Hemoglobin^LN||11.1|g/dL|12.0-16.0|L|||F',
  )
}

export function dftMsg(o: { control: string; mrn?: string }): string {
  return hl7(
    `MSH|^~\\&|BILLING|HOSP_A|FIN_SYS|HOSP_A|20260401120000||DFT^P03^DFT_P03|${o.control}|P|2.5.1`,
    'EVN|P03|20260401120000',
    `PID|1||${o.mrn ?? 'MRN1'}^^^RIVERSIDE^MR||QUINTERO^ELENA||19870618|F`,
    'FT1|1|TX100||20260401|20260401|CG|99213^Office Visit Level 3^CPT|||1|150.00&USD||||||||R07.9^Chest pain^I10~I10^Hypertension^I10|2345^BILLING^DOC',
    'FT1|2|TX101||20260401|20260401|PY|PAY^Payment|||1|-40.00&USD',
  )
}

export function mdmMsg(o: { control: string; mrn?: string; doc?: string; ed?: boolean; lines?: string[] }): string {
  return hl7(
    `MSH|^~\\&|DOCMGMT|HOSP_A|RECV_SYS|HOSP_A|20260322153000||MDM^T02^MDM_T02|${o.control}|P|2.5.1`,
    'EVN|T02|20260322153000',
    `PID|1||${o.mrn ?? 'MRN1'}^^^RIVERSIDE^MR||QUINTERO^ELENA||19870618|F`,
    `TXA|1|HP^History and Physical^HL70270|TX|20260322150000||20260322153000||||||${o.doc ?? 'DOC-1'}|||||AU^Authenticated^HL70271`,
    o.ed ? 'OBX|1|ED|PDF^Report||^application^pdf^Base64^JVBERi0xLjQK||||||F' : 'OBX|1|TX|HP^History and Physical||Patient presents with headaches.\\.br\\Second paragraph.||||||F',
    ...(o.lines ?? []).map((l, i) => `OBX|${i + 2}|TX|HP^History and Physical||${l}||||||F`),
  )
}

// ------------------------------------------------------------------------------------------ python peers

export interface Spawned {
  child: ChildProcess
  stdout: string[]
  stderr: string[]
  exit: Promise<number | null>
}

export function run(cmd: string, args: string[], opts: { timeoutMs?: number; cwd?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(opts.cwd ? { cwd: opts.cwd } : {}) })
    let out = ''
    let err = ''
    let timedOut = false
    child.stdout.setEncoding('latin1').on('data', (d: string) => (out += d))
    child.stderr.setEncoding('latin1').on('data', (d: string) => (err += d))
    const t = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, opts.timeoutMs ?? 30_000)
    child.on('close', (code) => {
      clearTimeout(t)
      res({ code, stdout: out, stderr: err, timedOut })
    })
  })
}

/** `mllp_send` from python3-hl7 (never stdin: broken on Python 3; see dependencies-verified.md §6). */
export function mllpSend(port: number, file: string, opts: { loose?: boolean; timeoutMs?: number } = {}) {
  return run(PYTHON, [MLLP_SEND, ...(opts.loose ? ['--loose'] : []), '-p', String(port), '-f', file, '127.0.0.1'], { timeoutMs: opts.timeoutMs ?? 30_000 })
}

export function randomId(): string {
  return randomBytes(4).toString('hex').toUpperCase()
}

// ------------------------------------------------------------------------------------------ fake MLLP peer

export type PeerReply = { code?: 'AA' | 'AE' | 'AR'; text?: string; delayMs?: number; silent?: boolean; close?: boolean }

/** A scriptable MLLP receiver: logs every message and answers as `behave` says (default AA). */
export async function startFakePeer(behave: (msg: Hl7Message, n: number) => PeerReply = () => ({})): Promise<{ port: number; received: Hl7Message[]; stop(): Promise<void> }> {
  const received: Hl7Message[] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => undefined)
    const framer = new MllpFramer({
      onFrame: (p) => {
        const msg = parseHl7(p)
        received.push(msg)
        const r = behave(msg, received.length)
        if (r.close) {
          s.destroy()
          return
        }
        if (r.silent) return
        const ack = buildAck(msg, { code: r.code ?? 'AA', ...(r.text ? { text: r.text } : {}), clock: systemClock })
        const send = (): void => {
          if (!s.destroyed) s.write(frameMessage(Buffer.from(ack)))
        }
        if (r.delayMs) setTimeout(send, r.delayMs)
        else send()
      },
    })
    s.on('data', (d) => framer.push(d))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  }
}
