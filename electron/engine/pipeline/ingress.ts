/**
 * Ingress (docs/ARCHITECTURE.md, "Receive" and "Accept"): a received message is stored durably
 * before anyone is told, and its lane is kicked once it is a transaction.
 * - `receive()`: a row in `transactions` through the group commit (WriteBatcher) on this thread.
 * - `accept()`: the acknowledgment path: committed to the inbox file by the ingest writer's thread,
 *   moved into `transactions` by the inbox mover's thread shortly after (this thread moves when
 *   either worker is missing).
 * Dedup keys return the original row and its stored response (e.g. the original ACK).
 */
import type { TxStatus } from '../../../shared/api/transactions'
import type { Clock } from '../core/clock'
import type { Logger } from '../core/logger'
import type { StorageHealth } from '../core/storage-health'
import type { WriteBatcher } from '../store/write-batcher'
import { InboxMover, type MovedRow } from './inbox-mover'
import type { InboxMoveWorker } from './inbox-move-worker'
import { toInboxItem, type InboxRepo } from './inbox-repo'
import type { InboxWriter } from './inbox-writer'
import type { TransactionsRepo } from './transactions-repo'
import type { Direction, IncomingTx, ReceiveResult } from './types'

/** How accept() stored a message: in the inbox (moved into transactions shortly) or already a transaction. */
export interface AcceptResult {
  duplicate: boolean
  table: 'inbox' | 'transactions'
  /** The inbox row id or the transaction id, per `table`. */
  id: number
  /** For a duplicate: the response stored with the original (e.g. its ACK). */
  response: string | null
}

export interface InboxDeps {
  repo: InboxRepo
  writer: InboxWriter | null
  mover: InboxMoveWorker | null
  transact: <T>(fn: () => T) => T
}

export interface IngressDeps {
  repo: TransactionsRepo
  inbox?: InboxDeps
  batcher: WriteBatcher
  clock: Clock
  logger: Logger
  storage?: StorageHealth
  /** A stored row's status is news (the console is told). */
  changed(practiceId: string, id: number, status: TxStatus): void
  /** A row became pending in this lane. */
  kick(practiceId: string, connector: string, direction?: Direction, channel?: string): void
}

export class Ingress {
  private readonly mover: InboxMover | null = null
  /** How far moved rows have reached this thread (lanes kicked): the mover's thread may be ahead of it. */
  private announcedCursor = 0
  /** When accept() was last called (monotonic ms): while messages keep arriving, lanes share the thread. */
  lastAcceptAt = Number.NEGATIVE_INFINITY

  constructor(private readonly d: IngressDeps) {
    const inbox = d.inbox
    if (!inbox) return
    this.announcedCursor = inbox.repo.cursor()
    const onMoved = (rows: MovedRow[], cursor: number): void => {
      this.announcedCursor = Math.max(this.announcedCursor, cursor)
      for (const r of rows) {
        d.changed(r.practiceId, r.id, r.status)
        if (r.status === 'received') d.kick(r.practiceId, r.connector, r.direction, r.channel)
      }
    }
    // A move on this thread can start past rows the mover's thread committed whose "moved" message
    // is still unread here: their lanes are found from the store, so idle() never skips them.
    const onMovedHere = (rows: MovedRow[], cursor: number, from: number): void => {
      const gap = from > this.announcedCursor
      onMoved(rows, cursor)
      if (gap) for (const l of d.repo.pendingLanes()) d.kick(l.practice_id, l.connector, l.direction, l.channel)
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

  get acceptsOffThread(): boolean {
    return this.d.inbox?.writer?.alive === true
  }

  /** At start: moves what is left in the inbox on this thread (before lanes resume); this thread moves from now on when the mover's thread is missing. */
  start(): number {
    const moved = this.mover?.moveAll() ?? []
    if (this.d.inbox && !this.d.inbox.mover?.alive) this.mover?.activate()
    return moved.length
  }

  stop(): void {
    this.mover?.stop()
  }

  drainInbox(): void {
    this.mover?.moveAll()
  }

  /** Rows the mover's thread has committed into transactions whose lanes this thread has not yet kicked. */
  movedUnannounced(): boolean {
    return this.d.inbox !== undefined && this.d.inbox.repo.cursor() > this.announcedCursor
  }

  backlog(): number {
    return this.d.inbox ? this.d.inbox.repo.backlog() : 0
  }

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
      this.d.changed(tx.practiceId, r.id, r.status)
      if (r.status === 'received') this.d.kick(tx.practiceId, tx.connector, tx.direction, tx.channel)
    }
    return r
  }

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
}
