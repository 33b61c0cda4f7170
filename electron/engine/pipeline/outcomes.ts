/**
 * Processing rows and recording how each attempt ended (docs/ARCHITECTURE.md, "The transaction
 * pipeline"): a handler's parse → filter → map → apply, each recorded as a step, then the outcome
 * (done, filtered, error, or queued for a retry) written to the row.
 *
 * Two ways, by handler:
 * - `processRow`: one row, its own commits (`processing`, then the outcome). For handlers whose
 *   stages wait on the outside world (an outbound send, an athenaNet call).
 * - `processGroup`: handlers that say `grouped` have synchronous stages whose apply only writes
 *   the store. Consecutive rows of a lane then run inside one write of the group commit, one
 *   COMMIT for the group: a row's record upserts and its outcome land together or not at all, and
 *   its apply runs in a savepoint of its own, so a failing apply rolls back only itself. The next row reads what the
 *   previous one wrote (same connection, same transaction), so a lane's order means what it meant
 *   row by row. A crash before the COMMIT leaves every row of the group pending, as it was.
 *   The group first runs without those savepoints (~40 µs a message, two levels of them): if an
 *   apply fails, its write is taken back whole and the group runs again with them.
 *
 * Whoever waits for an outcome (`outcome()`, an application-mode ACK) is told once it is on disk.
 */
import { AppError, toErrorData, type AppErrorData } from '../../../shared/errors'
import type { TxStatus } from '../../../shared/api/transactions'
import type { Clock } from '../core/clock'
import type { Logger } from '../core/logger'
import type { BodyMeta, RecordStore } from '../records/record-store'
import { SavepointsNeeded } from '../store/database'
import type { WriteBatcher } from '../store/write-batcher'
import type { BusinessKeys, ConnectorHandler, ProcessContext } from './connector-handler'
import type { FinishInput, StepRecord, TransactionsRepo } from './transactions-repo'
import type { BigPayloads } from './big-payloads'
import type { LaneRow, PendingRow, TxRow } from './types'

/** How a transaction's processing attempt ended (see Pipeline.outcome). */
export interface TxOutcome {
  id: number
  /** done, filtered or error; queued when a retry was scheduled. */
  status: TxStatus
  error: AppErrorData | null
  filteredBy: string | null
  /** The response stored with the transaction (e.g. an ACK), if any. */
  response: string | null
}

/** A payload above this is processed in a group of its own (processGroup). */
export const BIG_PAYLOAD_BYTES = 1024 * 1024

/** The share of a group's time budget that the work ahead of its write may take (processGroup). */
const AHEAD_SHARE = 0.5

/**
 * After a group had to run again with savepoints, how many groups run with them, that second run
 * included: a stream of failing rows wastes at most one group's write in this many plus one.
 */
const CAREFUL_GROUPS_AFTER_FAILURE = 16

/** Lets the event loop run what waits (sockets, timers) before going on. */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r))

export const PENDING: ReadonlySet<TxStatus> = new Set(['received', 'queued', 'processing'])

export interface OutcomesDeps {
  repo: TransactionsRepo
  batcher: WriteBatcher
  records: RecordStore
  clock: Clock
  logger: Logger
  signal: AbortSignal
  stopping(): boolean
  /** A row's status changed (the console is told, coalesced). */
  changed(practiceId: string, id: number, status: TxStatus): void
  /** Reads a big payload and stores its bodies on their own thread; null: on the main connection. */
  payloads: BigPayloads | null
  /** Runs a group's synchronous stretch with its configuration lookups remembered (store/read-scope.ts). */
  remembering<T>(fn: () => T): T
}

type Attempt = Omit<FinishInput, 'finishedAt'> & {
  finishedAt?: number
  row: LaneRow
  response: string | null
  withOutcome: (() => void)[]
  /** The function parse gave setParsed: called at the outcome if the stage is stored (storedParsed). */
  parsedLater?: () => unknown
  payload?: Buffer
}

/** What processing a row did: the lane moves past it unless its status is still pending. */
type Result = { id: number; status: TxStatus }

/** A row parsed and filtered, its attempt begun (parsed null: filtered or failed, recorded in `a`). */
interface Prepared {
  a: Attempt
  ctx: ProcessContext
  parsed: { value: unknown } | null
}

export class Outcomes {
  private readonly waiters = new Map<number, { resolve: (o: TxOutcome) => void; reject: (e: unknown) => void }[]>()
  /** Groups that run with a savepoint a row before one runs without them again (see processGroup). */
  private carefulGroups = 0

  constructor(private readonly d: OutcomesDeps) {}

  /** See Pipeline.outcome. */
  outcome(id: number): Promise<TxOutcome> {
    const row = this.d.repo.get(id)
    if (!row) return Promise.reject(new AppError('not_found', `Transaction ${id} does not exist.`))
    if (!PENDING.has(row.status) || (row.status === 'queued' && row.next_attempt_at !== null && row.attempts > 0)) {
      // The outcome may be committed and not yet on disk (lanes do not wait for that): told only once it is.
      const o: TxOutcome = { id, status: row.status, error: errorOf(row), filteredBy: row.filtered_by, response: row.response }
      return this.d.batcher.synced().then(() => o)
    }
    return new Promise<TxOutcome>((resolve, reject) => {
      let list = this.waiters.get(id)
      if (!list) this.waiters.set(id, (list = []))
      list.push({ resolve, reject })
    })
  }

  /** The engine is stopping: nobody will be told an outcome any more. */
  rejectWaiters(): void {
    for (const list of this.waiters.values()) for (const w of list) w.reject(new AppError('internal', 'engine stopping', { retryable: true }))
    this.waiters.clear()
  }

  /** One row of a handler whose stages may wait (see the file comment). */
  async processRow(row: PendingRow, handler: ConnectorHandler | undefined): Promise<void> {
    const { clock, repo, batcher } = this.d
    const startedAt = clock.now()
    void batcher.run(() => repo.markProcessing(row.id, startedAt)).catch(() => undefined)
    this.d.changed(row.practice_id, row.id, 'processing')
    const a = this.newAttempt(row, startedAt)
    const ctx = this.context(row, a, (name, fn) => this.step(a.steps, name, fn), row.inline_raw)
    try {
      if (!handler) throw new AppError('unsupported_message', `No handler for ${row.connector} (${row.direction === 'in' ? 'inbound' : 'outbound'}) transactions.`, { retryable: false })
      const parsed = await this.step(a.steps, 'parse', () => handler.parse(ctx))
      const decision = handler.filter ? await this.step(a.steps, 'filter', () => handler.filter!(parsed, ctx)) : null
      if (decision && !decision.accept) this.filtered(a, decision)
      else {
        const mapped = await this.step(a.steps, 'map', () => handler.map(parsed, ctx))
        await this.step(a.steps, 'apply', () => handler.apply(mapped, ctx))
      }
    } catch (e) {
      this.failed(a, e, handler)
    }
    a.finishedAt = clock.now()
    storedParsed(a, handler)
    // The lane goes on once the outcome is committed (the next row sees it); whoever is told the
    // outcome is told after it is on disk. A power loss in between only means processing again.
    await batcher.run(() => finish(repo, a), { until: 'commit' })
    this.told([a])
  }

  /**
   * Consecutive rows of a `grouped` handler in one write (see the file comment), until `budgetMs`
   * is spent (at least one row) or a row is queued for a retry (the rows behind it wait). Returns
   * the attempts made, in order; the lane moves past those that finished.
   */
  async processGroup(rows: PendingRow[], handler: ConnectorHandler, budgetMs: number): Promise<Result[]> {
    const { clock, batcher, repo } = this.d
    const first = rows[0]
    if (first && first.payload_bytes > BIG_PAYLOAD_BYTES) return [await this.processBig(first, handler)]
    const careful = this.carefulGroups > 0
    if (careful) this.carefulGroups--
    const ahead = handler.premap ? await this.ahead(rows, handler, budgetMs * AHEAD_SHARE) : null
    const done: Attempt[] = []
    // In row order: the attempts made, and rows that left the lane since it read them.
    const results: Result[] = []
    const write = (): void =>
      this.d.remembering(() => {
        if (ahead) {
          for (const p of ahead) if (!this.inWrite(p, handler, done, results)) break
          return
        }
        const t0 = clock.monotonic()
        for (const row of rows) {
          if (done.length > 0 && (clock.monotonic() - t0 >= budgetMs || row.payload_bytes > BIG_PAYLOAD_BYTES)) break
          if (!this.inWrite(this.prepared(row, handler, row.inline_raw), handler, done, results)) break
        }
      })
    try {
      // Without a savepoint a row (store/database.ts withoutSavepoints): the batcher's savepoint
      // around this write takes all of it back if it throws.
      await batcher.run(careful ? write : () => repo.withoutSavepoints(write), { until: 'commit' })
    } catch (e) {
      if (!(e instanceof SavepointsNeeded)) throw e
      // A row's apply failed with its savepoint skipped, so the group's write was taken back. The
      // group runs again from the start (the first run changed its attempts), with a savepoint a
      // row, as do the next groups: failing rows tend to come in runs.
      this.carefulGroups = CAREFUL_GROUPS_AFTER_FAILURE
      return this.processGroup(rows, handler, budgetMs)
    }
    this.told(done)
    return results
  }

  /** Inside the group's write: a prepared row's map, apply and outcome, unless it left the lane; false when the rows behind it must wait (a retry). */
  private inWrite({ a, ctx, parsed }: Prepared, handler: ConnectorHandler, done: Attempt[], results: Result[]): boolean {
    if (this.gone(a.row, results)) return true
    this.applyAndFinish(a, handler, ctx, parsed && this.mappedFrom(a, handler, ctx, parsed.value))
    done.push(a)
    results.push({ id: a.id, status: a.status })
    return a.status !== 'queued'
  }

  /**
   * Inside the group's write: true (and the row's status added to `results`) when the row is no
   * longer pending. Nothing marks a grouped row `processing`, so an operator may discard it after
   * its lane read it; its outcome must not overwrite that (the discard is audited).
   */
  private gone(row: LaneRow, results: Result[]): boolean {
    const status = this.d.repo.statusOf(row.id)
    if (status !== undefined && PENDING.has(status)) return false
    // A row deleted meanwhile (its practice removed) has nothing left to process either.
    results.push({ id: row.id, status: status ?? 'discarded' })
    return true
  }

  /**
   * The work ahead of a group's write, for a handler with `premap`: parse, filter and premap of the
   * group's rows (until `budgetMs` is spent, at least one row), in a slice of the event loop of its
   * own. The write lock is then held for map's store-facing half, apply and the outcome only, so
   * the inbox mover (the other writer) moves rows meanwhile, and no slice holds the sockets for a
   * whole group (hl7-engine/speed-log.md, "Parse and premap before the write"). Parse and filter read
   * the message and the configuration, never what an earlier row's apply writes; whatever premap
   * made, map checks is still current.
   */
  private async ahead(rows: PendingRow[], handler: ConnectorHandler, budgetMs: number): Promise<Prepared[]> {
    const { clock } = this.d
    const out: Prepared[] = []
    const t0 = clock.monotonic()
    this.d.remembering(() => {
      for (const row of rows) {
        if (out.length > 0 && (clock.monotonic() - t0 >= budgetMs || row.payload_bytes > BIG_PAYLOAD_BYTES)) break
        const p = this.prepared(row, handler, row.inline_raw)
        if (p.parsed) {
          try {
            handler.premap!(p.parsed.value, p.ctx)
          } catch {
            // Only a head start: map does all of it itself.
          }
        }
        out.push(p)
        if (p.a.status === 'queued') break
      }
    })
    await turn()
    return out
  }

  /**
   * A big payload (a 5 MB MDM), in a group of its own and in three slices of the event loop, so
   * none holds the console's requests and the ACKs long (hl7-engine/speed-log.md, "Big messages"): its
   * bytes read off the thread (big-payloads.ts; without it, in a turn of its own); parse, filter and
   * map, and the bodies its records will carry (`ConnectorHandler.bodiesOf`) stored by their hash
   * off the thread and on disk before the write that refers to them; then apply and the outcome,
   * whose COMMIT no longer writes the body. Parse and map read the store but write nothing (what
   * they stage for the outcome, `commitWith`, runs in the write), so running them before the write
   * changes nothing a row of the same lane could see: the lane waits for this row.
   */
  private async processBig(row: LaneRow, handler: ConnectorHandler): Promise<Result> {
    const { batcher, records } = this.d
    const payload = await this.readBig(row)
    await turn()
    const { a, ctx, parsed } = this.prepared(row, handler, payload)
    const mapped = parsed && this.mappedFrom(a, handler, ctx, parsed.value)
    const stored = mapped && handler.bodiesOf ? await this.storeBodies(handler.bodiesOf(mapped.value)) : new Map<string, BodyMeta>()
    const results: Result[] = []
    await batcher.run(() => (this.gone(row, results) ? undefined : records.withStoredBodies(stored, () => this.applyAndFinish(a, handler, ctx, mapped))), { until: 'commit' })
    if (results[0]) return results[0]
    this.told([a])
    return { id: a.id, status: a.status }
  }

  /** Bodies stored in `bodies` off the thread, by text; one that could not be is left out (the write stores it then). */
  private async storeBodies(texts: string[]): Promise<Map<string, BodyMeta>> {
    const out = new Map<string, BodyMeta>()
    const worker = this.d.payloads
    if (!worker) return out
    for (const text of texts) {
      if (text === '' || out.has(text)) continue
      try {
        out.set(text, await worker.storeBody(text))
      } catch {
        // The thread stopped or the write failed (logged there): the group's write stores it.
      }
    }
    return out
  }

  private groupContext(row: LaneRow, a: Attempt, payload: Buffer | null): ProcessContext {
    return this.context(row, a, (name, fn) => Promise.resolve(this.stepSync(a.steps, name, () => settled(fn()))), payload)
  }

  /** A grouped handler's row, its attempt begun, parsed and filtered (`payload`: already read, else read now). */
  private prepared(row: LaneRow, handler: ConnectorHandler, payload: Buffer | null): Prepared {
    const a = this.newAttempt(row, this.d.clock.now())
    const ctx = this.groupContext(row, a, payload)
    return { a, ctx, parsed: this.parsedAndFiltered(a, handler, ctx) }
  }

  /** Parse and filter: the parsed value, or null when filtered or failed (recorded in `a`). */
  private parsedAndFiltered(a: Attempt, handler: ConnectorHandler, ctx: ProcessContext): { value: unknown } | null {
    try {
      const parsed = this.stepSync(a.steps, 'parse', () => settled(handler.parse(ctx)))
      const decision = handler.filter ? this.stepSync(a.steps, 'filter', () => settled(handler.filter!(parsed, ctx))) : null
      if (decision && !decision.accept) {
        this.filtered(a, decision)
        return null
      }
      return { value: parsed }
    } catch (e) {
      this.failed(a, e, handler)
      return null
    }
  }

  /** Map of a parsed value: the mapped value, or null when it failed (recorded in `a`). */
  private mappedFrom(a: Attempt, handler: ConnectorHandler, ctx: ProcessContext, parsed: unknown): { value: unknown } | null {
    try {
      return { value: this.stepSync(a.steps, 'map', () => settled(handler.map(parsed, ctx))) }
    } catch (e) {
      this.failed(a, e, handler)
      return null
    }
  }

  /** Inside the group's write: apply (if mapped) in its own savepoint, then the outcome. */
  private applyAndFinish(a: Attempt, handler: ConnectorHandler, ctx: ProcessContext, mapped: { value: unknown } | null): void {
    if (mapped) {
      try {
        // Apply in its own savepoint: a failing apply rolls back what it wrote, and only that
        // (what map staged with the outcome, e.g. the code-map worklist's misses, stays).
        this.d.repo.savepoint(() => this.stepSync(a.steps, 'apply', () => settled(handler.apply(mapped.value, ctx))))
      } catch (e) {
        this.failed(a, e, handler)
      }
    }
    a.finishedAt = this.d.clock.now()
    storedParsed(a, handler)
    finish(this.d.repo, a)
  }

  /** A big payload, from the reader's thread when it runs, else on the main connection in a turn of its own. */
  private async readBig(row: LaneRow): Promise<Buffer> {
    const reader = this.d.payloads
    if (reader) {
      try {
        return await reader.read(row.id, row.payload_version)
      } catch {
        // The reader stopped (it logged why): the main connection reads it.
      }
    }
    await turn()
    return this.d.repo.payloadOf(row)
  }

  private newAttempt(row: LaneRow, startedAt: number): Attempt {
    return { row, id: row.id, status: 'done', attempt: row.attempts + 1, startedAt, steps: [], keys: {}, error: null, filteredBy: null, nextAttemptAt: null, response: null, withOutcome: [] }
  }

  private context(row: LaneRow, a: Attempt, step: ProcessContext['step'], payload: Buffer | null = null): ProcessContext {
    a.payload = payload ?? this.d.repo.payloadOf(row)
    return {
      tx: row as TxRow,
      payload: a.payload,
      attempt: a.attempt,
      records: this.d.records,
      logger: this.d.logger.child({ tx: row.id, connector: row.connector }),
      clock: this.d.clock,
      signal: this.d.signal,
      step,
      setKeys: (k: BusinessKeys) => Object.assign(a.keys!, k),
      // A value is serialised at once, as it was when set; a function only if the stage is stored.
      setParsed: (v) => (typeof v === 'function' ? (a.parsedLater = v as () => unknown) : (a.parsed = json(v))),
      setMapped: (v) => (a.mapped = json(v)),
      setOutbound: (v) => (a.outbound = json(v)),
      setResponse: (t) => (a.response = t),
      commitWith: (w) => void a.withOutcome.push(w),
    }
  }

  private filtered(a: Attempt, decision: { rule: string; reason?: string }): void {
    a.status = 'filtered'
    a.filteredBy = decision.rule
    const last = a.steps[a.steps.length - 1] as StepRecord
    last.outcome = 'filtered'
    last.detail = decision.reason ? `${decision.rule}: ${decision.reason}` : decision.rule
  }

  private failed(a: Attempt, e: unknown, handler: ConnectorHandler | undefined): void {
    const { clock } = this.d
    const error = toErrorData(e)
    a.error = error
    const policy = handler?.retryPolicy?.(a.row as TxRow)
    const max = policy?.maxAttempts ?? handler?.maxAttempts ?? 5
    if (error.retryable && a.attempt < max && !this.d.stopping()) {
      a.status = 'queued'
      const b = policy?.backoff ?? handler?.backoff ?? { baseMs: 2000, capMs: 5 * 60_000 }
      const delay = Math.random() * Math.min(b.capMs, b.baseMs * 2 ** (a.attempt - 1))
      a.nextAttemptAt = clock.now() + Math.round(delay)
      a.steps.push({ step: 'retry', outcome: 'retry', startedAt: clock.now(), durationMs: 0, detail: `attempt ${a.attempt} of ${max}; next in ${Math.round(delay)} ms` })
    } else if (error.retryable && this.d.stopping()) {
      a.status = 'queued'
    } else {
      a.status = 'error'
    }
    // The type and code only: an unexpected error's message can quote the payload (e.g. JSON.parse's SyntaxError).
    if (error.code === 'internal') this.d.logger.error('processing failed with an unexpected error', { tx: a.id, error: (e as Error)?.name ?? typeof e, code: (e as { code?: unknown })?.code })
  }

  /** Committed attempts: the console is told now, whoever waits for an outcome once it is on disk. */
  private told(attempts: Attempt[]): void {
    const tell: { list: { resolve: (o: TxOutcome) => void; reject: (e: unknown) => void }[]; o: TxOutcome }[] = []
    for (const a of attempts) {
      a.response ??= null
      this.d.changed(a.row.practice_id, a.id, a.status)
      const waiting = this.waiters.get(a.id)
      if (!waiting || (a.status === 'queued' && this.d.stopping())) continue
      this.waiters.delete(a.id)
      tell.push({ list: waiting, o: { id: a.id, status: a.status, error: a.error ?? null, filteredBy: a.filteredBy ?? null, response: a.response ?? a.row.response } })
    }
    if (tell.length === 0) return
    this.d.batcher.synced().then(
      () => tell.forEach((t) => t.list.forEach((w) => w.resolve(t.o))),
      (e: unknown) => tell.forEach((t) => t.list.forEach((w) => w.reject(e))),
    )
  }

  async step<T>(steps: StepRecord[], name: string, fn: () => T | Promise<T>): Promise<T> {
    const { clock } = this.d
    const t0 = clock.monotonic()
    const at = clock.now()
    try {
      const v = await fn()
      steps.push({ step: name, outcome: 'ok', startedAt: at, durationMs: round(clock.monotonic() - t0) })
      return v
    } catch (e) {
      steps.push(errorStep(name, at, clock.monotonic() - t0, e))
      throw e
    }
  }

  private stepSync<T>(steps: StepRecord[], name: string, fn: () => T): T {
    const { clock } = this.d
    const t0 = clock.monotonic()
    const at = clock.now()
    try {
      const v = fn()
      steps.push({ step: name, outcome: 'ok', startedAt: at, durationMs: round(clock.monotonic() - t0) })
      return v
    } catch (e) {
      steps.push(errorStep(name, at, clock.monotonic() - t0, e))
      throw e
    }
  }
}

/** The attempt's outcome and the writes that go with it (ProcessContext.commitWith), inside the caller's write. */
function finish(repo: TransactionsRepo, a: Attempt): void {
  for (const w of a.withOutcome) w()
  repo.finish(a as FinishInput)
}

/**
 * The parsed stage the outcome stores: none for a done attempt whose handler re-derives it from
 * the payload (ConnectorHandler.derivedParsed; the UPDATE then clears an older attempt's), else
 * what parse gave, as JSON. Not building, serialising and writing an HL7 message's summary took
 * 14–22 % off the CPU of processing one (hl7-engine/speed-log.md, goal 1).
 */
function storedParsed(a: Attempt, handler: ConnectorHandler | undefined): void {
  if (a.status === 'done' && a.payload && handler?.derivedParsed?.covers(a.payload)) {
    a.parsed = null
    a.parsedDerived = true
  } else if (a.parsedLater) {
    a.parsed = json(a.parsedLater())
  }
}

/** A grouped handler's stage must not wait: its value is used at once, inside the group's write. */
function settled<T>(v: T | Promise<T>): T {
  if (v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function') {
    throw new AppError('internal', 'A grouped pipeline handler returned a promise; its stages must be synchronous.', { retryable: false })
  }
  return v as T
}

function errorStep(name: string, at: number, ms: number, e: unknown): StepRecord {
  const err = toErrorData(e)
  return { step: name, outcome: 'error', startedAt: at, durationMs: round(ms), detail: `${err.code}: ${err.message}` }
}

export function errorOf(row: TxRow): AppErrorData | null {
  if (row.error_code === null) return null
  return { code: row.error_code as AppErrorData['code'], message: row.error_message ?? '', retryable: row.error_retryable === 1 }
}

export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}

function json(v: unknown): string | null {
  if (v === undefined) return null
  return JSON.stringify(v)
}
