/**
 * The pipeline handlers of file transactions. Inbound: the stored file goes to its kind's
 * processor, which applies rows resumably through the row ledger. Outbound: the stored file is
 * dropped: written under a temporary dot-name beside its target, then renamed; an existing
 * target with the same content means an earlier attempt got that far (done), any other existing
 * target is refused (never overwritten, never appended to).
 */
import { createHash } from 'node:crypto'
import { AppError } from '../../../../../shared/errors'
import type { EngineContext } from '../../../core/engine-context'
import type { ConnectorHandler } from '../../../pipeline/connector-handler'
import type { LaneRow } from '../../../pipeline/types'
import type { FileJob } from '../jobs/job-repo'
import { RowLedger, reportCounts } from '../kinds/row-ledger'
import type { FilesRuntime } from '../runtime'
import { joinPath } from '../transports/transport'

function jobOf(rt: FilesRuntime, tx: LaneRow): FileJob {
  const id = tx.channel.startsWith('job:') ? tx.channel.slice(4) : ''
  const job = rt.jobs.find(id)
  if (!job) throw new AppError('config_invalid', `The file job of this transaction (${id || tx.channel}) no longer exists.`, { retryable: false })
  return job
}

export function createFileInboundHandler(ctx: EngineContext, rt: FilesRuntime): ConnectorHandler<{ job: FileJob }, { job: FileJob }> {
  return {
    connector: 'files',
    direction: 'in',
    maxAttempts: 3,
    parse(pctx) {
      return { job: jobOf(rt, pctx.tx) }
    },
    map(p) {
      return p
    },
    async apply({ job }, pctx) {
      const kind = rt.kinds.inbound(pctx.tx.message_type ?? job.config.kind)
      if (!kind) throw new AppError('config_invalid', `No inbound file kind "${pctx.tx.message_type}" is installed.`, { retryable: false })
      const name = rt.pickups.byTx(pctx.tx.id)?.name ?? pctx.tx.control_id ?? `transaction ${pctx.tx.id}`
      const said = await kind.apply({ bytes: pctx.payload, job, txId: pctx.tx.id, fileName: name }, pctx, new RowLedger(ctx.db, pctx.tx.id), ctx)
      const counts = reportCounts(ctx.db, pctx.tx.id)
      pctx.setResponse(said || `${counts.total} rows: ${counts.created} created, ${counts.updated} updated, ${counts.unchanged} unchanged, ${counts.held} held for review, ${counts.duplicate} possible duplicates, ${counts.rejected} rejected`)
      ctx.events.emit('files.changed', { practiceId: job.practiceId, jobId: job.id })
    },
  }
}

export function createFileOutboundHandler(ctx: EngineContext, rt: FilesRuntime): ConnectorHandler<{ job: FileJob; name: string }, { job: FileJob; name: string }> {
  return {
    connector: 'files',
    direction: 'out',
    lanes: 'channel',
    maxAttempts: 8,
    backoff: { baseMs: 5_000, capMs: 10 * 60_000 },
    parse(pctx) {
      const pickup = rt.pickups.byTx(pctx.tx.id)
      if (!pickup) throw new AppError('internal', `Outbound file transaction ${pctx.tx.id} has no file record.`, { retryable: false })
      return { job: jobOf(rt, pctx.tx), name: pickup.name }
    },
    map(p) {
      return p
    },
    async apply({ job, name }, pctx) {
      const pickup = rt.pickups.byTx(pctx.tx.id)!
      const content = pctx.payload
      const target = joinPath(job.config.folder, name)
      const tmp = joinPath(job.config.folder, `.${name}.psc-${pctx.tx.id}.tmp`)
      const t = await pctx.step('connect', () => rt.open(job.config.connectionId))
      try {
        if (await t.exists(target)) {
          const there = await t.get(target, Math.max(content.length, 1)).catch(() => null)
          const same = there !== null && createHash('sha256').update(there).digest('hex') === createHash('sha256').update(content).digest('hex')
          if (!same) throw new AppError('conflict', `${target} already exists with other content; it is never overwritten. Move it away, then reprocess.`, { retryable: false })
          if (await t.exists(tmp)) await t.delete(tmp)
        } else {
          if (await t.exists(tmp)) await pctx.step('remove-partial', () => t.delete(tmp))
          await pctx.step('write-temp', () => t.put(tmp, content))
          await pctx.step('rename', () => t.rename(tmp, target))
        }
      } finally {
        await t.close()
      }
      rt.pickups.update(pickup.id, { status: 'dropped', finalPath: target })
      pctx.setResponse(`dropped as ${target} (${content.length} bytes)`)
      ctx.audit.append({ actor: 'system', action: 'files.file.dropped', practiceId: job.practiceId, targetType: 'transaction', targetId: String(pctx.tx.id), details: { job: job.id, name, path: target, bytes: content.length } })
      ctx.events.emit('files.changed', { practiceId: job.practiceId, jobId: job.id })
    },
  }
}
