/**
 * A real engine (encrypted SQLite in a temp folder, file secret store with a random master key)
 * with a small HL7 test connector, for the console's engine tests. The connector parses with the
 * HL7 library, fails validation on an impossible birth date (a permanent error the operator fixes
 * by editing) and on `ZTO|timeout` (a transient one), and applies a patient record so the
 * inspector has a before/after diff.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AppError } from '../../../shared/errors'
import { parseHl7 } from '../../../electron/engine/connectors/hl7/parser'
import type { Hl7Message } from '../../../electron/engine/connectors/hl7/message'
import { openEngine, type Engine } from '../../../electron/engine/core/engine'
import { silentLogger } from '../../../electron/engine/core/logger'
import type { ConnectorHandler } from '../../../electron/engine/pipeline/connector-handler'
import { createFileStore } from '../../../electron/engine/secrets/file-store'
import type { CallOrigin } from '../../../electron/engine/api/dispatcher'
import type { Clock } from '../../../electron/engine/core/clock'

export const ACTOR: CallOrigin = { actor: 'tester@ci (console)', transport: 'internal' }

export interface TestEngine {
  engine: Engine
  dir: string
  call<T = unknown>(method: string, input?: unknown): Promise<T>
  callResult(method: string, input?: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }>
  receive(hl7: string, opts?: { channel?: string; practiceId?: string }): Promise<number>
  close(): Promise<void>
}

export function adt(o: { control: string; mrn: string; last?: string; first?: string; dob?: string; extra?: string }): string {
  return [
    `MSH|^~\\&|EPIC|DOWNTOWN|PS|PS|20261125080000||ADT^A08|${o.control}|P|2.5.1`,
    `EVN|A08|20261125080000`,
    `PID|1||${o.mrn}^^^MRN^MR||${o.last ?? 'DOE'}^${o.first ?? 'JANE'}^Q||${o.dob ?? '19800101'}|F|||1 MAIN ST^^SPRINGFIELD^IL^62701||^PRN^PH^^1^217^5550100||||||123-45-6789`,
    `PV1|1|O|CLINIC^101`,
    ...(o.extra ? [o.extra] : []),
  ].join('\r')
}

interface Parsed {
  msg: Hl7Message
}

/** A date YYYYMMDD that exists. */
function validDate(s: string): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(s)
  if (!m) return false
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))
  return d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3])
}

export const testHl7Handler: ConnectorHandler<Parsed, Record<string, unknown>> = {
  connector: 'hl7',
  direction: 'in',
  maxAttempts: 1,
  parse(ctx) {
    const msg = parseHl7(ctx.payload)
    ctx.setKeys({ controlId: msg.controlId, mrn: msg.get('PID-3') ?? null, messageType: msg.messageType })
    ctx.setParsed({ messageType: msg.messageType, controlId: msg.controlId, patient: { mrn: msg.get('PID-3'), name: { family: msg.get('PID-5.1'), given: msg.get('PID-5.2') }, dob: msg.get('PID-7') } })
    return { msg }
  },
  filter({ msg }) {
    return msg.get('PV1-2') === 'X' ? { accept: false, rule: 'ignore-class-x' } : { accept: true }
  },
  map({ msg }, ctx) {
    if (msg.get('ZTO-1') === 'timeout') throw new AppError('timeout', 'The downstream system did not answer within 30 s')
    const dob = msg.get('PID-7') ?? ''
    // Like the mapping engine's, the message names the field, never its value (it is PHI).
    if (!validDate(dob)) throw new AppError('validation_error', `PID-7 date of birth is not a valid date (${dob.length} characters, expected YYYYMMDD)`)
    const mapped = { mrn: msg.get('PID-3'), last_name: msg.get('PID-5.1'), first_name: msg.get('PID-5.2'), date_of_birth: `${dob.slice(0, 4)}-${dob.slice(4, 6)}-${dob.slice(6, 8)}`, sex: msg.get('PID-8') }
    ctx.setMapped(mapped)
    return mapped
  },
  apply(mapped, ctx) {
    ctx.records.upsert({ practiceId: ctx.tx.practice_id, kind: 'patient', ids: [{ system: 'mrn', value: String(mapped.mrn) }], data: mapped, txId: ctx.tx.id })
    ctx.setResponse(`MSH|^~\\&|PS|PS|EPIC|DOWNTOWN|20261125080001||ACK^A08|ACK${ctx.tx.id}|P|2.5.1\rMSA|AA|${ctx.tx.control_id ?? ''}`)
  },
}

export async function openTestEngine(opts: { clock?: Clock } = {}): Promise<TestEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'ps-console-'))
  const secrets = createFileStore({ file: join(dir, 'secrets.enc'), masterKey: randomBytes(32), location: 'test file store' })
  const engine = await openEngine({ dataDir: dir, secrets, logger: silentLogger, mode: 'headless', version: 'test', operator: 'tester@ci', ...(opts.clock ? { clock: opts.clock } : {}) })
  engine.ctx.pipeline.register(testHl7Handler)
  await engine.start()
  const callResult = async (method: string, input: unknown = {}) => (await engine.dispatch(method, input, ACTOR)) as { ok: boolean; value?: unknown; error?: { code: string; message: string } }
  return {
    engine,
    dir,
    callResult,
    async call<T>(method: string, input: unknown = {}): Promise<T> {
      const r = await callResult(method, input)
      if (!r.ok) throw new Error(`${method} failed: ${r.error?.code} ${r.error?.message}`)
      return r.value as T
    },
    async receive(hl7, o = {}) {
      const msg = parseHl7(hl7)
      const r = await engine.ctx.pipeline.receive({
        practiceId: o.practiceId ?? 'sandbox',
        connector: 'hl7',
        channel: o.channel ?? 'adt-in',
        direction: 'in',
        contentType: 'hl7v2',
        raw: Buffer.from(hl7),
        controlId: msg.controlId,
        messageType: msg.messageType,
        dedupKey: msg.controlId,
      })
      return r.id
    },
    async close() {
      await engine.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
