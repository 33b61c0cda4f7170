/**
 * Sending one write to athenaNet as an outbound transaction (visible in the log, failing into the
 * error queue, reprocessable): received with a dedup key per operation, audited, then waited for
 * until it settles (or `WRITE_WAIT_MS`). Used by the athena.* write methods and by FHIR writes
 * that athena refuses over FHIR (`route` says which path and why; it is stored with the request).
 */
import type { WriteOutcome } from '../../../../../shared/api/athena'
import type { TxStatus } from '../../../../../shared/api/transactions'
import { AppError, type AppErrorData } from '../../../../../shared/errors'
import type { EngineContext } from '../../../core/engine-context'
import { asId } from '../client/response'
import { channelOf, type OutboundEnvelope } from '../pipeline/messages'
import type { AthenaRuntime } from '../runtime'

const FINAL: ReadonlySet<TxStatus> = new Set(['done', 'error', 'filtered', 'discarded'])
export const WRITE_WAIT_MS = 60_000

export async function waitSettled(ctx: EngineContext, txId: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const row = ctx.txRepo.get(txId)
    if (!row || FINAL.has(row.status) || (row.status === 'queued' && row.attempts > 0 && row.next_attempt_at !== null)) return
    if (Date.now() > until) return
    await new Promise((r) => setTimeout(r, 15))
  }
}

export function outcomeOf(ctx: EngineContext, txId: number, duplicate: boolean): WriteOutcome {
  const row = ctx.txRepo.get(txId)
  if (!row) throw new AppError('not_found', `Transaction ${txId} does not exist.`)
  const error: AppErrorData | null = row.error_code ? { code: row.error_code as AppErrorData['code'], message: row.error_message ?? '', retryable: row.error_retryable === 1 } : null
  let result: WriteOutcome['result'] = null
  if (row.status === 'done' && row.response) {
    try {
      result = JSON.parse(row.response) as WriteOutcome['result']
    } catch {
      result = null
    }
  }
  return { txId, duplicate, status: row.status, error, result }
}

export interface OutboundRequest {
  practiceId: string
  op: OutboundEnvelope['op']
  params: Record<string, unknown>
  /** Identifies the operation: the same request again lands on the same transaction. */
  dedup: string
  actor: string
  recordId?: number
  route?: OutboundEnvelope['route']
  /** Audit action; `athena.{op}` unless the write came another way (e.g. `fhir.write`). */
  auditAction?: string
}

/** Receives an outbound transaction (dedup by operation), waits for it, answers its outcome. */
export async function sendOutbound(ctx: EngineContext, runtime: AthenaRuntime, w: OutboundRequest): Promise<WriteOutcome> {
  const client = runtime.client(w.practiceId)
  const env: OutboundEnvelope = { v: 1, op: w.op, athenaPracticeId: client.athenaPracticeId, params: w.params, ...(w.recordId !== undefined ? { recordId: w.recordId } : {}), ...(w.route ? { route: w.route } : {}) }
  const r = await ctx.pipeline.receive({
    practiceId: w.practiceId,
    connector: 'athena',
    channel: channelOf(w.op),
    direction: 'out',
    messageType: w.op,
    contentType: 'json',
    raw: Buffer.from(JSON.stringify(env), 'utf8'),
    peer: w.actor,
    patientId: asId(w.params.patientid),
    appointmentId: asId(w.params.appointmentid),
    dedupKey: `athena:${w.op}:${w.dedup}`,
  })
  // The same request again: an earlier failure is retried (reconciling first), a success is answered as is.
  if (r.duplicate && r.status === 'error') await ctx.pipeline.reprocess([r.id], w.actor)
  ctx.audit.append({
    actor: w.actor,
    action: w.auditAction ?? `athena.${w.op}`,
    practiceId: w.practiceId,
    targetType: 'transaction',
    targetId: String(r.id),
    details: { duplicate: r.duplicate, recordId: w.recordId ?? null, appointmentId: asId(w.params.appointmentid), patientId: asId(w.params.patientid), ...(w.route ? { path: w.route.path, why: w.route.why } : {}) },
  })
  await waitSettled(ctx, r.id, WRITE_WAIT_MS)
  return outcomeOf(ctx, r.id, r.duplicate)
}
