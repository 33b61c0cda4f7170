/**
 * One run of an outbound job: the kind produces the next file, which is stored as an outbound
 * transaction (durable before it is sent; the kind's `onStored` commits in the same transaction,
 * so a cursor it advances moves with the file) under a name fixed now ({seq} is spent once). The
 * pipeline lane then drops it (pipeline/file-handler.ts): written under a temporary dot-name,
 * renamed to its name, never over an existing file and never appended to.
 */
import { DateTime } from 'luxon'
import { AppError } from '../../../../../shared/errors'
import type { EngineContext } from '../../../core/engine-context'
import type { FileKinds } from '../kinds/file-kind'
import { expandName } from './file-names'
import type { FileJob, FileJobRepo } from './job-repo'
import type { PickupRepo } from './pickup-repo'

export interface OutboundRunSummary {
  produced: number
  rows: number
  name: string | null
  txId: number | null
}

export async function runOutbound(d: { ctx: EngineContext; kinds: FileKinds; jobs: FileJobRepo; pickups: PickupRepo; job: FileJob; runId: number; actor: string; timeZone: string }): Promise<OutboundRunSummary> {
  const { ctx, job } = d
  const kind = d.kinds.outbound(job.config.kind)
  if (!kind) throw new AppError('config_invalid', `No outbound file kind "${job.config.kind}" is installed.`, { retryable: false })
  const file = await kind.produce(job, ctx)
  if (!file) return { produced: 0, rows: 0, name: null, txId: null }
  const now = DateTime.fromMillis(ctx.clock.now(), { zone: d.timeZone })
  const practice = ctx.practices.get(job.practiceId)
  const txId = ctx.db.transaction(() => {
    const seq = d.jobs.nextSeq(job.id, now.toISODate()!)
    const name = expandName(job.config.naming, { practice: practice.id, job: job.name, kind: job.config.kind, now, seq })
    const r = ctx.txRepo.insert(
      {
        practiceId: job.practiceId,
        connector: 'files',
        channel: `job:${job.id}`,
        direction: 'out',
        messageType: job.config.kind,
        contentType: file.contentType,
        raw: file.content,
        controlId: name,
        searchText: name,
      },
      ctx.clock.now(),
    )
    d.pickups.add({ jobId: job.id, practiceId: job.practiceId, runId: d.runId, direction: 'outbound', name, size: file.content.length, status: 'claimed', txId: r.id, detail: `${file.rows} rows` })
    file.onStored?.({ name, txId: r.id })
    return r.id
  }).immediate()
  const name = d.pickups.byTx(txId)!.name
  ctx.audit.append({ actor: d.actor, action: 'files.file.produced', practiceId: job.practiceId, targetType: 'transaction', targetId: String(txId), details: { job: job.id, name, rows: file.rows, bytes: file.content.length } })
  ctx.pipeline.kick(job.practiceId, 'files', 'out', `job:${job.id}`)
  return { produced: 1, rows: file.rows, name, txId }
}
