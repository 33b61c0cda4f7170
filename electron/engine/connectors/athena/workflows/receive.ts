/**
 * Durable receipt of fetched athena records: one transaction per record (or per chart section),
 * committed together (group commit) before the caller asks athena for the next page. The dedup key
 * is the athena id plus a hash of the record's content, so a replayed page lands on the existing
 * transactions, while a record that really changed becomes a new transaction.
 */
import type { EngineContext } from '../../../core/engine-context'
import { asId } from '../client/response'
import { channelOf, contentHash, type InboundEnvelope, type InboundKind } from '../pipeline/messages'

export interface ReceiveCounts {
  stored: number
  duplicates: number
  txIds: number[]
}

export function envelope(kind: InboundKind, athenaPracticeId: string, source: string, record: Record<string, unknown>, now: number, extra: { patientId?: string; departmentId?: string } = {}): InboundEnvelope {
  return { v: 1, kind, athenaPracticeId, source, fetchedAt: now, record, ...extra }
}

export function dedupKeyOf(env: InboundEnvelope): string {
  const id = env.kind === 'patient' ? asId(env.record.patientid) : env.kind === 'appointment' ? asId(env.record.appointmentid) : (env.patientId ?? asId(env.record.patientid))
  return `athena:${env.kind}:${id ?? '?'}:${contentHash(env.record)}`
}

export async function receiveAll(ctx: EngineContext, practiceId: string, envs: InboundEnvelope[]): Promise<ReceiveCounts> {
  const results = await Promise.all(
    envs.map((env) => {
      const raw = Buffer.from(JSON.stringify(env), 'utf8')
      return ctx.pipeline.receive({
        practiceId,
        connector: 'athena',
        channel: channelOf(env.kind),
        direction: 'in',
        messageType: env.kind,
        contentType: 'json',
        raw,
        peer: env.source,
        patientId: env.kind === 'patient' ? asId(env.record.patientid) : (env.patientId ?? asId(env.record.patientid)),
        appointmentId: env.kind === 'appointment' ? asId(env.record.appointmentid) : null,
        dedupKey: dedupKeyOf(env),
      })
    }),
  )
  let stored = 0
  let duplicates = 0
  for (const r of results) {
    if (r.duplicate) duplicates++
    else stored++
  }
  return { stored, duplicates, txIds: results.map((r) => r.id) }
}
