/**
 * Inbound processing end to end (listener → store → pipeline → mapping sets → records): every
 * supported type, the unknown-patient rules, filters, and the mapping studio's worklist flow for
 * a code-map miss (miss recorded → entry added → reprocess → done).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StoredRecord } from '../../../electron/engine/records/record-store'
import { adtMsg, dftMsg, mdmMsg, MllpTestClient, openHl7Engine, oruMsg, oruTwoPatientsMsg, siuMsg, until, type Hl7TestEngine } from './support'

let t: Hl7TestEngine
let c: MllpTestClient

beforeAll(async () => {
  t = await openHl7Engine()
  const { port } = await t.addInbound('adt-in')
  c = await MllpTestClient.connect(port)
})
afterAll(async () => {
  c?.close()
  await t?.close()
})

const records = (kind: StoredRecord['kind'], practiceId = 'sandbox'): StoredRecord[] => t.engine.ctx.records.list(practiceId, kind, 0, 1000)
const patientByMrn = (mrn: string, practiceId = 'sandbox'): StoredRecord | null => t.engine.ctx.records.findByExternalId(practiceId, 'patient', 'mrn:RIVERSIDE', mrn)

async function sendAndSettle(text: string, client = c): Promise<number> {
  const ack = await client.sendAck(text)
  expect(['AA', 'CA']).toContain(ack.code)
  await t.idle()
  const rows = t.rows('control_id = ?', ack.controlId)
  return rows[rows.length - 1]!.id
}

describe('ADT A01/A04/A08 → patients', () => {
  it('A04 registers the patient with identifiers, E.164 phones, language, race, ethnicity, contacts and every insurance', async () => {
    const id = await sendAndSettle(adtMsg({ control: 'P1', mrn: 'M100' }))
    const row = t.engine.ctx.txRepo.get(id)!
    expect(row).toMatchObject({ status: 'done', mrn: 'M100', message_type: 'ADT^A04' })
    const p = patientByMrn('M100')!
    expect(p.data).toMatchObject({
      mrn: 'M100',
      last_name: 'QUINTERO',
      first_name: 'ELENA',
      middle_name: 'MARISOL',
      date_of_birth: '1987-06-18',
      gender: 'F',
      address: { line1: '418 HARBOR VIEW RD', line2: 'APT 2B', city: 'SOMERVILLE', state: 'MA', postal_code: '02144', country: 'USA' },
      phone_home: '+16172531000',
      phone_work: '+16172532000',
      preferred_language: 'spa',
      race: '2106-3',
      ethnicity: '2186-5',
      marital_status: 'M',
      department_id: 'CLINIC',
      custom: { patient_class: 'O', visit_number: 'VN8841', attending_provider_id: '1234567890' },
      contacts: [{ name: 'ROBERTO QUINTERO', relationship: 'SPO', phone: '+16172531000' }],
      insurance: [
        { sequence: 1, plan_id: 'BCBS-PPO', company_name: 'Blue Cross Blue Shield of Massachusetts', group_number: 'GRP-7731', subscriber_name: 'ELENA QUINTERO', subscriber_relationship: 'SEL', member_id: 'XZB123456789' },
        { sequence: 2, plan_id: 'AETNA-HMO', company_name: 'Aetna', group_number: 'GRP-9' },
      ],
    })
    expect(p.externalIds).toEqual([{ system: 'mrn:RIVERSIDE', value: 'M100' }])
    expect(row.patient_id).toBe(String(p.id))
    const steps = t.engine.ctx.txRepo.steps(id).map((s) => `${s.step}:${s.outcome}`)
    expect(steps).toEqual(['parse:ok', 'filter:ok', 'map:ok', 'apply:ok'])
    // A done message's parsed stage is not stored: it is derived from the payload when read.
    expect(row.parsed).toBeNull()
    expect(JSON.parse(t.engine.ctx.pipeline.parsedStage(row)!.text)).toMatchObject({ messageType: 'ADT^A04', controlId: 'P1', route: 'adt', action: 'register', acknowledgment: { mode: 'original' } })
    expect(JSON.parse(row.mapped!)).toMatchObject({ patient: { action: 'create', data: { mrn: 'M100' } } })
  })

  it('A08 updates the same patient (merge), with before/after in the record changes', async () => {
    const id = await sendAndSettle(adtMsg({ control: 'P2', trigger: 'A08', mrn: 'M100', first: 'ELENITA' }))
    const p = patientByMrn('M100')!
    expect(p.version).toBe(2)
    expect(p.data.first_name).toBe('ELENITA')
    expect(records('patient').filter((r) => r.data.mrn === 'M100')).toHaveLength(1)
    const changes = t.engine.ctx.records.changesForTx(id)
    expect(changes).toEqual([expect.objectContaining({ recordId: p.id, op: 'update', before: expect.objectContaining({ first_name: 'ELENA' }), after: expect.objectContaining({ first_name: 'ELENITA' }) })])
  })

  it('a replayed message (new control id, same content) changes nothing', async () => {
    const before = patientByMrn('M100')!.version
    await sendAndSettle(adtMsg({ control: 'P3', trigger: 'A08', mrn: 'M100', first: 'ELENITA' }))
    expect(patientByMrn('M100')!.version).toBe(before)
  })
})

describe('SIU S12/S14/S15 → appointments', () => {
  it('creates, modifies and cancels one appointment, linked to its patient', async () => {
    await sendAndSettle(siuMsg({ control: 'S1', trigger: 'S12', appt: 'APT1', mrn: 'M100' }))
    const appt = () => t.engine.ctx.records.findByExternalId('sandbox', 'appointment', 'sch-filler:RIVERSIDE', 'APT1')!
    expect(appt().data).toMatchObject({ external_id: 'APT1', start_time: '2026-06-10T18:30:00Z', end_time: '2026-06-10T19:00:00Z', status: 'scheduled', duration_minutes: 30, appointment_type: 'FOLLOWUP', provider_id: '1234567890', location_id: 'CLINIC', custom: { placer_appointment_id: 'PAPT1' } })
    expect(appt().patientRef).toBe(patientByMrn('M100')!.id)
    expect(appt().externalIds).toEqual(expect.arrayContaining([{ system: 'sch-placer:RIVERSIDE', value: 'PAPT1' }]))
    expect(t.rows("control_id = 'S1'")[0]!.appointment_id).toBe('APT1')

    await sendAndSettle(siuMsg({ control: 'S2', trigger: 'S14', appt: 'APT1', mrn: 'M100', start: '20260611090000' }))
    expect(appt().data.start_time).toBe('2026-06-11T13:00:00Z')
    await sendAndSettle(siuMsg({ control: 'S3', trigger: 'S15', appt: 'APT1', mrn: 'M100', start: '20260611090000' }))
    expect(appt().data.status).toBe('cancelled')
    expect(records('appointment').filter((a) => a.data.external_id === 'APT1')).toHaveLength(1)
  })
})

describe('ORU R01 → observations', () => {
  it('one observation per OBX with value types, units, ranges, flags and status, linked to the patient; a resend updates in place', async () => {
    await sendAndSettle(oruMsg({ control: 'R1', mrn: 'M100' }))
    const obs = records('observation').filter((o) => o.patientRef === patientByMrn('M100')!.id)
    expect(obs).toHaveLength(4)
    const byCode = Object.fromEntries(obs.map((o) => [o.data.code as string, o.data]))
    expect(byCode.WBC).toMatchObject({ value_type: 'NM', value: 7.5, unit: '10*3/uL', reference_range: '4.5-11.0', abnormal_flag: 'N', status: 'final', order_id: 'LAB001', observed_at: '2026-03-09T14:00:00Z' })
    expect(byCode['600-7']).toMatchObject({ value_type: 'CWE', value: '112283007', custom: { value_display: 'Escherichia coli', value_system: 'SCT' }, status: 'preliminary', order_id: 'LAB002' })
    expect(byCode.NOTE).toMatchObject({ value_type: 'TX', value: 'First line\nSecond line' })
    await sendAndSettle(oruMsg({ control: 'R2', mrn: 'M100' }))
    expect(records('observation').filter((o) => o.patientRef === patientByMrn('M100')!.id)).toHaveLength(4)
  })
})

describe('ORU R01 reporting on several patients', () => {
  it('links every result to the patient it is reported under, even with the same order and code; a resend updates in place', async () => {
    const id = await sendAndSettle(oruTwoPatientsMsg({ control: 'RM1', first: 'M100', second: 'M300' }))
    expect(t.engine.ctx.txRepo.get(id)!.status).toBe('done')
    const second = patientByMrn('M300')!
    expect(second.data).toMatchObject({ last_name: 'OKONKWO', date_of_birth: '1975-04-11', gender: 'M' })
    const of = (ref: number) => records('observation').filter((o) => o.patientRef === ref && o.data.order_id === 'LAB001' && o.data.observed_at === '2026-03-09T14:00:00Z')
    const before = of(patientByMrn('M100')!.id).length
    expect(of(second.id).map((o) => [o.data.code, o.data.value, o.data.abnormal_flag])).toEqual([
      ['WBC', 12.9, 'H'],
      ['HGB', 11.1, 'L'],
    ])
    expect(of(patientByMrn('M100')!.id).find((o) => o.data.code === 'WBC')!.data.value).toBe(7.5)
    const mapped = JSON.parse(t.engine.ctx.txRepo.get(id)!.mapped!) as { morePatients: { observations: unknown[] }[] }
    expect(mapped.morePatients.map((m) => m.observations.length)).toEqual([2])
    await sendAndSettle(oruTwoPatientsMsg({ control: 'RM2', first: 'M100', second: 'M300' }))
    expect(of(second.id)).toHaveLength(2)
    expect(of(patientByMrn('M100')!.id)).toHaveLength(before)
  })

  it('results before the first PID are refused (validation_error in the error queue), nothing applied', async () => {
    const id = await sendAndSettle(oruTwoPatientsMsg({ control: 'RM3', first: 'M100', second: 'M301', orphan: true }))
    expect(t.engine.ctx.txRepo.get(id)).toMatchObject({ status: 'error', error_code: 'validation_error' })
    expect(t.engine.ctx.txRepo.get(id)!.error_message).toMatch(/before its first PID/)
    expect(patientByMrn('M301')).toBeNull()
  })
})

describe('DFT P03 → financial transactions, MDM T02 → documents', () => {
  it('every FT1 becomes a financial transaction with its diagnoses', async () => {
    await sendAndSettle(dftMsg({ control: 'F1', mrn: 'M100' }))
    const fts = records('financial_transaction')
    expect(fts.map((f) => f.data)).toEqual([
      expect.objectContaining({ external_id: 'TX100', transaction_type: 'CG', transaction_date: '2026-04-01', procedure_code: '99213', amount: 150, quantity: 1, diagnosis_codes: ['R07.9', 'I10'], provider_id: '2345' }),
      expect.objectContaining({ external_id: 'TX101', transaction_type: 'PY', amount: -40 }),
    ])
    expect(fts.every((f) => f.patientRef === patientByMrn('M100')!.id)).toBe(true)
  })

  it('text and base64 documents', async () => {
    await sendAndSettle(mdmMsg({ control: 'D1', mrn: 'M100', doc: 'DOC-1' }))
    await sendAndSettle(mdmMsg({ control: 'D2', mrn: 'M100', doc: 'DOC-2', ed: true }))
    const docs = Object.fromEntries(records('document').map((d) => [d.data.external_id as string, d.data]))
    expect(docs['DOC-1']).toMatchObject({ document_type: 'HP', title: 'History and Physical', status: 'authenticated', content_type: 'text/plain', content_text: 'Patient presents with headaches.\nSecond paragraph.' })
    expect(docs['DOC-2']).toMatchObject({ content_type: 'application/pdf', content_base64: 'JVBERi0xLjQK' })
  })

  it('a document body spread over several OBX keeps every line, in order', async () => {
    await sendAndSettle(mdmMsg({ control: 'D3', mrn: 'M100', doc: 'DOC-3', lines: ['Assessment: tension headache.', 'Plan: follow up in 2 weeks.'] }))
    const doc = records('document').find((d) => d.data.external_id === 'DOC-3')!
    expect(doc.data.content_text).toBe('Patient presents with headaches.\nSecond paragraph.\nAssessment: tension headache.\nPlan: follow up in 2 weeks.')
  })
})

describe('unknown patients follow the practice rule', () => {
  it('create (the sandbox default): an ORU for an unknown patient creates them from the PID', async () => {
    await sendAndSettle(oruMsg({ control: 'U1', mrn: 'NEW1', last: 'NEWCOMER' }))
    expect(patientByMrn('NEW1')?.data).toMatchObject({ last_name: 'NEWCOMER', date_of_birth: '1987-06-18' })
  })

  it('hold: the message waits in the error queue (unknown_patient, not retryable) and goes through once the patient exists', async () => {
    await t.call('practices.create', { id: 'hold-clinic', name: 'Hold Clinic', settings: { unknownPatientRule: 'hold', phoneCountry: 'US' } })
    const { port } = await t.addInbound('in', {}, 'hold-clinic')
    const hc = await MllpTestClient.connect(port)
    await sendAndSettle(siuMsg({ control: 'H1', trigger: 'S12', appt: 'HAPT', mrn: 'H1' }), hc)
    const held = t.rows("practice_id = 'hold-clinic' AND control_id = 'H1'")[0]!
    expect(held).toMatchObject({ status: 'error', error_code: 'unknown_patient', error_retryable: 0 })
    expect(held.error_message).toMatch(/not known to practice "hold-clinic"/)
    expect(held.error_message).not.toContain('H1^')
    await sendAndSettle(adtMsg({ control: 'H2', trigger: 'A08', mrn: 'H1' }), hc)
    expect(t.rows("practice_id = 'hold-clinic' AND control_id = 'H2'")[0]).toMatchObject({ status: 'error', error_code: 'unknown_patient' })
    await sendAndSettle(adtMsg({ control: 'H3', trigger: 'A04', mrn: 'H1' }), hc)
    await t.call('transactions.reprocess', { ids: [held.id] })
    await t.idle()
    expect(t.engine.ctx.txRepo.get(held.id)!.status).toBe('done')
    const appt = t.engine.ctx.records.findByExternalId('hold-clinic', 'appointment', 'sch-filler:RIVERSIDE', 'HAPT')!
    expect(appt.patientRef).toBe(patientByMrn('H1', 'hold-clinic')!.id)
    hc.close()
  })

  it('a done message shows, derived from its payload, exactly the parsed stage an error stores', async () => {
    await t.call('practices.create', { id: 'derive-clinic', name: 'Derive Clinic', settings: { unknownPatientRule: 'hold', phoneCountry: 'US' } })
    const { port } = await t.addInbound('in', {}, 'derive-clinic')
    const dc = await MllpTestClient.connect(port)
    await sendAndSettle(siuMsg({ control: 'D1', trigger: 'S12', appt: 'DAPT', mrn: 'D1' }), dc)
    const held = t.rows("practice_id = 'derive-clinic' AND control_id = 'D1'")[0]!
    // A failure keeps its parsed stage stored: what a person reads, fixes and replays.
    expect(held).toMatchObject({ status: 'error', error_code: 'unknown_patient' })
    expect(JSON.parse(held.parsed!)).toMatchObject({ messageType: 'SIU^S12', controlId: 'D1', route: 'siu' })
    await sendAndSettle(adtMsg({ control: 'D2', trigger: 'A04', mrn: 'D1' }), dc)
    await t.call('transactions.reprocess', { ids: [held.id] })
    await t.idle()
    const done = t.engine.ctx.txRepo.get(held.id)!
    expect(done).toMatchObject({ status: 'done', parsed: null })
    const detail = await t.call<{ stages: string[]; derivedStages?: string[] }>('transactions.get', { id: held.id })
    expect(detail.stages).toContain('parsed')
    expect(detail.derivedStages).toEqual(['parsed'])
    const read = await t.call<{ text: string | null }>('transactions.payload', { id: held.id, stage: 'parsed' })
    expect(read.text).toBe(held.parsed)
    const view = await t.call<{ stages: { stage: string; derived?: boolean; tree: unknown[] }[] }>('inspector.view', { id: held.id })
    expect(view.stages.find((s) => s.stage === 'parsed')).toMatchObject({ derived: true })
    // The mapped stage depends on the store and the mappings in force then: stored, as before.
    expect(JSON.parse(done.mapped!)).toMatchObject({ patient: { action: 'link' } })
    dc.close()
  })

  it('match: by MRN, then the patient matcher (only a certain match links; name + date of birth alone holds)', async () => {
    await t.call('practices.create', { id: 'match-clinic', name: 'Match Clinic', settings: { unknownPatientRule: 'match', phoneCountry: 'US' } })
    const existing = t.engine.ctx.records.upsert({
      practiceId: 'match-clinic',
      kind: 'patient',
      ids: [{ system: 'athena', value: '4521' }],
      data: { mrn: 'OTHER-1', first_name: 'Elena', last_name: 'Okafor', date_of_birth: '2001-02-03', gender: 'F', address: { line1: '123 Main Street', postal_code: '62704' }, phone_home: '+12172550142' },
    })
    const { port } = await t.addInbound('in', {}, 'match-clinic')
    const mc = await MllpTestClient.connect(port)
    const withAddress = (m: string): string => m.replace('|20010203|F', '|20010203|F|||123 MAIN ST^^SPRINGFIELD^IL^62704||(217)255-0142')
    await sendAndSettle(withAddress(oruMsg({ control: 'MA1', mrn: 'LAB-77', last: 'OKAFOR', dob: '20010203' })), mc)
    expect(t.rows("practice_id = 'match-clinic' AND control_id = 'MA1'")[0]!.status).toBe('done')
    const linked = records('observation', 'match-clinic')
    expect(linked.length).toBeGreaterThan(0)
    expect(linked.every((o) => o.patientRef === existing.id)).toBe(true)
    // The lab's id is now linked to the matched patient.
    expect(t.engine.ctx.records.findByExternalId('match-clinic', 'patient', 'mrn:RIVERSIDE', 'LAB-77')?.id).toBe(existing.id)
    await sendAndSettle(oruMsg({ control: 'MA2', mrn: 'OTHER-1', last: 'X', dob: '19000101' }), mc)
    expect(t.rows("practice_id = 'match-clinic' AND control_id = 'MA2'")[0]!.status).toBe('done')
    await sendAndSettle(oruMsg({ control: 'MA3', mrn: 'NOBODY', last: 'NOBODY', dob: '19000101' }), mc)
    expect(t.rows("practice_id = 'match-clinic' AND control_id = 'MA3'")[0]).toMatchObject({ status: 'error', error_code: 'unknown_patient' })
    // Same name, birth date and sex but nothing else to corroborate: probable at best, so held, not guessed.
    await sendAndSettle(oruMsg({ control: 'MA4', mrn: 'LAB-78', last: 'OKAFOR', dob: '20010203' }), mc)
    expect(t.rows("practice_id = 'match-clinic' AND control_id = 'MA4'")[0]).toMatchObject({ status: 'error', error_code: 'unknown_patient' })
    mc.close()
  })
})

describe('filters', () => {
  it('are evaluated in order and record the rule that filtered', async () => {
    const { port } = await t.addInbound('filtered-in', {
      filters: [
        { name: 'no-test-messages', action: 'reject', processingIds: ['T'] },
        { name: 'no-inpatients', action: 'reject', conditions: [{ path: 'PV1-2', op: 'equals', value: 'I' }] },
        { name: 'only-riverside-adt', action: 'accept', messageTypes: ['ADT'], sendingFacilities: ['RIVERSIDE'] },
      ],
    })
    const fc = await MllpTestClient.connect(port)
    await sendAndSettle(adtMsg({ control: 'FI1', mrn: 'FM1', processing: 'T' }), fc)
    await sendAndSettle(adtMsg({ control: 'FI2', mrn: 'FM2' }).replace('PV1|1|O|', 'PV1|1|I|'), fc)
    await sendAndSettle(adtMsg({ control: 'FI3', mrn: 'FM3' }), fc)
    await sendAndSettle(adtMsg({ control: 'FI4', mrn: 'FM4', facility: 'NORTHSIDE' }), fc)
    await sendAndSettle(siuMsg({ control: 'FI5', trigger: 'S12', appt: 'FA5', mrn: 'FM3' }), fc)
    const st = Object.fromEntries(t.rows("channel = 'filtered-in'").map((r) => [r.control_id, [r.status, r.filtered_by]]))
    expect(st).toEqual({
      FI1: ['filtered', 'no-test-messages'],
      FI2: ['filtered', 'no-inpatients'],
      FI3: ['done', null],
      FI4: ['filtered', 'no-accept-rule-matched'],
      FI5: ['filtered', 'no-accept-rule-matched'],
    })
    expect(patientByMrn('FM1')).toBeNull()
    expect(patientByMrn('FM3')).not.toBeNull()
    fc.close()
  })
})

describe('mapping failures and the code-map worklist', () => {
  it('an unexpected PID-8 fails with code_map_miss naming the field and the code that missed, is listed as a miss, and reprocesses once mapped', async () => {
    await sendAndSettle(adtMsg({ control: 'X1', mrn: 'XM1', sex: 'X' }))
    await sendAndSettle(adtMsg({ control: 'X2', mrn: 'XM2', sex: 'X' }))
    const failed = t.rows("control_id IN ('X1','X2')")
    for (const f of failed) {
      expect(f).toMatchObject({ status: 'error', error_code: 'code_map_miss', error_retryable: 0 })
      expect(f.error_message).toBe("Mapping hl7.adt.patient.in failed: PID-8 → gender: code 'X' not in code map hl7_sex")
    }
    const misses = await t.call<{ setKey: string; mapName: string; value: string; count: number; failedTransactions: number }[]>('mappings.misses', { practiceId: 'sandbox' })
    expect(misses).toEqual(expect.arrayContaining([expect.objectContaining({ setKey: 'hl7.adt.patient.in', mapName: 'hl7_sex', value: 'X', count: 2, failedTransactions: 2 })]))
    await t.call('mappings.addMissEntry', { practiceId: 'sandbox', key: 'hl7.adt.patient.in', map: 'hl7_sex', value: 'X', to: 'O', note: 'clinic uses X' })
    const r = await t.call<{ queued: number[] }>('mappings.reprocessMisses', { practiceId: 'sandbox', key: 'hl7.adt.patient.in', map: 'hl7_sex', value: 'X' })
    expect(r.queued.sort()).toEqual(failed.map((f) => f.id).sort())
    await t.idle()
    await until(() => t.rows("control_id IN ('X1','X2')").every((x) => x.status === 'done'), 'reprocessed rows')
    expect(patientByMrn('XM1')?.data.gender).toBe('O')
  })

  it('an invalid date of birth is a validation error that names PID-7 but not the date', async () => {
    await sendAndSettle(adtMsg({ control: 'V1', mrn: 'VM1', dob: '19871340' }))
    const row = t.rows("control_id = 'V1'")[0]!
    expect(row).toMatchObject({ status: 'error', error_code: 'validation_error' })
    expect(row.error_message).toMatch(/^Mapping hl7\.adt\.patient\.in failed: PID-7 → date_of_birth: /)
    expect(row.error_message).not.toContain('19871340')
  })
})

describe('pausing a practice\'s HL7 processing', () => {
  it('keeps receiving, acknowledging and storing while paused; the messages wait in order and are processed once resumed', async () => {
    await t.call('practices.update', { id: 'sandbox', settings: { hl7ProcessingPaused: true } })
    try {
      for (const [control, last] of [['PAUSE-A', 'FIRSTNAME'], ['PAUSE-B', 'SECONDNAME']] as const) {
        expect((await c.sendAck(adtMsg({ control, mrn: 'M-PAUSE', last, trigger: control === 'PAUSE-A' ? 'A04' : 'A08' }))).code).toBe('AA')
      }
      await t.idle()
      expect(['PAUSE-A', 'PAUSE-B'].map((k) => t.rows('control_id = ?', k).map((r) => [r.status, r.attempts]))).toEqual([[['received', 0]], [['received', 0]]])
      expect(patientByMrn('M-PAUSE')).toBeNull()
    } finally {
      await t.call('practices.update', { id: 'sandbox', settings: { hl7ProcessingPaused: false } })
    }
    await until(() => ['PAUSE-A', 'PAUSE-B'].every((k) => t.rows('control_id = ?', k)[0]?.status === 'done'), 'both processed after resuming')
    // In arrival order: the A08's name is the one that stands.
    expect(patientByMrn('M-PAUSE')!.data.last_name).toBe('SECONDNAME')
    const audit = await t.call<{ action: string; details: { changed?: { settings?: { to?: { hl7ProcessingPaused?: boolean } } } } }[]>('audit.list', { action: 'practice.update' })
    expect(audit.slice(0, 2).map((e) => e.details.changed?.settings?.to?.hl7ProcessingPaused)).toEqual([false, true])
  })
})
