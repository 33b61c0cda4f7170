/**
 * One run of an inbound job: safe pickup of every ready file in the job's folder.
 *
 *   list → ignore dot/temporary/unsafe names → size limit → stable check (a done marker, else
 *   size and mtime unchanged across two listings and at least minAge old) → claim by renaming into
 *   processing/ → download → SHA-256 → the kind's structural check → store as a transaction
 *   (durable; same content already stored = skipped and audited) → move to processed/ (stamped).
 *
 * A structural failure moves the file to error/ with a report beside it; nothing is ever deleted.
 * The rows are applied later by the pipeline lane (pipeline/file-handler.ts), resumably. A crash
 * at any point leaves the file where a next run finds it: in the folder (not claimed yet) or in
 * processing/ (claimed; the next run resumes it first, and the stored transaction's dedup makes
 * storing it again a no-op).
 */
import { createHash } from 'node:crypto'
import { DateTime } from 'luxon'
import { AppError, toErrorData, type AppErrorData } from '../../../../../shared/errors'
import type { EngineContext } from '../../../core/engine-context'
import type { StepRecord } from '../../../pipeline/transactions-repo'
import type { FileKinds, InboundFileKind } from '../kinds/file-kind'
import { joinPath, type FileTransport, type RemoteEntry } from '../transports/transport'
import { isIgnoredName, isSafeName, matchesPatterns, stampName } from './file-names'
import type { FileJob } from './job-repo'
import type { PickupRepo } from './pickup-repo'

export const PROCESSING = 'processing'
export const PROCESSED = 'processed'
export const ERROR = 'error'

export interface InboundRunDeps {
  ctx: EngineContext
  kinds: FileKinds
  pickups: PickupRepo
  transport: FileTransport
  job: FileJob
  runId: number
  actor: string
  locationName: string
  timeZone: string
  sleep(ms: number): Promise<void>
}

export interface FileOutcome {
  name: string
  status: 'received' | 'duplicate' | 'error' | 'refused' | 'not-stable'
  txId?: number
  code?: string
}

export interface InboundRunSummary {
  listed: number
  ignored: number
  notStable: number
  taken: number
  received: number
  duplicates: number
  errors: number
  refused: number
  resumed: number
  files: FileOutcome[]
}

class StepLog {
  readonly steps: StepRecord[] = []
  constructor(private readonly ctx: EngineContext) {}

  add(step: string, outcome: StepRecord['outcome'], t0: number, detail?: string): void {
    this.steps.push({ step, outcome, startedAt: this.ctx.clock.now() - (this.ctx.clock.monotonic() - t0), durationMs: Math.round((this.ctx.clock.monotonic() - t0) * 10) / 10, detail: detail ?? null })
  }

  async run<T>(step: string, fn: () => Promise<T>, detail?: (v: T) => string): Promise<T> {
    const t0 = this.ctx.clock.monotonic()
    try {
      const v = await fn()
      this.add(step, 'ok', t0, detail?.(v))
      return v
    } catch (e) {
      const err = toErrorData(e)
      this.add(step, 'error', t0, `${err.code}: ${err.message}`)
      throw e
    }
  }
}

export async function runInbound(d: InboundRunDeps): Promise<InboundRunSummary> {
  const { job, transport: t } = d
  const kind = d.kinds.inbound(job.config.kind)
  if (!kind) throw new AppError('config_invalid', `No inbound file kind "${job.config.kind}" is installed.`, { retryable: false })
  const folder = job.config.folder
  const processing = joinPath(folder, PROCESSING)
  const sum: InboundRunSummary = { listed: 0, ignored: 0, notStable: 0, taken: 0, received: 0, duplicates: 0, errors: 0, refused: 0, resumed: 0, files: [] }
  for (const f of [processing, joinPath(folder, PROCESSED), joinPath(folder, ERROR)]) await t.mkdirp(f)

  // Files a crash left claimed are finished first.
  for (const e of await t.list(processing)) {
    if (e.type !== 'file' || !isSafeName(e.name) || isIgnoredName(e.name, null)) continue
    if (sum.taken >= job.config.maxFilesPerRun) break
    sum.resumed++
    sum.taken++
    const log = new StepLog(d.ctx)
    log.add('resume', 'ok', d.ctx.clock.monotonic(), `${joinPath(processing, e.name)} was claimed by an earlier run that did not finish`)
    sum.files.push(await takeClaimed(d, kind, e.name, joinPath(processing, e.name), e.size, log, sum))
  }

  const t0 = d.ctx.clock.monotonic()
  const first = await t.list(folder)
  const listingDetail = `${first.length} entries in ${folder || '/'}`
  sum.listed = first.length
  const candidates: RemoteEntry[] = []
  const names = new Set(first.map((e) => e.name))
  for (const e of first) {
    if (e.type !== 'file') continue
    if (!isSafeName(e.name)) {
      // A hostile or broken server (`../../x.csv`): never followed, never touched, always told.
      sum.refused++
      sum.files.push({ name: e.name.slice(0, 120), status: 'refused', code: 'invalid_input' })
      d.ctx.audit.append({ actor: d.actor, action: 'files.file.refused', practiceId: job.practiceId, targetType: 'file_job', targetId: job.id, outcome: 'error', details: { name: e.name.slice(0, 120), reason: 'not a plain file name (path separators, "..", control characters)' } })
      continue
    }
    if (isIgnoredName(e.name, job.config.doneMarker) || !matchesPatterns(e.name, job.config.include, job.config.exclude)) {
      sum.ignored++
      continue
    }
    if (job.config.doneMarker && !names.has(e.name + job.config.doneMarker)) {
      sum.notStable++
      sum.files.push({ name: e.name, status: 'not-stable' })
      continue
    }
    candidates.push(e)
  }

  // Oversized files are refused before anything else: moved to error/ with a report, never downloaded.
  const sized: RemoteEntry[] = []
  for (const e of candidates) {
    if (e.size <= job.config.maxFileBytes) {
      sized.push(e)
      continue
    }
    const log = new StepLog(d.ctx)
    log.add('list', 'ok', t0, listingDetail)
    const err = new AppError('file_too_large', `${e.name} is ${e.size} bytes, over this job's limit of ${job.config.maxFileBytes} bytes; it was not downloaded.`, { retryable: false, details: { size: e.size, maxBytes: job.config.maxFileBytes } })
    sum.files.push(await moveToError(d, e.name, joinPath(folder, e.name), e.size, null, err, log, sum))
  }

  const stable = job.config.doneMarker ? sized : await stableFiles(d, sized, folder)
  for (const e of sized) {
    if (stable.some((s) => s.name === e.name)) continue
    sum.notStable++
    sum.files.push({ name: e.name, status: 'not-stable' })
  }
  const stableDetail = job.config.doneMarker ? `done marker ${job.config.doneMarker} present` : `size and mtime unchanged over ${job.config.stableCheckMs} ms, at least ${job.config.minAgeSeconds} s old`

  for (const e of stable) {
    if (sum.taken >= job.config.maxFilesPerRun) break
    const log = new StepLog(d.ctx)
    log.add('list', 'ok', t0, listingDetail)
    log.add('stable-check', 'ok', d.ctx.clock.monotonic(), stableDetail)
    let claimed = joinPath(processing, e.name)
    try {
      claimed = await log.run('claim', async () => {
        if (await t.exists(claimed)) claimed = joinPath(processing, stampName(e.name, now(d)))
        await t.rename(joinPath(folder, e.name), claimed)
        return claimed
      }, (to) => `${joinPath(folder, e.name)} → ${to}`)
    } catch (err) {
      // Gone or taken by someone else meanwhile: not ours; the next run looks again.
      d.ctx.logger.info('file not claimed', { job: job.id, code: toErrorData(err).code })
      continue
    }
    if (job.config.doneMarker) await t.delete(joinPath(folder, e.name + job.config.doneMarker)).catch(() => undefined)
    sum.taken++
    sum.files.push(await takeClaimed(d, kind, e.name, claimed, e.size, log, sum))
  }
  return sum
}

/** Two listings `stableCheckMs` apart: size and mtime unchanged, and old enough. */
async function stableFiles(d: InboundRunDeps, files: RemoteEntry[], folder: string): Promise<RemoteEntry[]> {
  const minAge = d.job.config.minAgeSeconds * 1000
  const old = files.filter((e) => d.ctx.clock.now() - e.mtimeMs >= minAge)
  if (!old.length) return []
  await d.sleep(d.job.config.stableCheckMs)
  const again = new Map((await d.transport.list(folder)).map((e) => [e.name, e]))
  return old.filter((e) => {
    const b = again.get(e.name)
    return b !== undefined && b.size === e.size && b.mtimeMs === e.mtimeMs
  })
}

function now(d: InboundRunDeps): DateTime {
  return DateTime.fromMillis(d.ctx.clock.now(), { zone: d.timeZone })
}

async function takeClaimed(d: InboundRunDeps, kind: InboundFileKind, name: string, claimed: string, size: number, log: StepLog, sum: InboundRunSummary): Promise<FileOutcome> {
  const { job, ctx } = d
  const open = d.pickups.openClaim(job.id, claimed)
  const pickupId = open?.id ?? d.pickups.add({ jobId: job.id, practiceId: job.practiceId, runId: d.runId, direction: 'inbound', name, size, claimedPath: claimed, status: 'claimed' })
  let bytes: Buffer
  try {
    bytes = await log.run('download', () => d.transport.get(claimed, job.config.maxFileBytes), (b) => `${b.length} bytes`)
  } catch (e) {
    const err = toErrorData(e)
    if (err.code === 'file_too_large') return moveToError(d, name, claimed, size, null, e as AppError, log, sum, pickupId)
    throw e
  }
  const sha256 = await log.run('hash', async () => createHash('sha256').update(bytes).digest('hex'), (h) => `SHA-256 ${h}`)
  d.pickups.update(pickupId, { sha256, size: bytes.length })
  let structural: AppError | null = null
  let checked: { rows: number; summary: Record<string, unknown> } | null = null
  try {
    checked = await log.run('check', async () => kind.check(bytes, job, ctx), (c) => `${c.rows} rows`)
  } catch (e) {
    if (!(e instanceof AppError)) throw e
    structural = e
  }
  const r = await ctx.pipeline.receive({
    practiceId: job.practiceId,
    connector: 'files',
    channel: `job:${job.id}`,
    direction: 'in',
    messageType: job.config.kind,
    contentType: kind.contentType,
    raw: bytes,
    peer: d.locationName,
    controlId: name,
    dedupKey: `sha256:${sha256}`,
    searchText: name,
    error: structural ? structural.toData() : null,
  })
  const ownEarlier = r.duplicate && open?.txId === r.id
  if (r.duplicate && !ownEarlier) {
    // The same content under any name: skipped, audited, and still moved out of the way.
    const to = await move(d, claimed, PROCESSED, name, log)
    d.pickups.update(pickupId, { txId: r.id, status: 'duplicate', finalPath: to, detail: `same content as transaction ${r.id}` })
    ctx.audit.append({ actor: d.actor, action: 'files.file.duplicate', practiceId: job.practiceId, targetType: 'transaction', targetId: String(r.id), details: { job: job.id, name, sha256, movedTo: to } })
    sum.duplicates++
    return { name, status: 'duplicate', txId: r.id }
  }
  if (!r.duplicate) {
    ctx.txRepo.addSteps(r.id, 0, [...log.steps, { step: 'store', outcome: structural ? 'error' : 'ok', startedAt: ctx.clock.now(), durationMs: 0, detail: structural ? `${structural.code}: ${structural.message}` : `${checked?.rows ?? 0} rows stored as transaction ${r.id}` }])
    log.steps.length = 0
  }
  d.pickups.update(pickupId, { txId: r.id, status: 'received' })
  if (structural) return moveToError(d, name, claimed, bytes.length, r.id, structural, log, sum, pickupId, sha256)
  const to = await move(d, claimed, PROCESSED, name, log)
  ctx.txRepo.addSteps(r.id, 0, log.steps)
  d.pickups.update(pickupId, { status: 'processed', finalPath: to })
  ctx.audit.append({ actor: d.actor, action: 'files.file.received', practiceId: job.practiceId, targetType: 'transaction', targetId: String(r.id), details: { job: job.id, name, sha256, bytes: bytes.length, rows: checked?.rows ?? 0, movedTo: to } })
  sum.received++
  return { name, status: 'received', txId: r.id }
}

async function move(d: InboundRunDeps, from: string, folder: string, name: string, log: StepLog): Promise<string> {
  const to = joinPath(d.job.config.folder, folder, stampName(name, now(d)))
  await log.run('move', () => d.transport.rename(from, to), () => `${from} → ${to}`)
  return to
}

/** error/ gets the file and, beside it, `<name>.error.txt` saying why (written under a temporary name, then renamed). */
async function moveToError(
  d: InboundRunDeps,
  name: string,
  from: string,
  size: number,
  txId: number | null,
  err: AppError,
  log: StepLog,
  sum: InboundRunSummary,
  pickupId?: number,
  sha256?: string,
): Promise<FileOutcome> {
  const to = await move(d, from, ERROR, name, log)
  const data: AppErrorData = err.toData()
  const report = [
    `File: ${name}`,
    `Job: ${d.job.name} (${d.job.id})`,
    `Practice: ${d.job.practiceId}`,
    `At: ${now(d).toISO()}`,
    `Size: ${size} bytes`,
    sha256 ? `SHA-256: ${sha256}` : null,
    txId ? `Transaction: ${txId}` : null,
    `Error: ${data.code}`,
    `Reason: ${data.message}`,
    data.details ? `Details: ${JSON.stringify(data.details)}` : null,
    '',
    'Nothing from this file was applied. Fix it and send it again (or edit and reprocess the transaction).',
    '',
  ]
    .filter((l) => l !== null)
    .join('\n')
  const reportPath = `${to}.error.txt`
  const slash = reportPath.lastIndexOf('/')
  const tmp = `${reportPath.slice(0, slash + 1)}.${reportPath.slice(slash + 1)}.tmp`
  await log.run('error-report', async () => {
    await d.transport.put(tmp, Buffer.from(report, 'utf8'))
    await d.transport.rename(tmp, reportPath)
  }, () => reportPath)
  if (txId) d.ctx.txRepo.addSteps(txId, 0, log.steps)
  if (pickupId) d.pickups.update(pickupId, { txId, status: 'error', finalPath: to, detail: `${data.code}: ${data.message}` })
  else d.pickups.add({ jobId: d.job.id, practiceId: d.job.practiceId, runId: d.runId, direction: 'inbound', name, size, claimedPath: null, status: 'refused', finalPath: to, detail: `${data.code}: ${data.message}` })
  d.ctx.audit.append({ actor: d.actor, action: 'files.file.error', practiceId: d.job.practiceId, targetType: txId ? 'transaction' : 'file_job', targetId: txId ? String(txId) : d.job.id, outcome: 'error', details: { job: d.job.id, name, code: data.code, movedTo: to, report: reportPath } })
  if (pickupId) sum.errors++
  else sum.refused++
  return { name, status: pickupId ? 'error' : 'refused', txId: txId ?? undefined, code: data.code }
}
