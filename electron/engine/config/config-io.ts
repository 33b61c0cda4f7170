/**
 * Configuration export and import. Import validates the whole document first and reports every
 * problem with its line and column; only a valid document is applied, in one transaction
 * (practices upserted by id, connections, interfaces and file jobs by name within their practice).
 */
import type { ConfigIssue } from '../../../shared/api/config'
import type { ConnectionConfig } from '../../../shared/config'
import type { AuditLog } from '../audit/audit-log'
import { FileJobRepo } from '../connectors/files/jobs/job-repo'
import type { ConnectionsRepo } from '../practices/connections-repo'
import type { PracticesRepo } from '../practices/practices-repo'
import type { Db } from '../store/database'
import { CONFIG_FORMAT, CONFIG_VERSION, configDocumentSchema, type ConfigDocument, type ConfigPractice } from './config-document'
import { JsonSyntaxError, parseJsonWithPositions, positionOf } from './json-locate'
import type { SystemSettingsRepo } from './system-settings'

export interface MappingSetsPort {
  exportOverrides(practiceId: string): Record<string, unknown>[]
  validateOverrides(practiceId: string, sets: Record<string, unknown>[]): { index: number; path: (string | number)[]; message: string }[]
  importOverrides(practiceId: string, sets: Record<string, unknown>[], actor: string): number
}

export interface ConfigIoDeps {
  /** The installation's settings: exported with the whole configuration, applied when a file has them. */
  systemSettings?: SystemSettingsRepo
  db: Db
  practices: PracticesRepo
  connections: ConnectionsRepo
  audit: AuditLog
  mappings?: MappingSetsPort
  /** Checks the schema cannot make (the backup schedule is a cron expression). */
  checkSystem?: (s: NonNullable<ConfigDocument['system']>) => void
  /** The engine's clock (file jobs' timestamps). */
  now?: () => number
}

const fileJobs = (d: ConfigIoDeps) => new FileJobRepo(d.db, d.audit, d.now ?? Date.now)

export function exportConfig(d: ConfigIoDeps, practiceIds?: string[]): string {
  const practices = d.practices.list().filter((p) => !practiceIds || practiceIds.includes(p.id))
  const doc = {
    format: CONFIG_FORMAT,
    version: CONFIG_VERSION,
    practices: practices.map((p) => {
      const conns = d.connections.list(p.id)
      const entry = (c: (typeof conns)[number]) => ({ kind: c.kind, name: c.name, enabled: c.enabled, config: sortKeys(c.config) })
      return {
        id: p.id,
        name: p.name,
        athenaPracticeId: p.athenaPracticeId,
        environment: p.environment,
        timeZone: p.timeZone,
        settings: sortKeys(p.settings),
        connections: conns.filter((c) => c.kind !== 'hl7-inbound' && c.kind !== 'hl7-outbound').map(entry),
        interfaces: conns.filter((c) => c.kind === 'hl7-inbound' || c.kind === 'hl7-outbound').map(entry),
        mappingSets: d.mappings?.exportOverrides(p.id) ?? [],
        // Locations by name, never by id; the job's settings hold no secret.
        fileJobs: fileJobs(d)
          .list({ practiceId: p.id })
          .map(({ name, enabled, config: { connectionId, ...config } }) => sortKeys({ name, enabled, location: conns.find((c) => c.id === connectionId)?.name ?? connectionId, config })),
      }
    }),
    // Install-wide, so only in a whole export.
    ...(d.systemSettings && !practiceIds ? { system: sortKeys(d.systemSettings.get()) } : {}),
  }
  return JSON.stringify(doc, null, 2) + '\n'
}

export interface ImportResult {
  ok: boolean
  issues: ConfigIssue[]
  applied: { practices: number; connections: number; mappingSets: number }
}

export function validateConfig(text: string, mappings?: MappingSetsPort): { doc: ConfigDocument | null; issues: ConfigIssue[] } {
  let parsed: { value: unknown; positions: Map<string, { line: number; column: number }> }
  try {
    parsed = parseJsonWithPositions(text)
  } catch (e) {
    if (e instanceof JsonSyntaxError) return { doc: null, issues: [{ line: e.position.line, column: e.position.column, path: '', message: e.message }] }
    throw e
  }
  const r = configDocumentSchema.safeParse(parsed.value)
  if (!r.success) {
    const issues = r.error.issues.map((i) => {
      const p = positionOf(parsed.positions, i.path as (string | number)[])
      return { line: p?.line ?? null, column: p?.column ?? null, path: formatPath(i.path as (string | number)[]), message: i.message }
    })
    return { doc: null, issues }
  }
  const issues: ConfigIssue[] = []
  if (mappings) {
    r.data.practices.forEach((p, pi) => {
      for (const m of mappings.validateOverrides(p.id, p.mappingSets)) {
        const path = ['practices', pi, 'mappingSets', m.index, ...m.path]
        const pos = positionOf(parsed.positions, path)
        issues.push({ line: pos?.line ?? null, column: pos?.column ?? null, path: formatPath(path), message: m.message })
      }
    })
  }
  return { doc: issues.length ? null : r.data, issues }
}

export function importConfig(d: ConfigIoDeps, text: string, actor: string, dryRun = false): ImportResult {
  const { doc, issues } = validateConfig(text, d.mappings)
  const applied = { practices: 0, connections: 0, mappingSets: 0 }
  if (!doc) return { ok: false, issues, applied }
  if (doc.system && d.checkSystem) {
    try {
      d.checkSystem(doc.system)
    } catch (e) {
      const at = positionOf(parseJsonWithPositions(text).positions, ['system', 'backups', 'schedule'])
      return { ok: false, issues: [{ line: at?.line ?? null, column: at?.column ?? null, path: 'system.backups.schedule', message: (e as Error).message }], applied }
    }
  }
  if (dryRun) return { ok: true, issues: [], applied }
  d.db.transaction(() => {
    for (const p of doc.practices) {
      applyPractice(d, p, actor, applied)
    }
    if (doc.system && d.systemSettings) d.systemSettings.save(doc.system, actor, d.checkSystem)
    d.audit.append({ actor, action: 'config.import', targetType: 'config', details: { ...applied, fileJobs: doc.practices.reduce((n, p) => n + p.fileJobs.length, 0), practiceIds: doc.practices.map((p) => p.id) } })
  })()
  return { ok: true, issues: [], applied }
}

function applyPractice(d: ConfigIoDeps, p: ConfigPractice, actor: string, applied: ImportResult['applied']): void {
  const { connections, interfaces, mappingSets, fileJobs: jobs, ...practice } = p
  if (d.practices.find(p.id)) d.practices.update({ ...practice }, actor)
  else d.practices.create(practice, actor)
  applied.practices++
  for (const c of [...connections, ...interfaces] as ConnectionConfig[]) {
    const existing = d.connections.findByName(p.id, c.name)
    if (existing) d.connections.update(existing.id, c, actor)
    else d.connections.create(p.id, c, actor)
    applied.connections++
  }
  if (d.mappings && mappingSets.length) applied.mappingSets += d.mappings.importOverrides(p.id, mappingSets, actor)
  // File jobs by name, after their locations (upserted above) so a job finds its location's id.
  const repo = fileJobs(d)
  const current = repo.list({ practiceId: p.id })
  for (const j of jobs) {
    const config = { ...j.config, connectionId: d.connections.findByName(p.id, j.location)!.id }
    const existing = current.find((x) => x.name === j.name)
    if (existing) repo.update(existing.id, { name: j.name, enabled: j.enabled, config }, actor)
    else repo.create(p.id, { name: j.name, enabled: j.enabled, config }, actor)
  }
}

function formatPath(path: (string | number)[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '')
}

function sortKeys<T>(v: T): T {
  if (Array.isArray(v)) return v.map(sortKeys) as T
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(v as Record<string, unknown>).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k])
    return out as T
  }
  return v
}
