/**
 * Inbound athenaNet transactions: parse the stored envelope, flatten athena's nested chart shapes
 * into one item per Practice Studio record, map each item through the practice's effective mapping
 * set (code-map misses recorded for the worklist), and upsert the records by their athena ids — so
 * a replayed page or a reprocessed transaction updates the same records instead of adding new
 * ones. Fields the set maps but the source left empty are cleared (athena is the source of truth
 * for them); fields the set does not touch are kept.
 */
import { AppError } from '../../../../../shared/errors'
import type { MappingResult, MappingSet } from '../../../../../shared/mapping'
import type { RecordKind } from '../../../../../shared/records'
import type { EngineContext } from '../../../core/engine-context'
import { evaluateMapping, jsonAccessor } from '../../../mapping'
import type { ConnectorHandler, ProcessContext } from '../../../pipeline/connector-handler'
import type { ExternalId } from '../../../records/record-store'
import { asId, isRecord } from '../client/response'
import type { AthenaRuntime } from '../runtime'
import { inboundEnvelopeSchema, type InboundEnvelope, type InboundKind } from './messages'
import type { MissesAt } from '../../../mapping-store/mapping-store'

export const ATHENA_SYSTEM = 'athena'

export interface MappedItem {
  kind: RecordKind
  setKey: string
  athenaId: string
  athenaPatientId: string | null
  data: Record<string, unknown>
}

const SET_FOR: Record<InboundKind, { key: string; record: RecordKind }> = {
  patient: { key: 'athena.patient.in', record: 'patient' },
  appointment: { key: 'athena.appointment.in', record: 'appointment' },
  allergies: { key: 'athena.allergy.in', record: 'observation' },
  medications: { key: 'athena.medication.in', record: 'observation' },
  problems: { key: 'athena.problem.in', record: 'observation' },
  vitals: { key: 'athena.vital.in', record: 'observation' },
  labresults: { key: 'athena.labresult.in', record: 'observation' },
  documents: { key: 'athena.document.in', record: 'document' },
}

type Item = Record<string, unknown>
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])
const recs = (v: unknown): Item[] => arr(v).filter(isRecord)

/** One source item per Practice Studio record (chart sections hold many). */
export function flatten(env: InboundEnvelope): Item[] {
  const r = env.record
  const pid = env.patientId ?? asId(r.patientid) ?? ''
  const withKey = (item: Item, key: string): Item => ({ ...item, patientid: pid, observationkey: `${pid}:${key}` })
  switch (env.kind) {
    case 'patient':
    case 'appointment':
      return [r]
    case 'allergies':
      return recs(r.allergies).map((a) => withKey(a, `allergy:${asId(a.allergenid) ?? ''}`))
    case 'medications':
      // Array of arrays (M): each inner array is one medication's entries; the first is current.
      return arr(r.medications)
        .map((m) => (Array.isArray(m) ? m.find(isRecord) : isRecord(m) ? m : undefined))
        .filter((m): m is Item => m !== undefined)
        .map((m) => {
          const events = recs(m.events)
          const start = events.find((e) => String(e.type).toUpperCase() === 'START')?.eventdate
          const end = events.find((e) => String(e.type).toUpperCase() === 'END')?.eventdate
          const rx = Array.isArray(m.rxnorm) ? m.rxnorm[0] : m.rxnorm
          return withKey({ ...m, startdate: start, enddate: end, rxnorm: rx }, `medication:${asId(m.medicationentryid) ?? asId(m.medicationid) ?? ''}`)
        })
    case 'problems':
      return recs(r.problems).map((p) => {
        const events = recs(p.events)
        const start = events.find((e) => String(e.eventtype).toUpperCase() === 'START') ?? events[0]
        const ended = events.some((e) => String(e.eventtype).toUpperCase() === 'END')
        return withKey({ ...p, startdate: start?.startdate ?? start?.onsetdate, status: ended ? 'resolved' : (start?.status ?? 'active') }, `problem:${asId(p.problemid) ?? ''}`)
      })
    case 'vitals':
      return recs(r.vitals).flatMap((v) =>
        arr(v.readings).flatMap((set) =>
          recs(Array.isArray(set) ? set : [set]).map((reading) => withKey({ abbreviation: v.abbreviation, ...reading }, `vital:${asId(reading.readingid) ?? asId(reading.vitalid) ?? ''}`)),
        ),
      )
    case 'labresults':
      return recs(r.results).flatMap((l) => {
        const analytes = recs(l.analytes)
        const base = { labresultid: l.labresultid, description: l.description, labresultloinc: l.labresultloinc, labresultdatetime: l.labresultdatetime, resultstatus: l.resultstatus }
        if (analytes.length === 0) return [withKey(base, `lab:${asId(l.labresultid) ?? ''}`)]
        return analytes.map((a) => withKey({ ...base, ...a }, `lab:${asId(l.labresultid) ?? ''}:${asId(a.analyteid) ?? ''}`))
      })
    case 'documents':
      return recs(r.documents).map((d) => ({ ...d, patientid: pid }))
  }
}

function athenaIdOf(kind: InboundKind, item: Item, output: Record<string, unknown>): string | null {
  if (kind === 'patient') return asId(item.patientid)
  if (kind === 'appointment') return asId(item.appointmentid)
  if (kind === 'documents') return asId(item.documentid)
  return asId(output.external_id) ?? asId(item.observationkey)
}

/** Top-level targets a set writes, so an emptied source clears the record's field. */
export function topTargets(set: MappingSet): string[] {
  return [...new Set(set.fields.map((f) => f.target.split('.')[0]!.split('[')[0]!))].filter((t) => t !== 'custom')
}

export function describeIssues(result: MappingResult): string {
  const parts = result.errors.slice(0, 5).map((e) => `${e.target}: ${e.message}`)
  return `${parts.join('; ')}${result.errors.length > 5 ? ` (+${result.errors.length - 5} more)` : ''}`
}

/** Maps one envelope; shared by the inbound handler and workflows that map a fresh athena answer. */
export function mapInbound(ctx: EngineContext, runtime: AthenaRuntime, practiceId: string, env: InboundEnvelope, at: MissesAt): MappedItem[] {
  const { key, record } = SET_FOR[env.kind]
  const eff = ctx.mappings.effective(practiceId, key)
  const mctx = runtime.mappingContext(practiceId)
  const targets = topTargets(eff.set)
  const out: MappedItem[] = []
  const failures: string[] = []
  const misses: MappingResult['codeMisses'] = []
  for (const item of flatten(env)) {
    const result = evaluateMapping(eff.set, jsonAccessor(item), mctx)
    misses.push(...result.codeMisses)
    if (!result.ok) {
      failures.push(describeIssues(result))
      continue
    }
    const id = athenaIdOf(env.kind, item, result.output)
    if (!id) {
      failures.push('the record has no athena id')
      continue
    }
    const data: Record<string, unknown> = Object.fromEntries(targets.map((t) => [t, null]))
    Object.assign(data, result.output)
    out.push({ kind: record, setKey: key, athenaId: id, athenaPatientId: env.kind === 'patient' ? id : (asId(item.patientid) ?? env.patientId ?? null), data })
  }
  ctx.mappings.recordMisses(practiceId, key, misses, at)
  if (failures.length) {
    throw new AppError('mapping_error', `Mapping ${key} failed: ${failures[0]}${failures.length > 1 ? ` (and ${failures.length - 1} more item(s))` : ''}`, {
      retryable: false,
      details: { setKey: key, failed: failures.length, version: eff.version },
    })
  }
  return out
}

/** Upserts mapped items; returns record ids. Idempotent through the athena external ids. */
export function applyMapped(ctx: EngineContext, practiceId: string, items: MappedItem[], txId: number | null): { id: number; op: string }[] {
  const out: { id: number; op: string }[] = []
  for (const m of items) {
    const ids: ExternalId[] = [{ system: m.kind === 'observation' ? ATHENA_SYSTEM : ATHENA_SYSTEM, value: m.athenaId }]
    const patientRef = m.kind !== 'patient' && m.athenaPatientId ? (ctx.records.findByExternalId(practiceId, 'patient', ATHENA_SYSTEM, m.athenaPatientId)?.id ?? null) : null
    // An appointment (or result) synced before its patient waits for it and is linked when it arrives.
    const awaitPatient = patientRef === null && m.kind !== 'patient' && m.athenaPatientId ? { system: ATHENA_SYSTEM, value: m.athenaPatientId } : null
    const r = ctx.records.upsert({ practiceId, kind: m.kind, ids, data: m.data, patientRef, txId, awaitPatient })
    out.push({ id: r.id, op: r.op })
  }
  return out
}

export function inboundHandler(ctx: EngineContext, runtime: AthenaRuntime): ConnectorHandler<InboundEnvelope, MappedItem[]> {
  return {
    connector: 'athena',
    direction: 'in',
    maxAttempts: 3,
    parse(p: ProcessContext) {
      let raw: unknown
      try {
        raw = JSON.parse(p.payload.toString('utf8'))
      } catch {
        throw new AppError('parse_error', 'The stored athenaNet payload is not JSON.', { retryable: false })
      }
      const r = inboundEnvelopeSchema.safeParse(raw)
      if (!r.success) throw new AppError('parse_error', 'The stored athenaNet payload is not an athena envelope.', { retryable: false, details: { issues: r.error.issues.slice(0, 5).map((i) => i.path.join('.')) } })
      const env = r.data
      const patientId = env.kind === 'patient' ? asId(env.record.patientid) : (env.patientId ?? asId(env.record.patientid))
      p.setKeys({ messageType: env.kind, patientId, appointmentId: env.kind === 'appointment' ? asId(env.record.appointmentid) : null })
      p.setParsed({ kind: env.kind, source: env.source, items: flatten(env).length })
      return env
    },
    map(env, p) {
      const items = mapInbound(ctx, runtime, p.tx.practice_id, env, p)
      p.setMapped(items.map((i) => ({ kind: i.kind, athenaId: i.athenaId, data: i.data })))
      return items
    },
    // In the lane's group write (pipeline/outcomes.ts): many records per commit.
    apply(items, p) {
      const done = applyMapped(ctx, p.tx.practice_id, items, p.tx.id)
      p.setResponse(JSON.stringify({ records: done }))
    },
    grouped: true,
  }
}
