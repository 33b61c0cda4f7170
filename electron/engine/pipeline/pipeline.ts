/**
 * The transaction pipeline (docs/ARCHITECTURE.md, "The transaction pipeline"):
 * received → processing → done | filtered | error, and error → queued on reprocess.
 *
 * Receiving is separate from processing. Three parts, one file each:
 * - ingress.ts: receive() and accept() store a message durably (resolving once it is on disk, so a
 *   listener can acknowledge) and kick its lane;
 * - lanes.ts: lanes take rows from the store in id order, per (practice, connector) or per channel;
 * - outcomes.ts: a row's (or a group of rows') parse → filter → map → apply and its outcome.
 * This class assembles them and holds the operator's actions (reprocess, edit, discard, preview).
 * A crash at any point leaves rows `received`/`queued`/`processing`; they are taken again at start.
 */
import { AppError, toErrorData, type AppErrorData } from '../../../shared/errors'
import type { TxStatus } from '../../../shared/api/transactions'
import type { Clock } from '../core/clock'
import type { EventBus } from '../core/event-bus'
import type { Logger } from '../core/logger'
import type { RecordStore } from '../records/record-store'
import type { WriteBatcher } from '../store/write-batcher'
import type { AuditLog } from '../audit/audit-log'
import type { StorageHealth } from '../core/storage-health'
import type { BusinessKeys, ConnectorHandler, ProcessContext } from './connector-handler'
import { payloadPrunedError, sha256 as sha, type StepRecord, type TransactionsRepo } from './transactions-repo'
import type { Direction, IncomingTx, ReceiveResult, TxRow } from './types'
import { Ingress, type AcceptResult, type InboxDeps } from './ingress'
import { Lanes } from './lanes'
import { Outcomes, PENDING, type TxOutcome } from './outcomes'
import type { BigPayloads } from './big-payloads'

export type { AcceptResult } from './ingress'
export type { TxOutcome } from './outcomes'
export { laneRestMs } from './lanes'

export interface PreviewResult {
  steps: StepRecord[]
  parsed: unknown
  mapped: unknown
  keys: BusinessKeys
  error: AppErrorData | null
  filteredBy: string | null
}

export interface PipelineDeps {
  repo: TransactionsRepo
  /** The acknowledgment path's store (inbox-writer.ts) and the move into transactions; without it accept() is receive(). */
  inbox?: InboxDeps
  batcher: WriteBatcher
  records: RecordStore
  audit: AuditLog
  events: EventBus
  clock: Clock
  logger: Logger
  /** Told of every received message's store, refused or not (a full disk is shown in the console). */
  storage?: StorageHealth
  /** Several rows of a grouped handler per COMMIT (default); false: one per COMMIT, the benchmark's baseline. */
  grouping?: boolean
  /** Reads big payloads and writes their bodies off the event loop (big-payloads.ts); without it, on the main connection. */
  payloads?: BigPayloads | null
  /** A lane group's configuration lookups remembered for its synchronous stretches (store/read-scope.ts); default: every lookup reads. */
  remembering?: <T>(fn: () => T) => T
}

const REPROCESSABLE: ReadonlySet<TxStatus> = new Set(['error', 'filtered', 'done', 'discarded'])

export class Pipeline {
  private readonly handlers = new Map<string, ConnectorHandler>()
  private readonly abort = new AbortController()
  private started = false
  private stopping = false
  private readonly changed = new Map<string, { ids: Set<number>; statuses: Set<TxStatus> }>()
  private changedTimer: NodeJS.Timeout | null = null
  private readonly ingress: Ingress
  private readonly lanes: Lanes
  private readonly outcomes: Outcomes

  constructor(private readonly d: PipelineDeps) {
    const changed = (practiceId: string, id: number, status: TxStatus): void => this.noteChanged(practiceId, id, status)
    this.outcomes = new Outcomes({ repo: d.repo, batcher: d.batcher, records: d.records, clock: d.clock, logger: d.logger, signal: this.abort.signal, stopping: () => this.stopping, changed, payloads: d.payloads ?? null, remembering: d.remembering ?? ((fn) => fn()) })
    this.lanes = new Lanes({
      repo: d.repo,
      clock: d.clock,
      logger: d.logger,
      outcomes: this.outcomes,
      handler: (connector, direction) => this.handlers.get(`${connector}:${direction}`),
      active: () => this.started && !this.stopping,
      lastAcceptAt: () => this.ingress.lastAcceptAt,
      grouping: d.grouping !== false,
    })
    this.ingress = new Ingress({ repo: d.repo, inbox: d.inbox, batcher: d.batcher, clock: d.clock, logger: d.logger, storage: d.storage, changed, kick: (p, c, dir, ch) => this.kick(p, c, dir, ch) })
  }

  /** Whether accept() commits on the ingest writer's thread (else it is receive() on this one). */
  get acceptsOffThread(): boolean {
    return this.ingress.acceptsOffThread
  }

  /** Moves every accepted message into transactions now, on this thread (tests, and a view that must be complete). */
  drainInbox(): void {
    this.ingress.drainInbox()
  }

  /** Rows accepted but not yet moved into transactions (shown with the engine's status). */
  inboxBacklog(): number {
    return this.ingress.backlog()
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
    const moved = this.ingress.start()
    if (moved > 0) this.d.logger.info('moved messages accepted before the last shutdown into transactions', { count: moved })
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
    this.ingress.stop()
    this.lanes.stopTimers()
    await Promise.allSettled([...this.lanes.inflight])
    this.abort.abort(new AppError('internal', 'engine stopping'))
    this.flushChanged()
    this.outcomes.rejectWaiters()
  }

  /**
   * Resolves when the transaction's current or next processing attempt ends (done, filtered, error,
   * or queued for a retry), or at once when it is not pending. For connectors that must answer
   * only after processing, e.g. an HL7 listener in application-acknowledgment mode.
   */
  outcome(id: number): Promise<TxOutcome> {
    return this.outcomes.outcome(id)
  }

  /**
   * Durably stores received messages. Resolves once the commit is on disk.
   * Duplicates (same dedup key in the same practice and channel) resolve to the original row.
   */
  receive(tx: IncomingTx): Promise<ReceiveResult> {
    return this.ingress.receive(tx)
  }

  /**
   * Durably accepts a received message for the acknowledgment path: committed to the inbox by the
   * ingest writer's thread (resolves after that COMMIT) and moved into transactions shortly after.
   * Same dedup as receive(). Without a running ingest writer this is receive().
   */
  accept(tx: IncomingTx): Promise<AcceptResult> {
    return this.ingress.accept(tx)
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
        const pruned = payloadPrunedError(row)
        if (pruned) {
          skipped.push({ id, reason: pruned.message })
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
        this.lanes.rewind(row, id)
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
      // An edit replaces the payload wholesale, but the operator could only have written it from
      // the original (gone) and its reprocess would run with no original to compare against.
      const pruned = payloadPrunedError(row)
      if (pruned) throw pruned
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
    this.lanes.rewind(version.row, id)
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
    const pruned = payloadPrunedError(row)
    if (pruned) throw pruned
    const handler = this.handlers.get(`${row.connector}:${row.direction}`)
    const steps: StepRecord[] = []
    const stage: { parsed?: unknown; mapped?: unknown } = {}
    const keys: BusinessKeys = {}
    const clock = this.d.clock
    const runStep = <T>(name: string, fn: () => T | Promise<T>): Promise<T> => this.outcomes.step(steps, name, fn)
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
      setParsed: (v) => (stage.parsed = typeof v === 'function' ? (v as () => unknown)() : v),
      setMapped: (v) => (stage.mapped = v),
      setOutbound: () => undefined,
      setResponse: () => undefined,
      commitWith: () => undefined,
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
   * A transaction's parsed stage as JSON text: the stored one, or, for a done transaction whose
   * handler did not store it (ConnectorHandler.derivedParsed), re-derived from its payload and
   * marked `derived`. Null when it has none (retention removed the payload and the stages with it).
   */
  parsedStage(row: TxRow): { text: string; derived: boolean } | null {
    if (row.parsed !== null) return { text: row.parsed, derived: false }
    const d = this.derivable(row)
    if (!d) return null
    try {
      return { text: JSON.stringify(d.derive.of(d.payload)), derived: true }
    } catch {
      return null
    }
  }

  /**
   * Whether a transaction has a parsed stage, and whether it is derived, without deriving it: a
   * detail view lists its stages, and parsing a 5 MB message to say so would hold the thread.
   */
  parsedStageKind(row: TxRow): 'stored' | 'derived' | null {
    if (row.parsed !== null) return 'stored'
    return this.derivable(row) ? 'derived' : null
  }

  /** The handler's derivedParsed and the payload it covers, for a done row with no stored parsed stage. */
  private derivable(row: TxRow): { derive: NonNullable<ConnectorHandler['derivedParsed']>; payload: Buffer } | null {
    if (row.status !== 'done' || row.raw_pruned_at !== null) return null
    const derive = this.handlers.get(`${row.connector}:${row.direction}`)?.derivedParsed
    const payload = derive && this.d.repo.currentPayload(row)
    return derive && payload && derive.covers(payload) ? { derive, payload } : null
  }

  /**
   * Makes sure the lane of a transaction is running: (practice, connector), or
   * (practice, connector, direction, channel) when that direction's handler asks for per-channel lanes.
   */
  kick(practiceId: string, connector: string, direction?: Direction, channel?: string): void {
    if (!this.started || this.stopping) return
    this.lanes.kick(practiceId, connector, direction, channel)
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
      const busy = this.lanes.busy || this.ingress.backlog() > 0 || this.ingress.movedUnannounced()
      if (!busy && this.lanes.inflight.size === 0) return
      if (Date.now() > until) throw new AppError('timeout', 'pipeline did not become idle')
      await new Promise((r) => setTimeout(r, 10))
    }
  }
}
