/**
 * Processing of stored inbound HL7 messages (pipeline handler `hl7`/`in`): parse the stored raw
 * bytes, apply the interface's filters, map through the practice's effective mapping sets (code
 * misses recorded for the studio's worklist), resolve the patient (unknown-patient rule) and
 * upsert records by their external ids, so a replay or reprocess updates instead of duplicating.
 * In `application` ACK mode the ACK that reflects the outcome is stored as the response.
 */
import { isAscii } from 'node:buffer'
import { AppError, isAppError } from '../../../../shared/errors'
import type { EngineContext } from '../../core/engine-context'
import type { MappingContext } from '../../mapping'
import type { ConnectorHandler, FilterDecision, ProcessContext } from '../../pipeline/connector-handler'
import type { ExternalId } from '../../records/record-store'
import {
  ackErrorFor,
  ackPolicy,
  buildAck,
  buildRejectAck,
  parseHl7,
  readObr,
  readObx,
  readPid,
  readPv1,
  readSch,
  readTxa,
  readFt1,
  type AckPolicy,
  type Hl7Message,
} from '../hl7'
import { evaluateFilters } from './filters'
import type { Hl7Interfaces, InboundInterface } from './interfaces'
import { childOccurrences, collectMisses, financialEvaluations, mappingFailure, observationEvaluations, patientEvaluations, segmentCount, singleEvaluation, type Evaluation } from './mapping-run'
import { patientMatching } from '../../matching'
import { MAPPING_KEYS, processedType, SUPPORTED_SUMMARY, supportedType, TYPE_NOT_PROCESSED, type SupportedType } from './message-types'
import { findPatient, matchPatient, mergedIds, patientGroups, patientIds, unknownPatient, type UnknownPatientRule } from './patients'
import type { MissesAt } from '../../mapping-store/mapping-store'
import { premap, slotOf, type Premapped } from './premap'

export interface ParsedInbound {
  msg: Hl7Message
  /** null: a type this interface does not process (filtered, see `unsupportedTypes`). */
  type: SupportedType | null
  iface: InboundInterface | null
  policy: AckPolicy
  /** The mapping evaluations made before the group's write (premap below). */
  premapped?: Premapped
}

/** What apply does about the patient, decided (read-only) while mapping. */
type PatientPlan =
  | { action: 'link'; recordId: number; ids: ExternalId[]; mrn: string | null }
  | { action: 'create'; ids: ExternalId[]; data: Record<string, unknown> }
  | { action: 'update'; ids: ExternalId[]; data: Record<string, unknown> }
  | { action: 'match'; recordId: number; ids: ExternalId[]; data: Record<string, unknown> | null }

interface IdentifiedRecord {
  ids: ExternalId[]
  data: Record<string, unknown>
}

export interface MappedInbound {
  route: SupportedType['route']
  /** The interface parse found (apply's application ACK asks it, without reading it again). */
  iface: InboundInterface | null
  patient: PatientPlan
  appointment?: IdentifiedRecord
  observations?: IdentifiedRecord[]
  /** An ORU reporting on several patients: the second and later patients with their own results. */
  morePatients?: { patient: PatientPlan; observations: IdentifiedRecord[] }[]
  financials?: IdentifiedRecord[]
  document?: IdentifiedRecord
  /** A merge (A40/A34/A18): each PID (survivor) with the ids its MRG-1 retires; the first is `patient`. */
  merges?: { patient: PatientPlan; priorIds: ExternalId[] }[]
}

/** One message's mapping: where misses are recorded, the context, and the slots evaluated ahead (premap) if still valid. */
interface Mapping {
  txId: MissesAt
  mctx: MappingContext
  pre: Premapped | null
}

function facilityOf(msg: Hl7Message): string {
  return (msg.get('MSH-4.1') ?? msg.get('MSH-3.1') ?? '').trim() || 'unknown'
}

function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined
  const s = String(v).trim()
  return s === '' ? undefined : s
}

/** The inspector's view of a message: header, the patient, and what the route reads. */
function summary(msg: Hl7Message, type: SupportedType | null, policy: AckPolicy): Record<string, unknown> {
  const seg = (id: string) => msg.segment(id)
  const out: Record<string, unknown> = {
    messageType: msg.messageType,
    structure: msg.structure ?? null,
    controlId: msg.controlId,
    version: msg.version,
    processingId: msg.processingId ?? null,
    sendingApplication: msg.get('MSH-3') ?? null,
    sendingFacility: msg.get('MSH-4') ?? null,
    receivingApplication: msg.get('MSH-5') ?? null,
    receivingFacility: msg.get('MSH-6') ?? null,
    charset: msg.charsetName ?? null,
    acknowledgment: policy,
    route: type?.route ?? null,
    action: type?.action ?? null,
    segments: msg.segments.map((s) => s.id),
  }
  const pid = seg('PID')
  if (pid) out.patient = readPid(pid)
  const pids = msg.segmentsNamed('PID')
  if (pids.length > 1) out.patients = pids.map(readPid)
  const pv1 = seg('PV1')
  if (pv1) out.visit = readPv1(pv1)
  if (type?.route === 'siu' && seg('SCH')) out.schedule = readSch(seg('SCH')!)
  if (type?.route === 'adt' && type.action === 'merge') out.priorPatients = msg.segmentsNamed('MRG').map((m) => ({ identifiers: m.rawAt(1) ?? null, accountNumber: m.rawAt(3) ?? null }))
  if (type?.route === 'oru') {
    out.orders = msg.segmentsNamed('OBR').map(readObr)
    out.observations = msg.segmentsNamed('OBX').map(readObx)
  }
  if (type?.route === 'dft') out.charges = msg.segmentsNamed('FT1').map(readFt1)
  if (type?.route === 'mdm') {
    if (seg('TXA')) out.document = readTxa(seg('TXA')!)
    out.contentSegments = segmentCount(msg, 'OBX')
  }
  return out
}

export function createInboundHandler(ctx: EngineContext, interfaces: Hl7Interfaces): ConnectorHandler<ParsedInbound, MappedInbound> {
  const mappingContext = (practiceId: string): MappingContext => {
    const p = ctx.practices.find(practiceId)
    // A set that reads a department's zone gets athena's (cached reference data), as in the studio.
    return { practiceId, defaultTimeZone: p?.timeZone ?? 'America/New_York', now: () => ctx.clock.now(), lookupDepartmentTimeZone: (id) => ctx.mappings.departmentTimeZone(practiceId, id) }
  }
  const ruleOf = (practiceId: string): UnknownPatientRule => ctx.practices.find(practiceId)?.settings.unknownPatientRule ?? 'create'

  /** Application-mode ACKs, stored as the transaction's response (original mode only). */
  const answer = (pctx: ProcessContext, parsed: ParsedInbound | null, outcome: { error?: unknown; filtered?: string }): void => {
    const iface = parsed?.iface ?? interfaces.inbound(pctx.tx.practice_id, pctx.tx.channel)
    if (iface?.config.ackMode !== 'application') return
    if (parsed && parsed.policy.mode !== 'original') return
    try {
      if (!parsed) {
        pctx.setResponse(buildRejectAck(pctx.payload, { error: outcome.error, clock: ctx.clock }))
        return
      }
      if (outcome.error !== undefined) {
        const err = ackErrorFor(outcome.error)
        pctx.setResponse(buildAck(parsed.msg, { code: 'AE', errors: [err], ...(err.userMessage ? { text: err.userMessage } : {}), clock: ctx.clock }))
      } else {
        pctx.setResponse(buildAck(parsed.msg, { code: 'AA', ...(outcome.filtered ? { text: `Filtered by rule ${outcome.filtered}` } : {}), clock: ctx.clock }))
      }
    } catch (e) {
      pctx.logger.warn('could not build the application acknowledgment', { code: isAppError(e) ? e.code : 'internal' })
    }
  }

  /**
   * The evaluations of one slot (premap.ts) with the set in force: premap's when it made them with
   * that same version, else made here. Code-map misses are recorded either way.
   */
  const evaluate = (practiceId: string, key: string, slot: string, at: Mapping, run: (set: Evaluation['set']) => Evaluation[]): Evaluation[] => {
    const eff = ctx.mappings.effective(practiceId, key)
    const pre = at.pre?.slots[slot]
    let evals: Evaluation[]
    if (pre && pre.version === eff.version) {
      evals = pre.evals.map((e) => ({ result: e.result, set: eff.set, key, version: eff.version, ...(e.scopeLabel !== undefined ? { scopeLabel: e.scopeLabel } : {}) }))
    } else {
      evals = run(eff.set)
    }
    for (const e of evals) {
      e.key = key
      e.version = eff.version
    }
    ctx.mappings.recordMisses(practiceId, key, collectMisses(evals.map((e) => e.result)), at.txId)
    return evals
  }

  const fail = (evals: Evaluation[]): void => {
    const e = mappingFailure(evals.filter((x) => !x.result.ok))
    if (e) throw e
  }

  /** Patient data from a PID (its slot: the whole message's, or a patient group's) through the patient set (with IN1/NK1 groups). */
  const mapPatient = (practiceId: string, msg: Hl7Message, slot: string, at: Mapping): Record<string, unknown> => {
    const evals = evaluate(practiceId, MAPPING_KEYS.patient, slot, at, (set) => patientEvaluations(set, msg, at.mctx))
    fail(evals)
    return (evals[0] as Evaluation).result.output
  }

  /** The patient a non-registration message refers to, per the practice's unknown-patient rule. */
  const planPatient = (pctx: ProcessContext, msg: Hl7Message, route: SupportedType['route'], slot: string, at: Mapping): PatientPlan => {
    const practiceId = pctx.tx.practice_id
    const ids = patientIds(msg)
    const rule = ruleOf(practiceId)
    const known = findPatient(pctx.records, practiceId, ids)
    const registration = route === 'adt' && (msg.trigger === 'A01' || msg.trigger === 'A04')
    if (route === 'adt') {
      const data = mapPatient(practiceId, msg, slot, at)
      if (known) return { action: 'update', ids, data }
      // A registration (A01/A04) creates the patient whatever the rule; with `match` it first
      // looks for the same person under other ids so a second record is not created.
      if (rule === 'match') {
        const m = matchPatient(pctx.records, patientMatching(ctx).matcher, practiceId, data)
        if (m) return { action: 'match', recordId: m.id, ids, data }
        if (!registration) throw unknownPatient(practiceId, rule)
      } else if (rule === 'hold' && !registration) {
        throw unknownPatient(practiceId, rule)
      }
      return { action: 'create', ids, data }
    }
    if (known) return { action: 'link', recordId: known.id, ids, mrn: str(known.data.mrn) ?? null }
    if (ids.length === 0) throw new AppError('validation_error', 'PID-3 (patient identifier list) is empty: the message cannot be linked to a patient.', { retryable: false })
    if (rule === 'create') return { action: 'create', ids, data: mapPatient(practiceId, msg, slot, at) }
    if (rule === 'match') {
      const m = matchPatient(pctx.records, patientMatching(ctx).matcher, practiceId, mapPatient(practiceId, msg, slot, at))
      if (m) return { action: 'match', recordId: m.id, ids, data: null }
    }
    throw unknownPatient(practiceId, rule)
  }

  /** A merge's surviving patient: updated when known, else created from its PID whatever the rule (the sender vouches for it). */
  const planSurvivor = (pctx: ProcessContext, msg: Hl7Message, slot: string, at: Mapping): PatientPlan => {
    const practiceId = pctx.tx.practice_id
    const ids = patientIds(msg)
    if (ids.length === 0) throw new AppError('validation_error', 'PID-3 (patient identifier list) is empty: the surviving patient cannot be identified.', { retryable: false })
    const data = mapPatient(practiceId, msg, slot, at)
    return findPatient(pctx.records, practiceId, ids) ? { action: 'update', ids, data } : { action: 'create', ids, data }
  }

  /**
   * One observation per OBX of a patient group (the g-th, 0-based), read with its parent OBR.
   * Ids are stable across resends; results under a second or later patient carry its position.
   */
  const observationsOf = (practiceId: string, msg: Hl7Message, g: number, facility: string, at: Mapping): IdentifiedRecord[] => {
    const occ = childOccurrences(msg, 'OBX', 'OBR')
    const evals = evaluate(practiceId, MAPPING_KEYS.observation, slotOf.observation(g), at, (set) => observationEvaluations(set, msg, g, at.mctx))
    fail(evals)
    return evals.map((ev, i) => {
      const o = occ[i] as { index: number }
      const d = ev.result.output
      const obx = msg.segment('OBX', o.index)
      const parts = [str(d.order_id) ?? msg.controlId, str(d.code) ?? '', obx?.value(4) ?? '', obx?.value(1) ?? String(o.index)]
      if (g > 0) parts.push(`patient ${g + 1}`)
      return { ids: [{ system: `hl7-obx:${facility}`, value: parts.join('|') }], data: d }
    })
  }

  const handler: ConnectorHandler<ParsedInbound, MappedInbound> = {
    connector: 'hl7',
    direction: 'in',
    maxAttempts: 5,
    // The practice paused processing: messages keep arriving and being stored; they wait, in order.
    held: (practiceId) => (ctx.practices.find(practiceId)?.settings.hl7ProcessingPaused ? 'HL7 processing paused' : null),

    parse(pctx) {
      const iface = interfaces.inbound(pctx.tx.practice_id, pctx.tx.channel)
      let msg: Hl7Message
      try {
        msg = parseHl7(pctx.payload, { defaultCharset: iface?.config.defaultCharset ?? 'UNICODE UTF-8' })
      } catch (e) {
        answer(pctx, null, { error: e })
        throw e
      }
      const policy = ackPolicy(msg)
      const type = processedType(iface?.config.messageTypes ?? [], msg.code, msg.trigger)
      pctx.setKeys({ controlId: msg.controlId || null, messageType: msg.messageType, mrn: msg.get('PID-3.1')?.trim() ?? null })
      if (!type && msg.code.trim() === '') {
        const e = new AppError('unsupported_message', `MSH-9 (message type) is empty: the message cannot be routed (processed: ${SUPPORTED_SUMMARY}).`, { retryable: false })
        answer(pctx, { msg, policy, iface, type: null }, { error: e })
        throw e
      }
      const parsed: ParsedInbound = { msg, type, iface, policy }
      // Built only if stored: a done message's is derived when read (derivedParsed below).
      pctx.setParsed(() => summary(msg, type, policy))
      if (type?.route === 'siu') pctx.setKeys({ appointmentId: msg.get('SCH-2.1') ?? msg.get('SCH-1.1') ?? null })
      return parsed
    },

    // Before the group's write lock (ConnectorHandler.premap): every mapping evaluation map may ask
    // for, from the message and the effective sets alone (premap.ts). Whether the patient is known,
    // the unknown-patient rule and the upserts stay in map and apply, inside the write, in order.
    premap(parsed, pctx) {
      if (!parsed.type) return
      const practiceId = pctx.tx.practice_id
      const { defaultTimeZone, now } = mappingContext(practiceId)
      const slots = premap(parsed.msg, parsed.type, (key) => ctx.mappings.effective(practiceId, key), { practiceId, defaultTimeZone, now })
      parsed.premapped = { zone: defaultTimeZone, slots }
    },

    filter(parsed, pctx): FilterDecision {
      // The interface's rules first (they may name any type), then the types it processes: a type
      // it does not process reached here only because its policy is to acknowledge and ignore it.
      let d = evaluateFilters(parsed.iface?.config.filters ?? [], parsed.msg)
      if (d.accept && !parsed.type) d = { accept: false, rule: TYPE_NOT_PROCESSED, reason: `${parsed.msg.messageType} is acknowledged and kept, not processed (processed: ${SUPPORTED_SUMMARY})` }
      if (!d.accept) answer(pctx, parsed, { filtered: d.rule })
      return d
    },

    map(parsed, pctx) {
      try {
        const { msg } = parsed
        const type = parsed.type
        if (!type) throw new AppError('unsupported_message', `Message type ${msg.messageType} is not processed by this interface.`, { retryable: false })
        const practiceId = pctx.tx.practice_id
        const mctx = mappingContext(practiceId)
        // Code-map misses are recorded with the outcome (ProcessContext.commitWith). The slots
        // evaluated ahead of the write (premap below) count only for the zone they were made in,
        // and each only with the set version in force now (evaluate).
        const pre = parsed.premapped
        const at: Mapping = { txId: pctx, mctx, pre: pre && pre.zone === mctx.defaultTimeZone ? pre : null }
        const facility = facilityOf(msg)
        const out: MappedInbound = { route: type.route, iface: parsed.iface, patient: { action: 'link', recordId: 0, ids: [], mrn: null } }
        switch (type.route) {
          case 'adt':
            if (type.action === 'merge') {
              out.merges = patientGroups(msg).map((group, i) => {
                const priorIds = mergedIds(group)
                if (priorIds.length === 0) throw new AppError('validation_error', 'MRG-1 (prior patient identifier list) is empty: which patient to merge is unknown.', { retryable: false })
                return { patient: planSurvivor(pctx, group, slotOf.patient(i), at), priorIds }
              })
              out.patient = (out.merges[0] as { patient: PatientPlan }).patient
            }
            break
          case 'siu': {
            const [ev] = evaluate(practiceId, MAPPING_KEYS.appointment, 'appointment', at, (set) => singleEvaluation(set, msg, mctx)) as [Evaluation]
            fail([ev])
            const ids: ExternalId[] = []
            const filler = msg.get('SCH-2.1')?.trim()
            const placer = msg.get('SCH-1.1')?.trim()
            if (filler) ids.push({ system: `sch-filler:${(msg.get('SCH-2.2') ?? facility).trim()}`, value: filler })
            if (placer) ids.push({ system: `sch-placer:${(msg.get('SCH-1.2') ?? facility).trim()}`, value: placer })
            if (ids.length === 0) throw new AppError('validation_error', 'SCH-1 and SCH-2 (appointment ids) are both empty: the appointment cannot be identified.', { retryable: false })
            out.appointment = { ids, data: ev.result.output }
            break
          }
          case 'oru': {
            const groups = patientGroups(msg).map((group, g) => ({ group, observations: observationsOf(practiceId, group, g, facility, at) }))
            out.observations = groups[0]?.observations ?? []
            if (groups.length > 1) {
              out.patient = planPatient(pctx, (groups[0] as { group: Hl7Message }).group, type.route, slotOf.patient(0), at)
              out.morePatients = groups.slice(1).map((m, i) => ({ patient: planPatient(pctx, m.group, type.route, slotOf.patient(i + 1), at), observations: m.observations }))
            }
            break
          }
          case 'dft': {
            const evals = evaluate(practiceId, MAPPING_KEYS.financial, 'financial', at, (set) => financialEvaluations(set, msg, mctx))
            fail(evals)
            out.financials = evals.map((ev, i) => {
              const ft1 = msg.segment('FT1', i + 1)
              const d = { ...ev.result.output }
              const dx = (ft1?.repetitions(19) ?? []).map((_, r) => ft1?.value(19, r + 1, 1)?.trim()).filter((x): x is string => !!x)
              if (dx.length > 0 && d.diagnosis_codes === undefined) d.diagnosis_codes = dx
              // FT1-26 modifiers repeat like FT1-19 diagnoses: an array the mapping engine cannot build.
              const mods = (ft1?.repetitions(26) ?? []).map((_, r) => ft1?.value(26, r + 1, 1)?.trim()).filter((x): x is string => !!x)
              if (mods.length > 0 && d.modifiers === undefined) d.modifiers = mods.slice(0, 4)
              const id = str(d.external_id) ?? `${msg.controlId}|${ft1?.value(1) ?? i + 1}`
              return { ids: [{ system: `hl7-ft1:${facility}`, value: id }], data: d }
            })
            break
          }
          case 'mdm': {
            const [ev] = evaluate(practiceId, MAPPING_KEYS.document, 'document', at, (set) => singleEvaluation(set, msg, mctx)) as [Evaluation]
            fail([ev])
            const d = ev.result.output
            const id = str(d.external_id) ?? msg.controlId
            if (!id) throw new AppError('validation_error', 'TXA-12 (unique document number) and MSH-10 are empty: the document cannot be identified.', { retryable: false })
            out.document = { ids: [{ system: `hl7-txa:${facility}`, value: id }], data: d }
            break
          }
        }
        if (!out.morePatients && !out.merges) out.patient = planPatient(pctx, msg, type.route, slotOf.patient(), at)
        const shown = (plan: PatientPlan): unknown => (plan.action === 'link' ? { action: 'link', recordId: plan.recordId } : plan)
        pctx.setMapped({
          patient: shown(out.patient),
          ...(out.appointment ? { appointment: out.appointment.data } : {}),
          ...(out.observations ? { observations: out.observations.map((o) => o.data) } : {}),
          ...(out.morePatients ? { morePatients: out.morePatients.map((m) => ({ patient: shown(m.patient), observations: m.observations.map((o) => o.data) })) } : {}),
          ...(out.financials ? { financialTransactions: out.financials.map((o) => o.data) } : {}),
          // The document's body stays in the document record: kept here too, a 5 MB MDM's base64
          // would sit in the transaction's row and be rewritten by every later status change
          // (reprocess, discard). As the FHIR connector shows it.
          ...(out.document ? { document: out.document.data.content_base64 ? { ...out.document.data, content_base64: '(content)' } : out.document.data } : {}),
          ...(out.merges ? { merges: out.merges.map((m) => ({ survivor: shown(m.patient), priorIds: m.priorIds, action: parsed.iface?.config.mergeAction ?? 'merge' })) } : {}),
        })
        return out
      } catch (e) {
        answer(pctx, parsed, { error: e })
        throw e
      }
    },

    apply(mapped, pctx) {
      try {
        // Inside the lane's group write (grouped below), in this row's own savepoint: the upserts
        // of one message land together with its outcome or not at all. Nothing outside learns of
        // them before the pipeline's outcome, which waits for the disk (replaying them is harmless).
        applyRecords(mapped, pctx)
      } catch (e) {
        answerApplied(pctx, mapped.iface, e)
        throw e
      }
      answerApplied(pctx, mapped.iface)
    },
    grouped: true,
    // An MDM's document: stored off the engine thread before the write when the message is big.
    bodiesOf: (mapped) => {
      const body = mapped.document?.data.content_base64
      return typeof body === 'string' && body !== '' ? [body] : []
    },
    // What parse records for a message that ends done, from its bytes alone. All-ASCII bytes read
    // the same in every charset an interface may default to, and a done message's type is one the
    // interface processes, i.e. supportedType's: neither depends on the configuration in force.
    derivedParsed: {
      covers: (payload) => isAscii(payload),
      of: (payload) => {
        const msg = parseHl7(payload)
        return summary(msg, supportedType(msg.code, msg.trigger) ?? null, ackPolicy(msg))
      },
    },
  }

  const applyRecords = (mapped: MappedInbound, pctx: ProcessContext): void => {
    const { records } = pctx
    const practiceId = pctx.tx.practice_id
    const txId = pctx.tx.id
    // The patient's record id and MRN as stored after this write (the upsert's after-image; a
    // linked patient's as map read it): reading the record back cost ~3 % of a message's CPU.
    const resolve = (p: PatientPlan): { id: number; mrn: string | null } => {
      const written = (r: { id: number; after: Record<string, unknown> }) => ({ id: r.id, mrn: str(r.after.mrn) ?? null })
      switch (p.action) {
        case 'link':
          return { id: p.recordId, mrn: p.mrn }
        case 'create':
        case 'update':
          return written(records.upsert({ practiceId, kind: 'patient', ids: p.ids, data: p.data, txId }))
        case 'match': {
          const matched = records.get(p.recordId)
          if (!matched) throw unknownPatient(practiceId, 'match')
          return written(records.upsert({ practiceId, kind: 'patient', ids: [...matched.externalIds.slice(0, 1), ...p.ids], data: p.data ?? {}, txId }))
        }
      }
    }
    const patient = resolve(mapped.patient)
    const patientRef = patient.id
    pctx.setKeys({ patientId: String(patientRef), mrn: patient.mrn })
    const upsert = (kind: 'appointment' | 'observation' | 'financial_transaction' | 'document', r: IdentifiedRecord, ref = patientRef): number =>
      records.upsert({ practiceId, kind, ids: r.ids, data: r.data, patientRef: ref, txId }).id
    if (mapped.appointment) {
      upsert('appointment', mapped.appointment)
      pctx.setKeys({ appointmentId: mapped.appointment.ids[0]?.value ?? null })
    }
    for (const o of mapped.observations ?? []) upsert('observation', o)
    for (const m of mapped.morePatients ?? []) {
      const ref = resolve(m.patient).id
      for (const o of m.observations) upsert('observation', o, ref)
    }
    for (const f of mapped.financials ?? []) upsert('financial_transaction', f)
    if (mapped.document) upsert('document', mapped.document)
    if (mapped.merges) {
      const iface = interfaces.inbound(practiceId, pctx.tx.channel)
      const action = iface?.config.mergeAction ?? 'merge'
      mapped.merges.forEach((m, i) => {
        const survivorId = i === 0 ? patientRef : resolve(m.patient).id
        const prior = findPatient(records, practiceId, m.priorIds)
        ctx.patientLinks.record({ practiceId, survivorId, priorId: prior?.id ?? null, priorIds: m.priorIds, source: `hl7 ${pctx.tx.message_type ?? 'ADT'}`, txId, action })
      })
    }
  }

  // apply has no parsed message in scope; re-read it from the payload only when an application ACK is wanted.
  const answerApplied = (pctx: ProcessContext, iface: InboundInterface | null, error?: unknown): void => {
    if (iface?.config.ackMode !== 'application') return
    let msg: Hl7Message
    try {
      msg = parseHl7(pctx.payload, { defaultCharset: iface.config.defaultCharset })
    } catch {
      return
    }
    answer(pctx, { msg, iface, policy: ackPolicy(msg), type: processedType(iface.config.messageTypes, msg.code, msg.trigger) }, error === undefined ? {} : { error })
  }

  return handler
}
