import type { Clock } from '../core/clock'
import type { Logger } from '../core/logger'
import type { RecordStore } from '../records/record-store'
import type { Direction, LaneRow } from './types'

export type FilterDecision = { accept: true } | { accept: false; rule: string; reason?: string }

export interface BusinessKeys {
  controlId?: string | null
  mrn?: string | null
  patientId?: string | null
  appointmentId?: string | null
  messageType?: string | null
}

/** What a handler sees while processing one transaction. */
export interface ProcessContext {
  readonly tx: LaneRow
  /** The bytes to process: the latest edited version, or the original. */
  readonly payload: Buffer
  readonly attempt: number
  readonly records: RecordStore
  readonly logger: Logger
  readonly clock: Clock
  readonly signal: AbortSignal
  /** Runs and records an extra named step inside the current one (e.g. 'lookup-patient'). */
  step<T>(name: string, fn: () => T | Promise<T>): Promise<T>
  setKeys(keys: BusinessKeys): void
  /**
   * Stage snapshots shown in the message inspector (JSON-serialisable). setParsed also takes a
   * function giving the value: called only if the stage is stored (see `derivedParsed`).
   */
  setParsed(value: unknown): void
  setMapped(value: unknown): void
  setOutbound(value: unknown): void
  setResponse(text: string): void
  /**
   * A store write that belongs with this attempt's outcome (e.g. the code-map misses its mapping
   * found): run inside the write that records the outcome, so both commit or neither does. Not
   * run by a dry run (preview).
   */
  commitWith(write: () => void): void
}

/**
 * A connector plugs into the pipeline with these four stages. The pipeline runs them in order,
 * records each as a step with its timing and outcome, and turns a thrown AppError into the
 * transaction's error (retryable errors are retried with backoff up to `maxAttempts`).
 */
export interface ConnectorHandler<P = unknown, M = unknown> {
  connector: string
  direction: Direction
  parse(ctx: ProcessContext): P | Promise<P>
  filter?(parsed: P, ctx: ProcessContext): FilterDecision | Promise<FilterDecision>
  map(parsed: P, ctx: ProcessContext): M | Promise<M>
  apply(mapped: M, ctx: ProcessContext): void | Promise<void>
  /** Attempts before a retryable failure goes to the error queue (default 5). */
  maxAttempts?: number
  /** Backoff for retryable failures (full jitter), defaults 2 s base, 5 min cap. */
  backoff?: { baseMs: number; capMs: number }
  /**
   * Per-transaction retry policy (e.g. per outbound destination), overriding `maxAttempts` and
   * `backoff` for that transaction when it returns a value.
   */
  retryPolicy?(tx: LaneRow): { maxAttempts?: number; backoff?: { baseMs: number; capMs: number } } | undefined
  /**
   * How this handler's transactions are serialised. 'connector' (default): one lane per
   * (practice, connector), shared with the connector's other handlers. 'channel': one lane per
   * (practice, connector, direction, channel), so e.g. each outbound destination keeps its own
   * order and a destination waiting out a retry blocks neither the others nor the inbound side.
   */
  lanes?: 'connector' | 'channel'
  /**
   * A reason while this handler's lane is paused: a 'channel' lane (channel set: e.g. its
   * destination is disabled) or the practice's 'connector' lane (channel null: e.g. the practice
   * paused inbound processing). The lane then leaves its rows as they are (not attempted, no
   * attempt counted, in order) until it is kicked again (`Pipeline.kickPending()`).
   */
  held?(practiceId: string, channel: string | null): string | null
  /**
   * parse, filter, map and apply are synchronous (never return a promise, never call `ctx.step`)
   * and apply only writes the store through `ctx.records` (no `batcher.run` of its own). The
   * pipeline then processes consecutive rows of a lane in one write transaction, each row in its
   * own savepoint, one COMMIT for the group (pipeline/outcomes.ts): the processing rate no longer
   * pays a commit per row.
   */
  grouped?: boolean
  /**
   * A grouped handler whose parse and filter read only the payload and the configuration (never
   * what an earlier row's apply writes) may say so by having `premap`: the pipeline then parses
   * and filters a group's rows, and calls `premap` on each parsed value, before it takes the write
   * lock, and only map, apply and the outcome run inside it (pipeline/outcomes.ts). premap does
   * the part of map that needs neither the store nor the rows before it (HL7: the mapping sets'
   * evaluations) and leaves it in the parsed value; map must check that what it finds there is
   * still current, and works without it (premap may throw, or not run at all).
   */
  premap?(parsed: P, ctx: ProcessContext): void
  /**
   * The parsed stage re-derived from a payload, exactly as `parse` records it for a transaction
   * that ends `done`: `of` must be pure (the bytes alone decide its value) and `covers` says for
   * which payloads that holds. A done transaction whose payload it covers gets no stored parsed
   * stage (its outcome UPDATE writes less; `setParsed`'s function is not even called), and reads
   * (transactions.get/payload, the inspector) derive it (`Pipeline.parsedStage`). Failures keep
   * theirs stored: what a person reads, fixes and replays is never recomputed.
   */
  derivedParsed?: { covers(payload: Buffer): boolean; of(payload: Buffer): unknown }
  /**
   * The document bodies (`content_base64` values) a `grouped` handler's apply will write for this
   * mapped value. For a payload over BIG_PAYLOAD_BYTES the pipeline stores them by hash on another
   * thread before the write that applies it, so that write's COMMIT does not carry megabytes on
   * the engine thread (pipeline/outcomes.ts, processBig). Naming a string that apply then does not
   * write costs a write of it; leaving one out costs only the speed.
   */
  bodiesOf?(mapped: M): string[]
}
