import { parse as parseCsv } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { loadFhirCsvMappingSets } from '../../../electron/engine/mapping/default-sets-fhir-csv'
import { evaluateMapping, jsonAccessor, csvRowAccessor, lintMappingSet, runMappingTests, type MappingContext } from '../../../electron/engine/mapping'
import { fhirAccessor } from '../../../electron/engine/mapping-store/fhir-accessor'
import { studioAccessorFor } from '../../../electron/engine/mapping-store/sample-readers'
import type { MappingSet } from '../../../shared/mapping'
import { corpusFiles, fhirResources } from './corpus'

const ctx: MappingContext = { defaultTimeZone: 'America/New_York', now: () => Date.parse('2025-06-01T12:00:00Z') }
const sets = loadFhirCsvMappingSets()
const byKey = (k: string): MappingSet => sets.find((s) => s.key === k)!

describe('shipped FHIR and CSV mapping sets', () => {
  it('ships FHIR patient, appointment, observation, encounter, document reference, practitioner and location, and CSV patient in both directions', () => {
    expect(sets.map((s) => s.key).sort()).toEqual(['csv.patient.in', 'csv.patient.out', 'fhir.appointment.in', 'fhir.documentreference.in', 'fhir.encounter.in', 'fhir.location.in', 'fhir.observation.in', 'fhir.patient.in', 'fhir.practitioner.in'])
  })

  it.each(sets.map((s) => [s.key, s] as const))('%s has no lint issues', (_k, set) => {
    expect(lintMappingSet(set)).toEqual([])
  })

  it.each(sets.map((s) => [s.key, s] as const))('%s passes its own mapping tests', (_k, set) => {
    expect(set.tests.length).toBeGreaterThanOrEqual(3)
    for (const r of runMappingTests(set, set.tests, ctx, studioAccessorFor)) expect(r, `${r.name}: ${JSON.stringify(r)}`).toMatchObject({ passed: true })
  })
})

describe('fhir.patient.in on every Patient in the corpus', () => {
  const set = byKey('fhir.patient.in')
  const patients = fhirResources('Patient')

  it('finds the corpus patients (folder and bundles)', () => {
    expect(patients.length).toBeGreaterThanOrEqual(11)
  })

  it.each(patients.map((p) => [p.file, p.resource] as const))('%s maps without errors', (_f, resource) => {
    const r = evaluateMapping(set, fhirAccessor(resource), ctx)
    if (resource.id === undefined) {
      // Resources created inside a transaction Bundle have no id yet: the one thing the record cannot do without.
      expect(r.errors.map((e) => `${e.target}:${e.code}`)).toEqual(['external_id:required'])
      return
    }
    expect(r.errors).toEqual([])
    expect(r.output.external_id).toBe(resource.id)
    expect(['M', 'F', 'O', 'U', undefined]).toContain(r.output.gender)
    const dob = r.output.date_of_birth
    if (dob !== undefined) expect(dob).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    for (const k of ['phone_home', 'phone_mobile', 'phone_work'] as const) if (r.output[k] !== undefined) expect(r.output[k]).toMatch(/^\+\d{8,15}$/)
  })

  it('reads the R4 example patient by meaning, not position', () => {
    const ex = patients.find((p) => p.file === 'fhir-spec-r4__patient-example.json')!.resource
    const r = evaluateMapping(set, fhirAccessor(ex), ctx)
    expect(r.output).toMatchObject({
      external_id: 'example',
      mrn: '12345',
      first_name: 'Peter',
      middle_name: 'James',
      last_name: 'Chalmers',
      date_of_birth: '1974-12-25',
      gender: 'M',
      address: { line1: '534 Erewhon St', city: 'PleasantVille', state: 'VIC', postal_code: '3999' },
      custom: { deceased: false },
    })
    // Australian numbers without +61 are not valid US numbers: dropped with a warning, not an error.
    expect(r.output.phone_work).toBeUndefined()
    expect(r.warnings.map((w) => w.code)).toContain('invalid_phone')
  })

  it('maps the Dutch examples: language to ISO 639-2, marital status from the v3 coding', () => {
    const roel = patients.find((p) => p.file === 'fhir-spec-r4__patient-example-f201-roel.json')!.resource
    const r = evaluateMapping(set, fhirAccessor(roel), ctx)
    expect(r.output).toMatchObject({ last_name: 'Bor', preferred_language: 'dut', marital_status: 'M', phone_mobile: '+31612345678', phone_home: '+31201234567' })
  })

  it('maps the BCP-47 2-letter code the sandbox (and athena) send to the same ISO 639-2 code as its 3-letter form', () => {
    for (const [two, three, want] of [['en', 'eng', 'eng'], ['es', 'spa', 'spa'], ['zh', 'zho', 'chi'], ['fr', 'fra', 'fre'], ['ht', 'hat', 'hat'], ['nv', 'nav', 'nav'], ['ja', 'jpn', 'jpn'], ['so', 'som', 'som'], ['es-MX', 'spa', 'spa']] as const) {
      for (const code of [two, three]) {
        const r = evaluateMapping(set, fhirAccessor({ resourceType: 'Patient', id: 'a-1.E-1', communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code }] } }] }), ctx)
        expect(r.output.preferred_language, code).toBe(want)
        expect(r.codeMisses, code).toEqual([])
      }
    }
  })

  it('keeps a language already in ISO 639-2 (athenaNet language6392code under the BCP-47 system) instead of losing it to und', () => {
    for (const [code, want] of [['eng', 'eng'], ['spa', 'spa'], ['zho', 'chi'], ['deu', 'ger'], ['en-US', 'eng'], ['nav', 'nav'], ['xx', 'und']] as const) {
      const r = evaluateMapping(set, fhirAccessor({ resourceType: 'Patient', id: 'a-1.E-1', communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code }] } }] }), ctx)
      expect(r.output.preferred_language, code).toBe(want)
      expect(r.codeMisses.length, code).toBe(want === 'und' ? 1 : 0)
    }
  })
})

describe('fhir.appointment.in on every Appointment in the corpus', () => {
  const set = byKey('fhir.appointment.in')
  const appts = fhirResources('Appointment')

  it.each(appts.map((a) => [a.file, a.resource] as const))('%s maps without errors', (_f, resource) => {
    const r = evaluateMapping(set, fhirAccessor(resource), ctx)
    expect(r.errors).toEqual([])
    expect(['open', 'scheduled', 'checked_in', 'checked_out', 'cancelled', 'no_show']).toContain(r.output.status)
    if (r.output.start_time !== undefined) expect(r.output.start_time).toMatch(/Z$/)
  })

  it('maps the R4 example appointment', () => {
    const ex = appts.find((a) => a.file === 'fhir-spec-r4__appointment-example.json')!.resource
    expect(evaluateMapping(set, fhirAccessor(ex), ctx).output).toMatchObject({
      external_id: 'example',
      status: 'scheduled',
      start_time: '2013-12-10T09:00:00Z',
      end_time: '2013-12-10T11:00:00Z',
      patient_id: 'example',
      provider_id: 'example',
      appointment_type: 'FOLLOWUP',
    })
  })
})

describe('csv.patient.in on the corpus Synthea patient files', () => {
  const set = byKey('csv.patient.in')
  const files = corpusFiles('csv', '.csv').filter((f) => /patients/.test(f.name))

  it('finds both patient layouts', () => {
    expect(files.map((f) => f.name)).toEqual(['synthea-dbt__patients.csv', 'synthea__patients-se.csv'])
  })

  it.each(files.map((f) => [f.name, f.text] as const))('%s: every row maps without errors', (_n, text) => {
    const rows = parseCsv(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[]
    expect(rows.length).toBeGreaterThan(5)
    for (const row of rows) {
      const r = evaluateMapping(set, csvRowAccessor(row), ctx)
      expect(r.errors, row.Id).toEqual([])
      expect(r.output.external_id).toBe(row.Id)
      expect(r.output.first_name).toMatch(/^\D+$/)
      expect(r.output.last_name).toMatch(/^\D+$/)
      expect(['M', 'F']).toContain(r.output.gender)
      expect(r.output.status).toBe(row.DEATHDATE ? 'deceased' : 'active')
    }
  })

  it('keeps ZIP codes as text with their leading zero and turns state names into codes', () => {
    const text = files[0]!.text
    const row = (parseCsv(text, { columns: true }) as Record<string, string>[])[0]!
    expect(evaluateMapping(set, csvRowAccessor(row), ctx).output).toMatchObject({ address: { state: 'MA', postal_code: '02155' }, race: '2106-3' })
  })
})

describe('csv.patient.out', () => {
  it('writes what csv.patient.in reads back (round trip of the shared columns)', () => {
    const out = byKey('csv.patient.out')
    const inn = byKey('csv.patient.in')
    const record = { external_id: 'r1', first_name: 'Elena', last_name: 'Quintero', date_of_birth: '1987-06-18', gender: 'F', race: '2106-3', ethnicity: '2186-5', address: { line1: '1 Main St', city: 'Boston', state: 'MA', postal_code: '02110' } }
    const row = evaluateMapping(out, jsonAccessor(record), ctx).output as Record<string, string>
    const back = evaluateMapping(inn, csvRowAccessor(row), ctx)
    expect(back.errors).toEqual([])
    expect(back.output).toMatchObject({ ...record, status: 'active' })
  })
})
