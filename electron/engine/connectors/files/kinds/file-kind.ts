/**
 * What a file holds is a job's `kind`; its processor is registered here, so new kinds
 * (appointment batches, 837P/835, …) plug into the same locations, jobs, pickup and drop.
 *
 * Inbound: `check` runs on the downloaded bytes before the file is accepted (a thrown AppError is
 * a structural failure: the file goes to error/ with a report and nothing is applied); `apply`
 * runs later in the pipeline lane on the stored file and must record every row in the row ledger
 * (`RowLedger.commit`) so a restarted file skips what was applied.
 * Outbound: `produce` builds the content of the next file (or null when there is nothing to send);
 * the drop writes it under a temporary name and renames it.
 */
import type { EngineContext } from '../../../core/engine-context'
import type { ProcessContext } from '../../../pipeline/connector-handler'
import type { FileJob } from '../jobs/job-repo'
import type { RowLedger } from './row-ledger'

export interface CheckResult {
  /** Data rows found (the inspector's parse step shows it). */
  rows: number
  /** Shown in the inspector's parse snapshot (no PHI: counts, header names, encoding). */
  summary: Record<string, unknown>
}

export interface InboundFileKind {
  kind: string
  direction: 'inbound'
  label: string
  /** The mapping set used when the job names none. */
  defaultMappingKey: string | null
  contentType: FileContentType
  /** Local hours the scheduler keeps this kind's runs out of (e.g. the 01:00–03:00 DST changeover): a tick inside waits for its end. */
  quietWindow?: { start: string; end: string }
  check(bytes: Buffer, job: FileJob, ctx: EngineContext): CheckResult
  /** May return the transaction's response line (default: the row ledger's counts). */
  apply(input: { bytes: Buffer; job: FileJob; txId: number; fileName: string }, pctx: ProcessContext, ledger: RowLedger, ctx: EngineContext): Promise<string | void>
}

/** Stored content types a file may have: CSV, JSON, or other text (X12). */
export type FileContentType = 'csv' | 'json' | 'text'

export interface ProducedFile {
  content: Buffer
  rows: number
  contentType: FileContentType
  /** Runs in the commit that stores the file as an outbound transaction (e.g. to advance a cursor, or mark a claim file handed over, with it). */
  onStored?: (stored: { name: string; txId: number }) => void
}

export interface OutboundFileKind {
  kind: string
  direction: 'outbound'
  label: string
  defaultMappingKey: string | null
  quietWindow?: { start: string; end: string }
  produce(job: FileJob, ctx: EngineContext): Promise<ProducedFile | null>
}

export type FileKind = InboundFileKind | OutboundFileKind

export class FileKinds {
  private readonly byKey = new Map<string, FileKind>()

  register(k: FileKind): void {
    this.byKey.set(`${k.direction}:${k.kind}`, k)
  }

  inbound(kind: string): InboundFileKind | null {
    return (this.byKey.get(`inbound:${kind}`) as InboundFileKind | undefined) ?? null
  }

  outbound(kind: string): OutboundFileKind | null {
    return (this.byKey.get(`outbound:${kind}`) as OutboundFileKind | undefined) ?? null
  }

  /** The kind a job runs (null: not installed). */
  of(direction: 'inbound' | 'outbound', kind: string): FileKind | null {
    return this.byKey.get(`${direction}:${kind}`) ?? null
  }

  list(): { kind: string; direction: 'inbound' | 'outbound'; label: string; defaultMappingKey: string | null }[] {
    return [...this.byKey.values()].map((k) => ({ kind: k.kind, direction: k.direction, label: k.label, defaultMappingKey: k.defaultMappingKey }))
  }
}
