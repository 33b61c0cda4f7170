import { describe, expect, it } from 'vitest'
import { isHl7PhiField, isPhiKey, MASK } from '../../../electron/engine/console/phi'
import { csvTree, jsonTree, maskJson, revealCsvCell, revealJson, splitCsvLine } from '../../../electron/engine/console/json-tree'
import { hl7Tree, layoutHl7, maskedHl7Text, revealHl7Field } from '../../../electron/engine/console/hl7-tree'
import type { InspectorNode } from '../../../shared/api/inspector'

const MSG = [
  'MSH|^~\\&|EPIC|DOWNTOWN|PS|PS|20261125080000||ADT^A04|C1|P|2.5.1',
  'PID|1||MRN7^^^MRN^MR~991^^^SSA||ROE^RICHARD^Q~RICK^R||19700412|M|||9 ELM ST^^AUSTIN^TX^78701||^PRN^PH^^1^512^5550199||||||111-22-3333',
  'NK1|1|ROE^MARY|SPO|9 ELM ST^^AUSTIN^TX|^PRN^PH^^1^512^5550100',
  'OBX|1|ED|DOC^Discharge summary||^TEXT^PDF^Base64^JVBERi0x',
  'OBX|2|NM|8867-4^Heart rate^LN||72|/min',
  'ZPI|1|custom\\F\\value',
].join('\r')

function find(nodes: InspectorNode[], path: string): InspectorNode | undefined {
  for (const n of nodes) {
    if (n.path === path) return n
    const c = n.children ? find(n.children, path) : undefined
    if (c) return c
  }
  return undefined
}

describe('PHI rules', () => {
  it('knows the HL7 fields that carry names, dates of birth, addresses, phones and ids', () => {
    for (const [s, f] of [['PID', 5], ['PID', 7], ['PID', 11], ['PID', 13], ['PID', 14], ['PID', 19], ['NK1', 2], ['NK1', 5], ['IN1', 16], ['IN1', 49], ['GT1', 3], ['GT1', 12]] as const) {
      expect(isHl7PhiField(s, f), `${s}-${f}`).toBe(true)
    }
    // Identifiers that point at a person, as the mapping studio masks them.
    for (const [s, f] of [['PID', 2], ['PID', 3], ['PID', 4], ['PID', 18], ['MRG', 1], ['MRG', 2], ['PV1', 19], ['GT1', 2]] as const) expect(isHl7PhiField(s, f), `${s}-${f}`).toBe(true)
    for (const [s, f] of [['PID', 8], ['MSH', 9], ['PV1', 3], ['OBX', 3], ['NTE', 3]] as const) expect(isHl7PhiField(s, f), `${s}-${f}`).toBe(false)
    expect(isHl7PhiField('OBX', 5, 'ED')).toBe(true)
    expect(isHl7PhiField('OBX', 5, 'NM')).toBe(false)
  })

  it('recognises PHI member names across canonical records, athenaNet, FHIR and the HL7 readers', () => {
    for (const k of ['first_name', 'last_name', 'date_of_birth', 'firstname', 'lastname', 'dob', 'address1', 'homephone', 'mobilephone', 'email', 'ssn', 'birthDate', 'telecom', 'guarantorfirstname', 'contactname', 'mrn', 'names', 'phones']) {
      expect(isPhiKey(k), k).toBe(true)
    }
    for (const k of ['departmentid', 'status', 'appointmentid', 'sex', 'messageType', 'code', 'id', '']) expect(isPhiKey(k), k).toBe(false)
  })
})

describe('HL7 tree', () => {
  const layout = layoutHl7(MSG)
  const { tree, maskedCount } = hl7Tree(layout)

  it('names segments, fields and components and gives each node its path', () => {
    expect(find(tree, 'PID')).toMatchObject({ label: 'PID', name: 'Patient Identification' })
    expect(find(tree, 'MSH-9.1')).toMatchObject({ label: 'MSH-9.1', name: 'Message Code', value: 'ADT' })
    expect(find(tree, 'PID-3')).toMatchObject({ label: 'PID-3', name: 'Patient Identifier List', masked: true })
    expect(revealHl7Field(layout, 'PID-3')!.children!.map((c) => c.path)).toContain('PID-3(2)')
    expect(find(revealHl7Field(layout, 'PID-3')!.children!, 'PID-3(2).1')).toMatchObject({ label: 'PID-3.1', name: 'ID Number', value: '991' })
    expect(find(tree, 'MSH-7')).toMatchObject({ dataType: 'TS', value: '20261125080000' })
    expect(find(tree, 'OBX[2]-5')).toMatchObject({ label: 'OBX-5', name: 'Observation Value', value: '72' })
    expect(find(tree, 'ZPI-2')).toMatchObject({ label: 'ZPI-2', value: 'custom|value' })
    expect(find(tree, 'ZPI-2')!.name).toBeUndefined()
  })

  it('masks PHI fields whole (no value, no children) and counts them', () => {
    for (const p of ['PID-3', 'PID-5', 'PID-7', 'PID-11', 'PID-13', 'PID-19', 'NK1-2', 'NK1-4', 'NK1-5', 'OBX-5']) expect(find(tree, p), p).toEqual(expect.objectContaining({ masked: true }))
    expect(find(tree, 'PID-5')!.children).toBeUndefined()
    expect(maskedCount).toBe(10)
    expect(JSON.stringify(tree)).not.toMatch(/RICHARD|ROE|19700412|ELM|5550199|111-22-3333|JVBERi0x|MRN7|991/)
  })

  it('masks the same fields in the text and keeps every other byte', () => {
    const text = maskedHl7Text(layout)
    expect(text.split('\n')[1]).toBe(`PID|1||${MASK}||${MASK}||${MASK}|M|||${MASK}||${MASK}||||||${MASK}`)
    expect(text).toContain('OBX|2|NM|8867-4^Heart rate^LN||72|/min')
  })

  it('reveals one field, with repetitions and components', () => {
    const n = revealHl7Field(layout, 'PID-5')!
    expect(n.value).toBe('ROE^RICHARD^Q~RICK^R')
    expect(n.children!.map((c) => c.path)).toEqual(['PID-5(1)', 'PID-5(2)'])
    expect(find(n.children!, 'PID-5(2).1')).toMatchObject({ name: 'Family Name', value: 'RICK' })
    expect(revealHl7Field(layout, 'OBX[1]-5')!.value).toBe('^TEXT^PDF^Base64^JVBERi0x')
    expect(revealHl7Field(layout, 'OBX[3]-5')).toBeNull()
  })

  it('lays out what does not parse and reports why, every value masked', () => {
    const bad = layoutHl7('MSH|^~\\&|A|B|||20261125||ADT^A01||P|9.9\nPID|1||X||DOE^JOHN\nxx')
    expect(bad.parseError).toBeTruthy()
    const { tree, maskedCount } = hl7Tree(bad)
    expect(find(tree, 'PID-5')).toMatchObject({ masked: true })
    expect(find(tree, 'MSH-9')).toMatchObject({ label: 'MSH-9', name: 'Message Type', masked: true })
    expect(maskedCount).toBe(11) // every non-empty field: MSH 1-4, 7, 9, 11, 12 and PID 1, 3, 5
    expect(maskedHl7Text(bad)).toMatch(/^••• \(\d+ characters, masked as a whole/)
  })

  it('masks a message the parser could not segment as a whole: PID run into MSH shows no name or birth date', () => {
    // The segment separator is missing: PID's fields land in MSH-12 onwards, where no PHI rule looks.
    const joined = 'MSH|^~\\&|EPIC|DOWNTOWN|PS|PS|20261125080000||ADT^A04|C9|P|2.5.1PID|1||MRN9^^^MRN||QUIRINUS^ANNA||19840412|F'
    const layout = layoutHl7(joined)
    expect(layout.parseError).toBeTruthy()
    const { tree, maskedCount } = hl7Tree(layout)
    const text = maskedHl7Text(layout)
    expect(JSON.stringify(tree) + text).not.toMatch(/QUIRINUS|ANNA|19840412|MRN9/)
    expect(maskedCount).toBeGreaterThan(10)
    expect(text).not.toContain('MSH|')
    // Revealing is still possible (an audited call in the inspector).
    expect(revealHl7Field(layout, 'MSH-17')!.value).toBe('QUIRINUS^ANNA')
  })
})

describe('JSON and CSV trees', () => {
  const doc = { patientid: '42', firstname: 'ANN', departmentid: '1', contacts: [{ name: 'X' }], insurances: [{ insurancepolicyholderfirstname: 'B', insuranceplanname: 'Aetna' }], 'a/b': { '~x': 1 } }

  it('masks PHI members with everything under them, and nothing else', () => {
    const { tree, maskedCount } = jsonTree(doc)
    expect(find(tree, '/firstname')).toEqual({ path: '/firstname', label: 'firstname', masked: true })
    expect(find(tree, '/contacts')).toMatchObject({ masked: true })
    expect(find(tree, '/insurances/0/insurancepolicyholderfirstname')).toMatchObject({ masked: true })
    expect(find(tree, '/insurances/0/insuranceplanname')).toMatchObject({ value: 'Aetna' })
    expect(find(tree, '/a~1b/~0x')).toMatchObject({ label: '~x', value: '1' })
    expect(maskedCount).toBe(3)
    expect(maskJson(doc)).toMatchObject({ firstname: MASK, contacts: MASK, patientid: '42' })
  })

  it('reveals by JSON Pointer', () => {
    expect(revealJson(doc, '/firstname')).toEqual({ path: '/firstname', label: 'firstname', value: 'ANN' })
    expect(revealJson(doc, '/contacts')!.children![0]!.children![0]).toMatchObject({ label: 'name', value: 'X' })
    expect(revealJson(doc, '/nope')).toBeNull()
    expect(revealJson(doc, '/constructor')).toBeNull()
  })

  it('masks every CSV cell and reveals one', () => {
    const text = 'M1,"DOE, JANE",1980-01-01\nM2,ROE,1970-04-12'
    expect(splitCsvLine('a,"b, ""c""",d')).toEqual(['a', 'b, "c"', 'd'])
    const t = csvTree(text)
    expect(t.maskedCount).toBe(6)
    expect(t.maskedText).toBe(`${MASK},${MASK},${MASK}\n${MASK},${MASK},${MASK}`)
    expect(revealCsvCell(text, '/0/1')).toMatchObject({ value: 'DOE, JANE' })
  })
})

describe('bulk selections', () => {
  it('stand for a filter and are described in the audit trail without search text', async () => {
    const { describeSelection, selectionFilter } = await import('../../../electron/engine/console/bulk-actions')
    expect(selectionFilter({ kind: 'group', practiceId: 'p', group: 'validation_error|x' })).toEqual({ practiceId: 'p', statuses: ['error'], errorGroup: 'validation_error|x' })
    expect(describeSelection({ kind: 'ids', ids: [1, 2, 3] })).toEqual({ kind: 'ids', count: 3 })
    expect(describeSelection({ kind: 'filter', filter: { practiceId: 'p', q: 'M123', statuses: [], channel: 'adt-in' } })).toEqual({ kind: 'filter', filters: { practiceId: 'p', q: '(search)', channel: 'adt-in' } })
  })
})
