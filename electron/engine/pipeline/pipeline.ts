/**
 * The transaction pipeline (docs/ARCHITECTURE.md, "Transactions"):
 * received → processing → done | filtered | error, and error → queued on reprocess.
 *
 * Receiving is separate from processing: `receive()` only commits the raw payload (group commit)
 * and resolves once it is durable, so a listener can acknowledge. Lanes then process rows from the
 * store in id order, one at a time per (practice, connector); a crash at any point leaves the row
 * `received`/`queued`/`processing` and it is picked up again at the next start.
 */
import { AppError, toErrorData, type AppErrorData } from '../../../shared/errors'
import type { TxStatus } from '../../../shared/api/transactions'
import type { Clock } from '../core/clock'
import type { EventBus } from '../core/event-bus'
import type { Logger } from '../core/logger'
import type { RecordStore } from '../records/record-store'
import type { WriteBatcher } from '../store/write-batcher'
import type { AuditLog } from '../audit/audit-log'
import type { BusinessKeys, ConnectorHandler, ProcessContext } from './connector-handler'
import { sha256 as sha, type StepRecord, type TransactionsRepo } from './transactions-repo'
import type { Direction, IncomingTx, ReceiveResult, TxRow } from './types'
import { InboxMover, type MovedRow } from './inbox-mover'
import type { InboxMoveWorker } from './inbox-move-worker'
import { toInboxItem, type InboxRepo } from './inbox-repo'
import type { InboxWriter } from './inbox-writer'
import type { StorageHealth } from '../core/storage-health'

export interface PreviewResult {
  steps: StepRecord[]
  parsed: unknown
  mapped: unknown
  keys: BusinessKeys
  error: AppErrorData | null
  filteredBy: string | null
}

interface Lane {
  key: string
  practiceId: string
  connector: string
  /** Set for a per-channel lane (handler `lanes: 'channel'`); null for the connector-wide lane. */
  direction: Direction | null
  channel: string | null
  running: boolean
  /** Rows with id <= cursor have been taken by this lane in this process. */
  cursor: number
  /** A pending rewind of the cursor (see rewind()). */
  rewindTo: number | null
  timer: NodeJS.Timeout | null
  wake: boolean
  /** Runs in a row that ended in an exception (a full disk, say), for the retry's backoff. */
  crashes: number
}

/** A crashed lane is started again after this, doubling up to the cap, so nothing waits for the next message to arrive. */
const LANE_RETRY_BASE_MS = 1000
const LANE_RETRY_CAP_MS = 30_000

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

/** How accept() stored a message: in the inbox (moved into transactions shortly) or already a transaction. */
export interface AcceptResult {
  duplicate: boolean
  table: 'inbox' | 'transactions'
  /** The inbox row id or the transaction id, per `table`. */
  id: number
  /** For a duplicate: the response stored with the original (e.g. its ACK). */
  response: string | null
}

export interface PipelineDeps {
  repo: TransactionsRepo
  /** The acknowledgment path's store (inbox-writer.ts) and the move into transactions; without it accept() is receive(). */
  inbox?: { repo: InboxRepo; writer: InboxWriter | null; mover: InboxMoveWorker | null; transact: <T>(fn: () => T) => T }
  batcher: WriteBatcher
  records: RecordStore
  audit: AuditLog
  events: EventBus
  clock: Clock
  logger: Logger
  /** Told of every received message's store, refused or not (a full disk is shown in the console). */
  storage?: StorageHealth
}

const PENDING: ReadonlySet<TxStatus> = new Set(['received', 'queued', 'processing'])
const REPROCESSABLE: ReadonlySet<TxStatus> = new Set(['error', 'filtered', 'done', 'discarded'])

export class Pipeline {
  private readonly handlers = new Map<string, ConnectorHandler>()
  private readonly lanes = new Map<string, Lane>()
  private readonly inflight = new Set<Promise<void>>()
  private readonly abort = new AbortController()
  private started = false
  private stopping = false
  private readonly changed = new Map<string, { ids: Set<number>; statuses: Set<TxStatus> }>()
  private changedTimer: NodeJS.Timeout | null = null
  private readonly waiters = new Map<number, { resolve: (o: TxOutcome) => void; reject: (e: unknown) => void }[]>()

  private readonly mover: InboxMover | null = null
  /** How far moved rows have reached this thread (lanes kicked): the mover's thread may be ahead of it. */
  private announcedCursor = 0
  /** When accept() was last called (monotonic ms): while messages keep arriving, lanes share the thread. */
  private lastAcceptAt = Number.NEGATIVE_INFINITY

  constructor(private readonly d: PipelineDeps) {
    const inbox = d.inbox
    if (inbox) {
      this.announcedCursor = inbox.repo.cursor()
      const onMoved = (rows: MovedRow[], cursor: number): void => {
        this.announcedCursor = Math.max(this.announcedCursor, cursor)
        for (const r of rows) {
          this.noteChanged(r.practiceId, r.id, r.status)
          if (r.status === 'received') this.kick(r.practiceId, r.connector, r.direction, r.channel)
        }
      }
      // A move on this thread can start past rows the mover's thread committed whose "moved" message
      // is still unread here: their lanes are found from the store, so idle() never skips them.
      const onMovedHere = (rows: MovedRow[], cursor: number, from: number): void => {
        const gap = from > this.announcedCursor
        onMoved(rows, cursor)
        if (gap) for (const l of d.repo.pendingLanes()) this.kick(l.practice_id, l.connector, l.direction, l.channel)
      }
      this.mover = new InboxMover({ inbox: inbox.repo, repo: d.repo, batcher: d.batcher, clock: d.clock, logger: d.logger.child({ component: 'inbox' }), transact: inbox.transact, onMoved: onMovedHere })
      // The mover's thread moves what the writer accepted; without it (or once it died) this thread does.
      const worker = inbox.mover
      worker?.onMoved(onMoved)
      worker?.onDeath(() => {
        d.logger.error('the inbox mover stopped; moving accepted messages on the main thread')
        this.mover?.activate()
      })
      inbox.writer?.onCommitted(() => (worker?.alive ? worker.cue() : this.mover?.cue()))
    }
  }

  /** Whether accept() commits on the ingest writer's thread (else it is receive() on this one). */
  get acceptsOffThread(): boolean {
    return this.d.inbox?.writer?.alive === true
  }

  /** Moves every accepted message into transactions now, on this thread (tests, and a view that must be complete). */
  drainInbox(): void {
    this.mover?.moveAll()
  }

  /** Rows the mover's thread has committed into transactions whose lanes this thread has not yet kicked. */
  private movedUnannounced(): boolean {
    return this.d.inbox !== undefined && this.d.inbox.repo.cursor() > this.announcedCursor
  }

  /** Rows accepted but not yet moved into transactions (shown with the engine's status). */
  inboxBacklog(): number {
    return this.d.inbox ? this.d.inbox.repo.backlog() : 0
  }

  /**
   * Counts a resend of a stored message, for the listener's duplicates counter to open. Off the
   * acknowledgment path: the duplicate was answered already, and a lost count loses no message.
   */
  noteResent(practiceId: string, channel: string, dedupKey: string): void {
    this.d.batcher
      .run(() => this.d.repo.noteResent(practiceId, channel, dedupKey, this.d.clock.now()), { until: 'commit' })
      .catch((e: unknown) => this.d.logger.warn('a resend could not be counted', { code: (e as { code?: unknown })?.code }))
  }

  register(handler: ConnectorHandler<never, never> | ConnectorHandler): void {
    this.handlers.set(`${handler.connector}:${handler.direction}`, handler as ConnectorHandler)
  }

  /** Resumes whatever was pending when the engine last stopped (or crashed). */
  start(): void {
    if (this.started) return
    this.started = true
    const moved = this.mover?.moveAll() ?? []
    if (moved.length > 0) this.d.logger.info('moved messages accepted before the last shutdown into transactions', { count: moved.length })
    if (this.d.inbox && !this.d.inbox.mover?.alive) this.mover?.activate()
    const reset = this.d.repo.resetInterrupted(this.d.clock.now())
    if (reset > 0) this.d.logger.warn('requeued transactions interrupted by the last shutdown', { count: reset })
    this.kickPending()
  }

  /** Starts every lane with rows to process (after start, or when a held channel may go on). */
  kickPending(): void {
    for (const l of this.d.repo.pendingLanes()) this.kick(l.practice_id, l.connector, l.direction, l.channel)
  }

  /** Stops taking new rows; rows being processed finish; the rest stay queued in the store. */
  async stop(): Promise<void> {
    this.stopping = true
    this.mover?.stop()
    for (const lane of this.lanes.values()) if (lane.timer) clearTimeout(lane.timer)
    await Promise.allSettled([...this.inflight])
    this.abort.abort(new AppError('internal', 'engine stopping'))
    this.flushChanged()
    for (const list of this.waiters.values()) for (const w of list) w.reject(new AppError('internal', 'engine stopping', { retryable: true }))
    this.waiters.clear()
  }

  /**
   * Resolves when the transaction's current or next processing attempt ends (done, filtered, error,
   * or queued for a retry), or at once when it is not pending. For connectors that must answer
   * only after processing, e.g. an HL7 listener in application-acknowledgment mode.
   */
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

  /**
   * Durably stores received messages. Resolves after COMMIT (synchronous=FULL) returned.
   * Duplicates (same dedup key in the same practice and channel) resolve to the original row.
   */
  receive(tx: IncomingTx): Promise<ReceiveResult> {
    return this.tracked('receive', this.store(tx))
  }

  private async store(tx: IncomingTx): Promise<ReceiveResult> {
    const now = this.d.clock.now()
    const inbox = this.d.inbox
    // The same message may be waiting in the inbox: move it first so dedup finds the transaction.
    if (inbox && tx.dedupKey && inbox.repo.idForKey(tx.practiceId, tx.channel, tx.dedupKey) !== undefined) this.mover?.moveAll()
    const r = await this.d.batcher.run(() => this.d.repo.insert(tx, now))
    if (!r.duplicate) {
      this.noteChanged(tx.practiceId, r.id, r.status)
      if (r.status === 'received') this.kick(tx.practiceId, tx.connector, tx.direction, tx.channel)
    }
    return r
  }

  /**
   * Durably accepts a received message for the acknowledgment path: committed to the inbox by the
   * ingest writer's thread (resolves after that COMMIT) and moved into transactions shortly after.
   * Same dedup as receive(). Without a running ingest writer this is receive().
   */
  async accept(tx: IncomingTx): Promise<AcceptResult> {
    const writer = this.d.inbox?.writer
    if (!writer?.alive || tx.error || tx.notBefore != null) {
      const r = await this.receive(tx)
      return { duplicate: r.duplicate, table: 'transactions', id: r.id, response: r.response }
    }
    this.lastAcceptAt = this.d.clock.monotonic()
    return this.tracked('ingest', writer.write(toInboxItem(tx, this.d.clock.now())))
  }

  private tracked<T>(where: string, p: Promise<T>): Promise<T> {
    const storage = this.d.storage
    if (!storage) return p
    return p.then(
      (r) => {
        storage.succeeded()
        return r
      },
      (e: unknown) => {
        storage.failed(where, e)
        throw e
      },
    )
  }

  /** Queues transactions for processing again (from error, filtered, done or discarded). */
  async reprocess(ids: number[], actor: string): Promise<{ queued: number[]; skipped: { id: number; reason: string }[] }> {
    const queued: number[] = []
    const skipped: { id: number; reason: string }[] = []
    await this.d.batcher.run(() => {
      const now = this.d.clock.now()
      for (const id of ids) {
        const row = this.d.repo.get(id)
        if (!row) {
          skipped.push({ id, reason: 'not found' })
          continue
        }
        if (!REPROCESSABLE.has(row.status)) {
          skipped.push({ id, reason: `already ${row.status}` })
          continue
        }
        this.d.repo.requeue(id, now)
        this.d.audit.append({ actor, action: 'transaction.reprocess', practiceId: row.practice_id, targetType: 'transaction', targetId: String(id), details: { from: row.status, payloadVersion: row.payload_version } })
        queued.push(id)
      }
    })
    for (const id of queued) {
      const row = this.d.repo.get(id)
      if (row) {
        this.rewind(row, id)
        this.noteChanged(row.practice_id, id, 'queued')
      }
    }
    return { queued, skipped }
  }

  /** Stores an edited payload as a new version (the original is kept) and queues the transaction. */
  async editAndReprocess(id: number, raw: Buffer, reason: string, actor: string): Promise<{ id: number; payloadVersion: number }> {
    const version = await this.d.batcher.run(() => {
      const row = this.d.repo.get(id)
      if (!row) throw new AppError('not_found', `Transaction ${id} does not exist.`)
      if (PENDING.has(row.status)) throw new AppError('conflict', `Transaction ${id} is ${row.status}; wait for it to finish before editing.`)
      const now = this.d.clock.now()
      const before = this.d.repo.currentPayload(row)
      const v = this.d.repo.addPayloadVersion(id, raw, actor, reason, now)
      this.d.repo.requeue(id, now, v)
      this.d.audit.append({
        actor,
        action: 'transaction.edit',
        practiceId: row.practice_id,
        targetType: 'transaction',
        targetId: String(id),
        details: { reason, payloadVersion: v, previousSha256: sha(before), sha256: sha(raw), bytes: raw.length },
      })
      return { v, practiceId: row.practice_id, row }
    })
    this.rewind(version.row, id)
    this.noteChanged(version.practiceId, id, 'queued')
    return { id, payloadVersion: version.v }
  }

  async discard(ids: number[], reason: string, actor: string): Promise<{ discarded: number[]; skipped: { id: number; reason: string }[] }> {
    const discarded: number[] = []
    const skipped: { id: number; reason: string }[] = []
    const touched: { practiceId: string; id: number }[] = []
    await this.d.batcher.run(() => {
      const now = this.d.clock.now()
      for (const id of ids) {
        const row = this.d.repo.get(id)
        if (!row) {
          skipped.push({ id, reason: 'not found' })
          continue
        }
        if (row.status === 'processing') {
          skipped.push({ id, reason: 'processing' })
          continue
        }
        this.d.repo.discard(id, reason, now)
        this.d.audit.append({ actor, action: 'transaction.discard', practiceId: row.practice_id, targetType: 'transaction', targetId: String(id), details: { reason, from: row.status } })
        discarded.push(id)
        touched.push({ practiceId: row.practice_id, id })
      }
    })
    for (const t of touched) this.noteChanged(t.practiceId, t.id, 'discarded')
    return { discarded, skipped }
  }

  /**
   * Dry run: parse, filter and map a transaction (optionally with an edited payload) without
   * applying anything or changing its row. The console shows this before an edit is reprocessed.
   */
  async preview(id: number, raw?: Buffer): Promise<PreviewResult> {
    const row = this.d.repo.get(id)
    if (!row) throw new AppError('not_found', `Transaction ${id} does not exist.`)
    const handler = this.handlers.get(`${row.connector}:${row.direction}`)
    const steps: StepRecord[] = []
    const stage: { parsed?: unknown; mapped?: unknown } = {}
    const keys: BusinessKeys = {}
    const clock = this.d.clock
    const runStep = async <T>(name: string, fn: () => T | Promise<T>): Promise<T> => {
      const t0 = clock.monotonic()
      try {
        const v = await fn()
        steps.push({ step: name, outcome: 'ok', startedAt: clock.now(), durationMs: round(clock.monotonic() - t0) })
        return v
      } catch (e) {
        const err = toErrorData(e)
        steps.push({ step: name, outcome: 'error', startedAt: clock.now(), durationMs: round(clock.monotonic() - t0), detail: `${err.code}: ${err.message}` })
        throw e
      }
    }
    const ctx: ProcessContext = {
      tx: row,
      payload: raw ?? this.d.repo.currentPayload(row),
      attempt: row.attempts + 1,
      records: this.d.records,
      logger: this.d.logger.child({ tx: row.id, preview: true }),
      clock,
      signal: this.abort.signal,
      step: runStep,
      setKeys: (k) => Object.assign(keys, k),
      setParsed: (v) => (stage.parsed = v),
      setMapped: (v) => (stage.mapped = v),
      setOutbound: () => undefined,
      setResponse: () => undefined,
    }
    let error: AppErrorData | null = null
    let filteredBy: string | null = null
    let mapped: unknown
    try {
      if (!handler) throw new AppError('unsupported_message', `No handler for ${row.connector} transactions.`)
      const parsed = await runStep('parse', () => handler.parse(ctx))
      const decision = handler.filter ? await runStep('filter', () => handler.filter!(parsed, ctx)) : ({ accept: true } as const)
      if (!decision.accept) filteredBy = decision.rule
      else mapped = await runStep('map', () => handler.map(parsed, ctx))
    } catch (e) {
      error = toErrorData(e)
    }
    return { steps, parsed: stage.parsed ?? null, mapped: stage.mapped ?? mapped ?? null, keys, error, filteredBy }
  }

  /**
   * Makes sure the lane of a transaction is running: (practice, connector), or
   * (practice, connector, direction, channel) when that direction's handler asks for per-channel lanes.
   */
  kick(practiceId: string, connector: string, direction?: Direction, channel?: string): void {
    if (!this.started || this.stopping) return
    this.runIfIdle(this.laneFor(practiceId, connector, direction, channel))
  }

  private laneFor(practiceId: string, connector: string, direction?: Direction, channel?: string): Lane {
    const perChannel = direction !== undefined && channel !== undefined && this.handlers.get(`${connector}:${direction}`)?.lanes === 'channel'
    const key = perChannel ? `${practiceId}\u0000${connector}\u0000${direction}\u0000${channel}` : `${practiceId}\u0000${connector}`
    let lane = this.lanes.get(key)
    if (!lane) {
      lane = { key, practiceId, connector, direction: perChannel ? direction : null, channel: perChannel ? channel : null, running: false, cursor: 0, rewindTo: null, timer: null, wake: false, crashes: 0 }
      this.lanes.set(key, lane)
    }
    return lane
  }

  /** Whether the handler(s) behind a lane say it is paused: the channel's, or the connector lane's. */
  private isHeld(lane: Lane): boolean {
    if (lane.direction !== null) return Boolean(this.handlers.get(`${lane.connector}:${lane.direction}`)?.held?.(lane.practiceId, lane.channel))
    return (['in', 'out'] as const).some((d) => {
      const h = this.handlers.get(`${lane.connector}:${d}`)
      return h !== undefined && h.lanes !== 'channel' && Boolean(h.held?.(lane.practiceId, null))
    })
  }

  /** The rows a lane takes: its channel, or its connector minus the directions that run per channel. */
  private laneScope(lane: Lane): { exceptDirection: Direction } | { direction: Direction; channel: string } | undefined | null {
    if (lane.direction !== null && lane.channel !== null) return { direction: lane.direction, channel: lane.channel }
    const perChannel = (['in', 'out'] as const).filter((d) => this.handlers.get(`${lane.connector}:${d}`)?.lanes === 'channel')
    if (perChannel.length === 2) return null
    return perChannel.length === 1 ? { exceptDirection: perChannel[0] } : undefined
  }

  private runIfIdle(lane: Lane): void {
    if (!this.started || this.stopping) return
    if (lane.running) {
      lane.wake = true
      return
    }
    if (lane.timer) {
      clearTimeout(lane.timer)
      lane.timer = null
    }
    const p = this.runLane(lane).then(
      () => {
        lane.crashes = 0
      },
      (e: unknown) => {
        // Whatever threw (the outcome's commit on a full disk) left its row pending: try again later.
        lane.crashes++
        const inMs = Math.min(LANE_RETRY_CAP_MS, LANE_RETRY_BASE_MS * 2 ** (lane.crashes - 1))
        this.d.logger.error('lane crashed; starting it again later', { lane: lane.connector, channel: lane.channel, practiceId: lane.practiceId, error: (e as Error).message, inMs })
        if (this.stopping || lane.running || lane.timer) return
        lane.timer = setTimeout(() => {
          lane.timer = null
          this.runIfIdle(lane)
        }, inMs)
      },
    )
    this.inflight.add(p)
    void p.finally(() => this.inflight.delete(p))
  }

  /**
   * A row behind the lane's cursor became pending again (reprocess, edit). The lane may be busy
   * with a newer row right now, so the rewind is recorded and applied at the top of its loop,
   * after that row has moved the cursor forward, never lost to it.
   */
  private rewind(row: TxRow, id: number): void {
    const lane = this.laneFor(row.practice_id, row.connector, row.direction, row.channel)
    lane.rewindTo = Math.min(lane.rewindTo ?? Number.POSITIVE_INFINITY, id - 1)
    lane.wake = true
    this.runIfIdle(lane)
  }

  private async runLane(lane: Lane): Promise<void> {
    lane.running = true
    try {
      for (;;) {
        if (this.stopping) return
        lane.wake = false
        if (lane.rewindTo !== null) {
          lane.cursor = Math.min(lane.cursor, lane.rewindTo)
          lane.rewindTo = null
        }
        if (this.isHeld(lane)) {
          // Paused: the rows wait untouched, in order; kickPending() starts the lane again.
          return
        }
        const scope = this.laneScope(lane)
        const row = scope === null ? undefined : this.d.repo.nextInLane(lane.practiceId, lane.connector, lane.cursor, scope)
        if (!row) {
          if (lane.wake) continue
          return
        }
        const now = this.d.clock.now()
        if (row.next_attempt_at !== null && row.next_attempt_at > now) {
          // Order is kept per lane: the head waits for its retry time and the rows behind it wait too.
          lane.timer = setTimeout(() => {
            lane.timer = null
            this.runIfIdle(lane)
          }, row.next_attempt_at - now)
          return
        }
        const t0 = this.d.clock.monotonic()
        await this.processRow(row)
        const rest = laneRestMs(this.d.clock.monotonic() - t0, t0 - this.lastAcceptAt)
        if (rest > 0) await new Promise((r) => setTimeout(r, rest))
        // A retried row stays the head of the lane; anything else moves the cursor past it.
        const after = this.d.repo.statusOf(row.id)
        if (!after || !PENDING.has(after)) lane.cursor = Math.max(lane.cursor, row.id)
      }
    } finally {
      lane.running = false
      if (lane.wake && !this.stopping) this.runIfIdle(lane)
    }
  }

  private async processRow(row: TxRow): Promise<void> {
    const { clock, repo, batcher, logger } = this.d
    const handler = this.handlers.get(`${row.connector}:${row.direction}`)
    const attempt = row.attempts + 1
    const startedAt = clock.now()
    void batcher.run(() => repo.markProcessing(row.id, startedAt)).catch(() => undefined)
    this.noteChanged(row.practice_id, row.id, 'processing')

    const steps: StepRecord[] = []
    const stage: { parsed?: unknown; mapped?: unknown; outbound?: unknown; response?: string } = {}
    const keys: BusinessKeys = {}
    const runStep = async <T>(name: string, fn: () => T | Promise<T>): Promise<T> => {
      const t0 = clock.monotonic()
      const at = clock.now()
      try {
        const v = await fn()
        steps.push({ step: name, outcome: 'ok', startedAt: at, durationMs: round(clock.monotonic() - t0) })
        return v
      } catch (e) {
        const err = toErrorData(e)
        steps.push({ step: name, outcome: 'error', startedAt: at, durationMs: round(clock.monotonic() - t0), detail: `${err.code}: ${err.message}` })
        throw e
      }
    }
    const ctx: ProcessContext = {
      tx: row,
      payload: repo.currentPayload(row),
      attempt,
      records: this.d.records,
      logger: logger.child({ tx: row.id, connector: row.connector }),
      clock,
      signal: this.abort.signal,
      step: runStep,
      setKeys: (k) => Object.assign(keys, k),
      setParsed: (v) => (stage.parsed = v),
      setMapped: (v) => (stage.mapped = v),
      setOutbound: (v) => (stage.outbound = v),
      setResponse: (t) => (stage.response = t),
    }

    let status: 'done' | 'filtered' | 'error' | 'queued' = 'done'
    let error: AppErrorData | null = null
    let filteredBy: string | null = null
    let nextAttemptAt: number | null = null
    try {
      if (!handler) throw new AppError('unsupported_message', `No handler for ${row.connector} (${row.direction === 'in' ? 'inbound' : 'outbound'}) transactions.`, { retryable: false })
      const parsed = await runStep('parse', () => handler.parse(ctx))
      if (handler.filter) {
        const decision = await runStep('filter', () => handler.filter!(parsed, ctx))
        if (!decision.accept) {
          status = 'filtered'
          filteredBy = decision.rule
          steps[steps.length - 1].outcome = 'filtered'
          steps[steps.length - 1].detail = decision.reason ? `${decision.rule}: ${decision.reason}` : decision.rule
        }
      }
      if (status === 'done') {
        const mapped = await runStep('map', () => handler.map(parsed, ctx))
        await runStep('apply', () => handler.apply(mapped, ctx))
      }
    } catch (e) {
      error = toErrorData(e)
      const policy = handler?.retryPolicy?.(row)
      const max = policy?.maxAttempts ?? handler?.maxAttempts ?? 5
      if (error.retryable && attempt < max && !this.stopping) {
        status = 'queued'
        const b = policy?.backoff ?? handler?.backoff ?? { baseMs: 2000, capMs: 5 * 60_000 }
        const delay = Math.random() * Math.min(b.capMs, b.baseMs * 2 ** (attempt - 1))
        nextAttemptAt = clock.now() + Math.round(delay)
        steps.push({ step: 'retry', outcome: 'retry', startedAt: clock.now(), durationMs: 0, detail: `attempt ${attempt} of ${max}; next in ${Math.round(delay)} ms` })
      } else if (error.retryable && this.stopping) {
        status = 'queued'
      } else {
        status = 'error'
      }
      // The type and code only: an unexpected error's message can quote the payload (e.g. JSON.parse's SyntaxError).
      if (error.code === 'internal') logger.error('processing failed with an unexpected error', { tx: row.id, error: (e as Error)?.name ?? typeof e, code: (e as { code?: unknown })?.code })
    }
    const finishedAt = clock.now()
    // The lane goes on once the outcome is committed (the next row sees it); whoever is told the
    // outcome is told after it is on disk. A power loss in between only means processing again.
    await batcher.run(
      () =>
      repo.finish({
        id: row.id,
        status,
        attempt,
        startedAt,
        finishedAt,
        steps,
        parsed: json(stage.parsed),
        mapped: json(stage.mapped),
        outbound: json(stage.outbound),
        response: stage.response ?? null,
        keys,
        error,
        filteredBy,
        nextAttemptAt,
      }),
      { until: 'commit' },
    )
    this.noteChanged(row.practice_id, row.id, status)
    const waiting = this.waiters.get(row.id)
    if (waiting && !(status === 'queued' && this.stopping)) {
      this.waiters.delete(row.id)
      const o: TxOutcome = { id: row.id, status, error, filteredBy, response: stage.response ?? row.response }
      batcher.synced().then(
        () => waiting.forEach((w) => w.resolve(o)),
        (e: unknown) => waiting.forEach((w) => w.reject(e)),
      )
    }
  }

  private noteChanged(practiceId: string, id: number, status: TxStatus): void {
    let c = this.changed.get(practiceId)
    if (!c) {
      c = { ids: new Set(), statuses: new Set() }
      this.changed.set(practiceId, c)
    }
    if (c.ids.size < 500) c.ids.add(id)
    c.statuses.add(status)
    // Coalesce: the console refreshes at most a few times per second, however busy the engine is.
    if (!this.changedTimer) this.changedTimer = setTimeout(() => this.flushChanged(), 250)
  }

  private flushChanged(): void {
    if (this.changedTimer) clearTimeout(this.changedTimer)
    this.changedTimer = null
    for (const [practiceId, c] of this.changed) {
      this.d.events.emit('transactions.changed', { practiceId, ids: [...c.ids], statuses: [...c.statuses] })
    }
    this.changed.clear()
  }

  /** Resolves when no lane has work it can do right now (used by tests and graceful shutdown). */
  async idle(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs
    for (;;) {
      const busy = [...this.lanes.values()].some((l) => l.running) || this.inboxBacklog() > 0 || this.movedUnannounced()
      if (!busy && this.inflight.size === 0) return
      if (Date.now() > until) throw new AppError('timeout', 'pipeline did not become idle')
      await new Promise((r) => setTimeout(r, 10))
    }
  }
}

/**
 * Share of the thread a lane takes while accept() is being called (within the last 20 ms):
 * acknowledging comes first, like the inbox mover's 30%. Measured over 16 saturating connections
 * with one lane mapping every message: at 1.0 the paced ACK p99 was ~20 ms, at 0.5 ~11 ms with
 * half the processing rate, at 0.3 no better than 0.5. Once the burst eases, lanes run flat out.
 */
const LANE_SHARE_WHILE_ACCEPTING = 0.5
const ACCEPTING_WITHIN_MS = 20

/** How long a lane rests after a row that took `spentMs`, accept() having last been called `sinceAcceptMs` ago. */
export function laneRestMs(spentMs: number, sinceAcceptMs: number): number {
  if (sinceAcceptMs >= ACCEPTING_WITHIN_MS || spentMs <= 0) return 0
  return (spentMs * (1 - LANE_SHARE_WHILE_ACCEPTING)) / LANE_SHARE_WHILE_ACCEPTING
}

function errorOf(row: TxRow): AppErrorData | null {
  if (row.error_code === null) return null
  return { code: row.error_code as AppErrorData['code'], message: row.error_message ?? '', retryable: row.error_retryable === 1 }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}

function json(v: unknown): string | null {
  if (v === undefined) return null
  return JSON.stringify(v)
}
