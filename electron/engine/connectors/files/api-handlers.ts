/** The `files.*` contract methods (shared/api/files.ts). */
import { csvLine } from '../../../../shared/csv'
import { AppError } from '../../../../shared/errors'
import { certFingerprintSchema, sshFingerprintSchema } from '../../../../shared/files'
import type { FileJobDto } from '../../../../shared/api/files'
import type { Handlers } from '../../api/dispatcher'
import type { EngineContext } from '../../core/engine-context'
import { presentedIdentity } from './connectivity'
import type { FileJob } from './jobs/job-repo'
import { nextRun } from './jobs/scheduler'
import { FieldChangesRepo } from './kinds/demographics/field-changes-repo'
import { reportCounts, type RowOutcome } from './kinds/row-ledger'
import { filesRuntime } from './runtime'
import { withinScope } from '../../access/call-scope'

type FilesMethods =
  | 'files.kinds'
  | 'files.jobs.list'
  | 'files.jobs.create'
  | 'files.jobs.update'
  | 'files.jobs.delete'
  | 'files.jobs.run'
  | 'files.jobs.runs'
  | 'files.list'
  | 'files.report'
  | 'files.reportCsv'
  | 'files.identity'
  | 'files.trustIdentity'
  | 'files.changes'
  | 'files.decideChanges'

interface ReportRow {
  line: number
  outcome: RowOutcome
  record_id: number | null
  ext_id: string | null
  detail: string | null
}

export function filesHandlers(ctx: EngineContext): Pick<Handlers, FilesMethods> {
  const rt = () => filesRuntime(ctx)
  const dto = (j: FileJob): FileJobDto => {
    const last = rt().jobs.lastRun(j.id)
    const tz = ctx.practices.find(j.practiceId)?.timeZone ?? 'UTC'
    const next = j.enabled ? nextRun(j.config.schedule, tz, new Date(ctx.clock.now())) : null
    return {
      ...j,
      running: rt().runner.isRunning(j.id),
      nextRunAt: next ? next.getTime() : null,
      lastRun: last ? { id: last.id, status: last.status, startedAt: last.startedAt, finishedAt: last.finishedAt, summary: last.summary, error: last.error } : null,
    }
  }
  const jobOf = (id: string, practiceId: string): FileJob => {
    const j = rt().jobs.get(id)
    if (j.practiceId !== practiceId) throw new AppError('not_found', `There is no file job ${id} in practice "${practiceId}".`, { retryable: false })
    return j
  }
  const fileOf = (practiceId: string, txId: number) => {
    const p = rt().pickups.byTx(txId)
    if (!p || p.practiceId !== practiceId) throw new AppError('not_found', `There is no file transaction ${txId} in practice "${practiceId}".`, { retryable: false })
    return p
  }
  const reload = async (): Promise<void> => {
    await ctx.reloadServices()
  }
  return {
    'files.kinds': () => rt().kinds.list(),
    'files.jobs.list': ({ practiceId, practiceIds }, c) => rt().jobs.list({ practiceId, practiceIds: withinScope(practiceIds, c.scope) }).map(dto),
    'files.jobs.create': async ({ practiceId, name, enabled, config }, c) => {
      const j = rt().jobs.create(practiceId, { name, enabled, config }, c.actor)
      await reload()
      return dto(j)
    },
    'files.jobs.update': async ({ id, practiceId, name, enabled, config }, c) => {
      jobOf(id, practiceId)
      const j = rt().jobs.update(id, { name, enabled, config }, c.actor)
      await reload()
      return dto(j)
    },
    'files.jobs.delete': async ({ id, practiceId }, c) => {
      jobOf(id, practiceId)
      rt().jobs.delete(id, c.actor)
      await reload()
      return { deleted: true as const }
    },
    'files.jobs.run': async ({ id, practiceId, waitForRows, waitMs }, c) => {
      jobOf(id, practiceId)
      const run = await rt().runner.run(id, 'manual', c.actor)
      if (waitForRows) {
        const until = Date.now() + waitMs
        const txIds = rt().pickups.list({ jobId: id, limit: 500 }).filter((p) => p.runId === run.id && p.txId !== null).map((p) => p.txId!)
        for (const tx of txIds) {
          const left = until - Date.now()
          if (left <= 0) break
          const st = ctx.txRepo.statusOf(tx)
          if (st === 'done' || st === 'error' || st === 'filtered' || st === 'discarded') continue
          await Promise.race([ctx.pipeline.outcome(tx).catch(() => undefined), new Promise((r) => setTimeout(r, left))])
        }
      }
      return run
    },
    'files.jobs.runs': ({ id, practiceId, limit }) => {
      jobOf(id, practiceId)
      return rt().jobs.runs(id, limit)
    },
    'files.list': (input, c) =>
      rt()
        .pickups.list({ ...input, practiceIds: withinScope(input.practiceIds, c.scope) })
        .map((p) => ({ ...p, txStatus: p.txId ? (ctx.txRepo.statusOf(p.txId) ?? null) : null, counts: p.txId && p.direction === 'inbound' ? reportCounts(ctx.db, p.txId) : null })),
    'files.report': ({ practiceId, txId, outcome, afterLine, limit }, c) => {
      const p = fileOf(practiceId, txId)
      const rows = ctx.db
        .prepare(`SELECT line, outcome, record_id, ext_id, detail FROM file_rows WHERE tx_id = ? AND line > ? ${outcome ? 'AND outcome = ?' : ''} ORDER BY line LIMIT ?`)
        .all(...([txId, afterLine, ...(outcome ? [outcome] : []), limit + 1] as unknown[])) as ReportRow[]
      const more = rows.length > limit
      const page = rows.slice(0, limit)
      ctx.audit.append({ actor: c.actor, action: 'files.report.view', practiceId, targetType: 'transaction', targetId: String(txId), details: { rows: page.length } })
      return {
        txId,
        name: p.name,
        counts: reportCounts(ctx.db, txId),
        rows: page.map((r) => ({ line: r.line, outcome: r.outcome, recordId: r.record_id, extId: r.ext_id, detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null })),
        nextLine: more ? page[page.length - 1]!.line : null,
      }
    },
    'files.reportCsv': ({ practiceId, txId }, c) => {
      const p = fileOf(practiceId, txId)
      const rows = ctx.db.prepare('SELECT line, outcome, record_id, ext_id, detail FROM file_rows WHERE tx_id = ? ORDER BY line').all(txId) as ReportRow[]
      const lines = [csvLine(['file', 'line', 'outcome', 'record_id', 'external_id', 'reasons', 'fields_applied', 'fields_held', 'candidate', 'grade', 'score'])]
      for (const r of rows) {
        const d = r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : {}
        const list = (v: unknown): string => (Array.isArray(v) ? v.join('; ') : '')
        lines.push(csvLine([p.name, r.line, r.outcome, r.record_id, r.ext_id, list(d.reasons), list(d.applied), list(d.held), d.candidate ?? '', d.grade ?? '', d.score ?? '']))
      }
      ctx.audit.append({ actor: c.actor, action: 'files.report.export', practiceId, targetType: 'transaction', targetId: String(txId), details: { rows: rows.length } })
      return { fileName: `${p.name.replace(/\.[^.]*$/, '')}-report-${txId}.csv`, csv: lines.join('\r\n') + '\r\n', rows: rows.length }
    },
    'files.identity': async ({ connectionId }, c) => {
      const conn = ctx.connections.get(connectionId)
      const id = await presentedIdentity(ctx, conn)
      ctx.audit.append({ actor: c.actor, action: 'files.location.identity_shown', practiceId: conn.practiceId, targetType: 'connection', targetId: conn.id, details: { kind: id.kind, fingerprint: id.fingerprint, pinned: id.pinned, matches: id.matches } })
      return id
    },
    'files.trustIdentity': async ({ connectionId, fingerprint }, c) => {
      const conn = ctx.connections.get(connectionId)
      let key: 'hostKeySha256' | 'certSha256'
      if (conn.kind === 'sftp') {
        sshFingerprintSchema.parse(fingerprint)
        key = 'hostKeySha256'
      } else if (conn.kind === 'ftps') {
        certFingerprintSchema.parse(fingerprint)
        key = 'certSha256'
      } else throw new AppError('invalid_input', 'Only SFTP and FTPS locations have a server identity to pin.', { retryable: false })
      const before = (conn.config[key] as string | null | undefined) ?? null
      ctx.connections.update(conn.id, { kind: conn.kind, name: conn.name, enabled: conn.enabled, config: { ...conn.config, [key]: fingerprint } } as never, c.actor)
      ctx.audit.append({ actor: c.actor, action: 'files.location.identity_accepted', practiceId: conn.practiceId, targetType: 'connection', targetId: conn.id, details: { key, from: before, to: fingerprint } })
      ctx.events.emit('connections.changed', { practiceId: conn.practiceId, id: conn.id })
      return { pinned: fingerprint }
    },
    'files.changes': (input, c) => {
      const list = new FieldChangesRepo(ctx.db).list({ ...input, practiceIds: withinScope(input.practiceIds, c.scope) })
      if (input.practiceId) ctx.audit.append({ actor: c.actor, action: 'files.changes.view', practiceId: input.practiceId, targetType: input.recordId ? 'record' : 'practice', targetId: String(input.recordId ?? input.practiceId), details: { rows: list.length, status: input.status ?? null } })
      const patients = new Map<number, { name: string | null; ids: string[] } | null>()
      const patient = (id: number) => {
        if (!patients.has(id)) {
          const r = ctx.records.get(id)
          const d = (r?.data ?? {}) as { first_name?: unknown; last_name?: unknown }
          const name = [d.last_name, d.first_name].filter((v) => typeof v === 'string' && v).join(', ')
          patients.set(id, r ? { name: name || null, ids: r.externalIds.map((x) => x.value) } : null)
        }
        return patients.get(id)!
      }
      return list.map((ch) => ({ ...ch, patient: patient(ch.recordId) }))
    },
    'files.decideChanges': ({ practiceId, ids, decision }, c) => {
      const repo = new FieldChangesRepo(ctx.db)
      let accepted = 0
      let rejected = 0
      let skipped = 0
      const now = ctx.clock.now()
      const records = new Set<number>()
      ctx.db.transaction(() => {
        for (const id of ids) {
          const ch = repo.get(id)
          if (ch.practiceId !== practiceId || ch.status !== 'held') {
            skipped++
            continue
          }
          if (decision === 'accept') {
            ctx.records.patch(ch.recordId, { [ch.field]: ch.newValue }, ch.txId)
            repo.decide(id, 'accepted', c.actor, now)
            accepted++
          } else {
            repo.decide(id, 'rejected', c.actor, now)
            rejected++
          }
          records.add(ch.recordId)
        }
        ctx.audit.append({ actor: c.actor, action: decision === 'accept' ? 'files.changes.accept' : 'files.changes.reject', practiceId, targetType: 'field_change', targetId: ids.length === 1 ? String(ids[0]) : `${ids.length} changes`, details: { ids: ids.slice(0, 200), accepted, rejected, skipped, records: [...records].slice(0, 200) } })
      }).immediate()
      ctx.events.emit('files.changed', { practiceId })
      return { accepted, rejected, skipped }
    },
  }
}
