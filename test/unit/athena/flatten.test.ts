/**
 * Chart shapes → one item per record (medications' array of arrays, vitals' reading sets, lab
 * analytes), mapped through the shipped chart sets; dedup keys change only when content does.
 */
import { describe, expect, it } from 'vitest'
import { evaluateMapping, jsonAccessor } from '../../../electron/engine/mapping'
import { clinicalMappingSets } from '../../../electron/engine/connectors/athena/mapping-sets'
import { flatten } from '../../../electron/engine/connectors/athena/pipeline/inbound-handler'
import type { InboundEnvelope } from '../../../electron/engine/connectors/athena/pipeline/messages'
import { dedupKeyOf } from '../../../electron/engine/connectors/athena/workflows/receive'

const env = (kind: InboundEnvelope['kind'], record: Record<string, unknown>): InboundEnvelope => ({ v: 1, kind, athenaPracticeId: '195900', source: 'x', fetchedAt: 0, patientId: '4521', record })
const sets = Object.fromEntries(clinicalMappingSets().map((s) => [s.key, s]))
const ctx = { defaultTimeZone: 'America/New_York', now: () => Date.UTC(2025, 5, 2) }

describe('chart flattening and mapping', () => {
  it('takes the first entry of each medication and its START date', () => {
    const items = flatten(env('medications', { medications: [[{ medicationentryid: 'H1', medication: 'lisinopril 10 mg', rxnorm: ['314076'], isdiscontinued: false, events: [{ type: 'START', eventdate: '01/02/2024' }] }, { medicationentryid: 'H0' }]] }))
    expect(items).toHaveLength(1)
    const r = evaluateMapping(sets['athena.medication.in']!, jsonAccessor(items[0]), ctx)
    expect(r.ok).toBe(true)
    expect(r.output).toMatchObject({ external_id: '4521:medication:H1', patient_id: '4521', category: 'medication', code: '314076', code_system: 'RXNORM', status: 'active', observed_at: '2024-01-02' })
  })

  it('makes one observation per vital reading, in UTC', () => {
    const items = flatten(env('vitals', { vitals: [{ abbreviation: 'BP', readings: [[{ clinicalelementid: 'VITALS.BLOODPRESSURE.SYSTOLIC', value: '120', code: '8480-6', codeset: 'LOINC', readingtaken: '06/02/2025 09:30:00', readingid: 7 }, { clinicalelementid: 'VITALS.BLOODPRESSURE.DIASTOLIC', value: '80', code: '8462-4', readingtaken: '06/02/2025 09:30:00', readingid: 8 }]] }] }))
    expect(items).toHaveLength(2)
    const r = evaluateMapping(sets['athena.vital.in']!, jsonAccessor(items[0]), ctx)
    expect(r.output).toMatchObject({ external_id: '4521:vital:7', code: '8480-6', value: '120', observed_at: '2025-06-02T13:30:00Z' })
  })

  it('makes one observation per lab analyte and keeps the allergy reactions', () => {
    const labs = flatten(env('labresults', { results: [{ labresultid: 55, description: 'CBC', analytes: [{ analyteid: 1, analytename: 'WBC', value: '6.1', units: 'K/uL', loinc: '6690-2', analytedatetime: '12/01/2025 08:00:00' }, { analyteid: 2, analytename: 'HGB', value: '13' }] }] }))
    expect(labs.map((l) => l.observationkey)).toEqual(['4521:lab:55:1', '4521:lab:55:2'])
    expect(evaluateMapping(sets['athena.labresult.in']!, jsonAccessor(labs[0]), ctx).output).toMatchObject({ order_id: '55', code: '6690-2', code_system: 'LOINC', observed_at: '2025-12-01T13:00:00Z' })
    const al = flatten(env('allergies', { allergies: [{ allergenid: 9, allergenname: 'Penicillin', reactions: [{ reactionname: 'hives' }, { reactionname: 'rash' }], deactivatedate: '01/01/2025' }] }))
    expect(evaluateMapping(sets['athena.allergy.in']!, jsonAccessor(al[0]), ctx).output).toMatchObject({ display: 'Penicillin', value: 'hives; rash', status: 'inactive' })
  })

  it('keys a record by id and content: same content, same key; changed content, new key', () => {
    const a = env('patient', { patientid: '4521', firstname: 'Ana', lastname: 'Rivera' })
    const b = env('patient', { lastname: 'Rivera', firstname: 'Ana', patientid: '4521' })
    const c = env('patient', { patientid: '4521', firstname: 'Ana', lastname: 'Rivera-Soto' })
    expect(dedupKeyOf(a)).toBe(dedupKeyOf(b))
    expect(dedupKeyOf(a)).not.toBe(dedupKeyOf(c))
    expect(dedupKeyOf(a)).toMatch(/^athena:patient:4521:[0-9a-f]{24}$/)
  })
})
