import { describe, expect, it } from 'vitest'
import type { SampleNode } from '../../../shared/api/mappings'
import { BUILTIN_SAMPLES } from '../../../electron/engine/mapping-store/builtin-samples'
import { accessorForRecord, detectSampleKind, parseSample } from '../../../electron/engine/mapping-store/sample-readers'
import { buildSampleTree } from '../../../electron/engine/mapping-store/sample-tree'
import { isPhiSourcePath } from '../../../electron/engine/mapping-store/phi'
import { corpusFiles, fhirResources } from './corpus'

function leaves(nodes: SampleNode[], out: SampleNode[] = []): SampleNode[] {
  for (const n of nodes) {
    if (n.children?.length) leaves(n.children, out)
    else if (n.path !== null && n.value !== null && n.value !== undefined) out.push(n)
  }
  return out
}

const asText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v))

/** Every path the tree offers must read back, through the set's own accessor, the value the tree shows. */
function expectPathsReadBack(kind: 'hl7' | 'json' | 'csv', text: string, format: 'hl7' | 'athena' | 'fhir' | 'csv', row = 0): number {
  const parsed = parseSample(kind, text)
  const rec = parsed.record(row)
  const set = { format, direction: 'inbound' as const }
  const tree = buildSampleTree(rec, { fhirPath: format === 'fhir', mask: null })
  const acc = accessorForRecord(rec, set)
  const ls = leaves(tree).filter((n) => !n.value!.endsWith('…'))
  for (const n of ls) {
    const got = acc.get(n.path!)
    // Blank JSON strings read as absent (the engine's notion of empty); everything else must match.
    if (got === undefined) expect(n.value!.trim(), n.path!).toBe('')
    else expect(asText(got), n.path!).toBe(n.value)
  }
  return ls.length
}

describe('sample trees', () => {
  it.each(BUILTIN_SAMPLES.map((s) => [s.id, s] as const))('built-in %s: every picked path reads back its value', (_id, s) => {
    expect(detectSampleKind(s.text)).toBe(s.kind)
    const format = s.format === 'studio' ? 'athena' : s.format
    expect(expectPathsReadBack(s.kind, s.text, format)).toBeGreaterThan(5)
  })

  it.each(corpusFiles('hl7/ADT_A04', '.hl7').map((f) => [f.name, f.text] as const))('corpus HL7 %s: paths read back', (_n, text) => {
    expect(expectPathsReadBack('hl7', text, 'hl7')).toBeGreaterThan(10)
  })

  it.each(fhirResources('Patient').slice(0, 12).map((p) => [p.file, p.resource] as const))('corpus FHIR %s: FHIRPath paths read back', (_n, resource) => {
    expectPathsReadBack('json', JSON.stringify(resource), 'fhir')
  })

  it.each(corpusFiles('csv', '.csv').map((f) => [f.name, f.text] as const))('corpus CSV %s: headers read back', (_n, text) => {
    expect(expectPathsReadBack('csv', text, 'csv', 1)).toBeGreaterThan(3)
  })

  it('names HL7 segments, fields and components', () => {
    const s = BUILTIN_SAMPLES.find((x) => x.id === 'hl7-adt-a04')!
    const tree = buildSampleTree(parseSample('hl7', s.text).record(0), { fhirPath: false, mask: null })
    const pid = tree.find((n) => n.label === 'PID')!
    expect(pid.name).toBe('Patient Identification')
    const name = pid.children!.find((n) => n.path === 'PID-5')!
    expect(name).toMatchObject({ name: 'Patient Name', value: 'QUINTERO' })
    expect(name.children!.map((c) => [c.path, c.name, c.value])).toEqual([
      ['PID-5.1', 'Family Name', 'QUINTERO'],
      ['PID-5.2', 'Given Name', 'ELENA'],
      ['PID-5.3', 'Second and Further Given Names', 'MARISOL'],
      ['PID-5.7', 'Name Type Code', 'L'],
    ])
    // Repetitions get their own paths: PID-3(2) is the SSN identifier.
    const ids = pid.children!.find((n) => n.path === 'PID-3')!
    expect(ids.children!.map((c) => c.path)).toEqual(['PID-3(1)', 'PID-3(2)'])
    // Empty fields are in the tree (named), so a path can be picked before data arrives.
    expect(pid.children!.find((n) => n.path === 'PID-19')).toMatchObject({ name: 'SSN Number - Patient', value: null })
  })

  it('addresses FHIR list elements by meaning when that is unambiguous', () => {
    const s = BUILTIN_SAMPLES.find((x) => x.id === 'fhir-patient')!
    const tree = buildSampleTree(parseSample('json', s.text).record(0), { fhirPath: true, mask: null })
    const paths = leaves(tree).map((n) => n.path)
    expect(paths).toContain("telecom.where(system='phone' and use='mobile').value")
    expect(paths).toContain("name.where(use='official').family")
    expect(paths).toContain("extension.where(url='http://hl7.org/fhir/us/core/StructureDefinition/us-core-race').extension.where(url='ombCategory').valueCoding.code")
    // The email has no use: its system alone is unique.
    expect(paths).toContain("telecom.where(system='email').value")
  })

  it('masks what the mask says and nothing else', () => {
    const s = BUILTIN_SAMPLES.find((x) => x.id === 'hl7-adt-a04')!
    const tree = buildSampleTree(parseSample('hl7', s.text).record(0), { fhirPath: false, mask: isPhiSourcePath })
    const flat = leaves(tree)
    expect(flat.find((n) => n.path === 'PID-5.1')).toMatchObject({ value: '•••••', masked: true })
    expect(flat.find((n) => n.path === 'PID-8')).toMatchObject({ value: 'F' })
    expect(flat.find((n) => n.path === 'PID-10.1')).toMatchObject({ value: '2106-3' })
    expect(JSON.stringify(tree)).not.toMatch(/QUINTERO|HARBOR|19870618|253-1000/)
  })

  it('picks rows out of lists, bundles, batches and CSV files', () => {
    expect(parseSample('json', JSON.stringify({ patients: [{ patientid: '1' }, { patientid: '2' }], totalcount: 2 })).rows).toBe(2)
    expect(parseSample('json', JSON.stringify({ resourceType: 'Bundle', entry: [{ resource: { resourceType: 'Patient', id: 'a' } }, { response: {} }] })).rowLabels).toEqual(['1: Patient/a'])
    expect(parseSample('json', JSON.stringify({ firstname: 'x', address: [{ a: 1 }] })).rows).toBe(1)
    const batch = corpusFiles('hl7/BATCH', '.hl7')[0]!
    expect(parseSample('hl7', batch.text).rows).toBeGreaterThanOrEqual(1)
    const csv = parseSample('csv', 'A,B\n1,2\n3,4\n')
    expect(csv.rows).toBe(2)
    expect(csv.record(1)).toMatchObject({ kind: 'csv', row: { A: '3', B: '4' } })
    expect(() => parseSample('csv', 'A,B\n')).toThrow(/no data row/)
    expect(() => parseSample('hl7', 'PID|1')).toThrow(/HL7/)
  })
})
