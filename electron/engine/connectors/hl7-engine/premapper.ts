/**
 * Service `hl7-mapping-worker`: the engine's side of the mapping worker (premap.ts). The inbound
 * handler's `prepare` sends it a lane's next rows; the worker parses and evaluates their mapping
 * slots while the engine thread applies and commits the group before them; map then `take`s a
 * row's slots instead of evaluating them. Mapping was ~35 % of the engine thread's time per ADT
 * message (hl7-engine README, "Mapping on a worker").
 *
 * What keeps it correct:
 * - Order and exactly-once do not depend on it: the worker computes, the engine thread decides
 *   and writes, row after row, as before. A row without an answer (worker not started yet, dead,
 *   stopped, an answer that failed) is mapped on the engine thread.
 * - A slot is used only for the payload it was computed from (the bytes are compared), the same
 *   type, charset and practice zone, and the mapping set version in force when map runs: a set
 *   published or rolled back after the row was sent is evaluated again on the engine thread, and
 *   the next request sends the worker the new set (the set last sent per practice and key is
 *   remembered; `MappingStore.effective` gives a new object for a new version).
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { EngineContext } from '../../core/engine-context'
import type { Service, ServiceStatus } from '../../core/service'
import type { EffectiveSet } from '../../mapping-store/mapping-store'
import type { LaneRow } from '../../pipeline/types'
import type { Hl7Interfaces } from './interfaces'
import { premapAnswerSchema, PREMAP_KEYS, type PremapAnswer, type PremappedSlot, type PremapRequest } from './premap'

export const PREMAP_SERVICE = 'hl7-mapping-worker'

/** What map may use for a row (see the file comment for when). */
export interface Premapped {
  route: string | null
  action: string | null
  charset: string
  zone: string
  slots: Record<string, PremappedSlot>
}

type AnswerRow = Extract<PremapAnswer, { rows: unknown }>['rows'][number]

interface Sent {
  practiceId: string
  payloadVersion: number
  payload: Buffer
  charset: string
  zone: string
  seq: number
  /** null until the worker answers; NOTHING when there is nothing to use. */
  answer: AnswerRow | null
}

const NOTHING: AnswerRow = { id: 0, route: null, action: null, slots: {} }

/** Rows sent and not taken are forgotten past this (a lane that stopped, filtered rows). */
const MAX_SENT = 4096

/** The worker: the built entry next to the bundle, else the TypeScript source through tsx (tests, benches). */
function spawn(): Worker {
  const here = typeof __dirname === 'string' ? __dirname : process.cwd()
  for (const built of [join(here, 'hl7-premap-worker.js'), join(here, '..', 'hl7-premap-worker.js')]) if (existsSync(built)) return new Worker(built)
  const tsx = createRequire(join(here, 'index.js')).resolve('tsx/cjs/api')
  return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(join(here, 'premap-worker.ts'))})`, { eval: true })
}

export class Premapper implements Service {
  readonly name = PREMAP_SERVICE
  private worker: Worker | null = null
  private ready = false
  private failed: string | null = null
  private seq = 0
  private readonly sent = new Map<number, Sent>()
  /** The effective set the worker holds, per practice and key. */
  private readonly sets = new Map<string, EffectiveSet>()
  /** Slots map used as the worker made them (counted by the handler; system.status, and the tests' proof that the worker is in the path). */
  slotsUsed = 0

  constructor(
    private readonly ctx: EngineContext,
    private readonly interfaces: Hl7Interfaces,
  ) {}

  /** Does not wait for the worker: until it is ready, rows are mapped on the engine thread. */
  /** Whether rows are being sent to the worker (it started and answered ready). */
  get running(): boolean {
    return this.ready
  }

  async start(): Promise<void> {
    if (this.worker) return
    this.failed = null
    let w: Worker
    try {
      w = spawn()
    } catch (e) {
      this.fail(`could not start: ${(e as Error).message}`)
      return
    }
    this.worker = w
    w.unref()
    w.on('message', (m: unknown) => this.onMessage(m))
    w.on('error', (e) => this.fail(e.name))
    w.on('exit', () => this.fail('exited'))
  }

  async stop(): Promise<void> {
    const w = this.worker
    this.worker = null
    this.ready = false
    this.release()
    if (w) await w.terminate()
  }

  status(): ServiceStatus {
    if (this.ready) return { name: this.name, state: 'running', detail: `${this.slotsUsed} mapping evaluations made on the worker` }
    if (this.failed) return { name: this.name, state: 'degraded', detail: `mapping on the engine thread (${this.failed})` }
    return { name: this.name, state: this.worker ? 'running' : 'stopped', ...(this.worker ? { detail: 'starting' } : {}) }
  }

  /**
   * Sends the rows not sent yet (`payloadOf` null: not worth sending, e.g. a 5 MB payload) and
   * says how many of the first rows have their answers: the group takes those, while the worker
   * maps the rest (the lane reads about twice what a group takes, so the rows sent with the
   * previous group are answered by now). It never waits: with no answer yet (the first group,
   * or a worker that fell behind on a busy machine) it says all of them, and the engine thread
   * maps them itself, as without the worker. Waiting for the worker instead cost more wall time
   * than it saved CPU on the shared test machine (hl7-engine README, "Mapping on a worker").
   */
  async prepare(rows: readonly LaneRow[], payloadOf: (row: LaneRow) => Buffer | null): Promise<number> {
    const head = rows[0]
    if (!this.ready || !head) return rows.length
    this.forgetBefore(head)
    this.send(rows, payloadOf)
    let n = 0
    while (n < rows.length && this.sent.get((rows[n] as LaneRow).id)?.answer) n++
    return n > 0 ? n : rows.length
  }

  /** Whether the worker answered for this row (tests). */
  answered(id: number): boolean {
    return Boolean(this.sent.get(id)?.answer)
  }

  /** The row's slots, if the worker mapped exactly this payload; forgotten once taken. */
  take(tx: LaneRow, payload: Buffer): Premapped | null {
    const e = this.sent.get(tx.id)
    if (!e) return null
    this.sent.delete(tx.id)
    if (!e.answer || e.answer === NOTHING || e.payloadVersion !== tx.payload_version || !e.payload.equals(payload)) return null
    return { route: e.answer.route, action: e.answer.action, charset: e.charset, zone: e.zone, slots: e.answer.slots }
  }

  private send(rows: readonly LaneRow[], payloadOf: (row: LaneRow) => Buffer | null): void {
    const seq = ++this.seq
    const req: PremapRequest = { seq, now: this.ctx.clock.now(), sets: [], rows: [] }
    const zones = new Map<string, string>()
    const ifaces = new Map<string, ReturnType<Hl7Interfaces['inbound']>>()
    for (const row of rows) {
      const had = this.sent.get(row.id)
      if (had && had.payloadVersion === row.payload_version) continue
      const at = `${row.practice_id}\u0000${row.channel}`
      let iface = ifaces.get(at)
      if (iface === undefined) ifaces.set(at, (iface = this.interfaces.inbound(row.practice_id, row.channel)))
      const payload = iface ? payloadOf(row) : null
      let zone = zones.get(row.practice_id)
      if (zone === undefined) {
        zone = this.ctx.practices.find(row.practice_id)?.timeZone ?? 'America/New_York'
        zones.set(row.practice_id, zone)
        this.setsFor(row.practice_id, req)
      }
      const e: Sent = { practiceId: row.practice_id, payloadVersion: row.payload_version, payload: payload ?? Buffer.alloc(0), charset: iface?.config.defaultCharset ?? '', zone, seq, answer: null }
      this.sent.set(row.id, e)
      if (!iface || !payload) {
        e.answer = NOTHING
        continue
      }
      req.rows.push({ id: row.id, practiceId: row.practice_id, charset: e.charset, types: iface.config.messageTypes, zone, payload })
    }
    if (req.rows.length > 0) this.worker?.postMessage(req)
  }

  /** The practice's sets the worker does not hold in their current version, added to the request. */
  private setsFor(practiceId: string, req: PremapRequest): void {
    for (const key of PREMAP_KEYS) {
      const eff = this.ctx.mappings.effective(practiceId, key)
      const k = `${practiceId}\u0000${key}`
      if (this.sets.get(k) === eff) continue
      this.sets.set(k, eff)
      req.sets.push({ practiceId, key, version: eff.version, set: eff.set })
    }
  }

  private onMessage(m: unknown): void {
    if (m === 'ready') {
      this.ready = true
      return
    }
    const a = premapAnswerSchema.safeParse(m)
    if (!a.success) {
      // Never guessed at: the worker is stopped and the engine thread maps from now on.
      this.fail('an answer that is not the protocol')
      void this.worker?.terminate()
      return
    }
    if ('failed' in a.data) {
      for (const e of this.sent.values()) if (e.seq === a.data.seq && !e.answer) e.answer = NOTHING
      return
    }
    for (const row of a.data.rows) {
      const e = this.sent.get(row.id)
      if (e && e.seq === a.data.seq) e.answer = row
    }
  }

  /** Rows of the lane's practice before its head were processed (or discarded): nothing will take them. */
  private forgetBefore(head: LaneRow): void {
    if (this.sent.size > MAX_SENT) this.sent.clear()
    for (const [id, e] of this.sent) if (id < head.id && e.practiceId === head.practice_id && e.answer) this.sent.delete(id)
  }

  private fail(why: string): void {
    if (this.worker) {
      this.failed ??= why
      this.ctx.logger.warn('the HL7 mapping worker stopped; mapping on the engine thread', { reason: why })
    }
    this.worker = null
    this.ready = false
    this.release()
  }

  /** Nothing sent is waited for any more: every row is mapped here. */
  private release(): void {
    this.sent.clear()
    this.sets.clear()
  }
}
