import { describe, expect, it } from 'vitest'
import {
  HL7_FIELDS,
  HL7_SEGMENT_NAMES,
  hl7FieldInfo,
  hl7FieldLabel,
  hl7TimestampToIso,
  formatHl7Timestamp,
  parseHl7,
  parseHl7Batch,
  readAig,
  readAil,
  readAip,
  readErr,
  readEvn,
  readFt1,
  readIn1,
  readMsa,
  readMsh,
  readNk1,
  readNte,
  readObr,
  readObx,
  readPd1,
  readPid,
  readPv1,
  readRgs,
  readSch,
  readTxa,
  type Hl7Segment,
} from '../../../electron/engine/connectors/hl7'
import { validFiles } from './corpus-files'

/** Builds a segment from field numbers, so tests cannot miscount separators. */
function seg(id: string, fields: Record<number, string>): string {
  const max = Math.max(...Object.keys(fields).map(Number))
  const parts = [id]
  for (let i = 1; i <= max; i++) parts.push(fields[i] ?? '')
  return parts.join('|')
}

const READERS: Record<string, (s: Hl7Segment) => object> = {
  MSH: readMsh,
  EVN: readEvn,
  PID: readPid,
  PD1: readPd1,
  NK1: readNk1,
  PV1: readPv1,
  IN1: readIn1,
  SCH: readSch,
  AIL: readAil,
  AIP: readAip,
  AIG: readAig,
  RGS: readRgs,
  OBR: readObr,
  OBX: readObx,
  NTE: readNte,
  FT1: readFt1,
  TXA: readTxa,
  MSA: readMsa,
  ERR: readErr,
}

describe('typed segment readers', () => {
  it('PID: identifiers, name, dob, sex, address, phones, language, race, ethnicity, ssn', () => {
    const m = parseHl7(
      [
        'MSH|^~\\&|A|B|C|D|20240101||ADT^A04|1|P|2.5.1',
        seg('PID', {
          1: '1',
          3: '12345^^^ATHENA&2.16.840.1&ISO^MR~999-88-7777^^^SSA^SS',
          5: 'O\\F\\BRIEN&O&BRIEN^JANE^Q^JR^DR^^L~JB^^^^^^A',
          7: '19800131',
          8: 'F',
          10: '2106-3^White^CDCREC',
          11: '1 MAIN ST^APT 2^SPRINGFIELD^IL^62701^USA^H^^SANGAMON',
          13: '^PRN^PH^^1^217^5551234^12~^NET^Internet^jane@example.org',
          14: '(217)555-0000^WPN^PH',
          15: 'ENG^English^HL70296',
          16: 'M^Married^HL70002',
          18: 'ACC9^^^ATHENA',
          19: '999-88-7777',
          20: 'D123^IL^20300101',
          22: '2186-5^Not Hispanic^CDCREC',
        }),
      ].join('\r'),
    )
    const pid = readPid(m.segment('PID')!)
    expect(pid.identifiers).toEqual([
      { id: '12345', assigningAuthority: 'ATHENA', assigningAuthorityId: '2.16.840.1', typeCode: 'MR' },
      { id: '999-88-7777', assigningAuthority: 'SSA', typeCode: 'SS' },
    ])
    expect(pid.name).toEqual({ family: 'O|BRIEN', given: 'JANE', middle: 'Q', suffix: 'JR', prefix: 'DR', nameType: 'L' })
    expect(pid.names[1]).toEqual({ family: 'JB', nameType: 'A' })
    expect(pid.dob).toBe('19800131')
    expect(hl7TimestampToIso(pid.dob)).toBe('1980-01-31')
    expect(pid.sex).toBe('F')
    expect(pid.race).toEqual([{ code: '2106-3', text: 'White', system: 'CDCREC' }])
    expect(pid.address).toEqual([{ street: '1 MAIN ST', other: 'APT 2', city: 'SPRINGFIELD', state: 'IL', zip: '62701', country: 'USA', type: 'H', county: 'SANGAMON' }])
    expect(pid.phones).toEqual([
      { number: '2175551234', use: 'PRN', equipment: 'PH', countryCode: '1', areaCode: '217', localNumber: '5551234', extension: '12' },
      { use: 'NET', equipment: 'Internet', email: 'jane@example.org' },
    ])
    expect(pid.businessPhones).toEqual([{ number: '(217)555-0000', use: 'WPN', equipment: 'PH' }])
    expect(pid.language).toEqual({ code: 'ENG', text: 'English', system: 'HL70296' })
    expect(pid.maritalStatus?.code).toBe('M')
    expect(pid.accountNumber).toEqual({ id: 'ACC9', assigningAuthority: 'ATHENA' })
    expect(pid.ssn).toBe('999-88-7777')
    expect(pid.driversLicense).toEqual({ number: 'D123', issuingState: 'IL', expires: '20300101' })
    expect(pid.ethnicity).toEqual([{ code: '2186-5', text: 'Not Hispanic', system: 'CDCREC' }])
    expect(pid.aliases).toEqual([])
    expect(JSON.parse(JSON.stringify(pid))).toEqual(pid)
  })

  it('OBX: value type, identifier, values, units, range, flags, status, observedAt', () => {
    const m = parseHl7(
      [
        'MSH|^~\\&|LAB|L|EHR|E|20240101||ORU^R01|1|P|2.5.1',
        'OBX|1|NM|2345-7^Glucose^LN||95|mg/dL^mg/dL^UCUM|70-99|H~A|||F|||20240101083000-0500',
        'OBX|2|CWE|8302-2^Height^LN||POS^Positive^L~NEG^Negative^L||||||P',
        'OBX|3|SN|x^y||>^5^:^10',
        'OBX|4|ED|PDF^Report||^application^pdf^Base64^JVBERi0=||||||F',
        'OBX|5|TX|NOTE||line one\\.br\\line two~second',
      ].join('\r'),
    )
    const [nm, cwe, sn, ed, tx] = m.segmentsNamed('OBX').map(readObx)
    expect(nm).toMatchObject({
      setId: '1',
      valueType: 'NM',
      identifier: { code: '2345-7', text: 'Glucose', system: 'LN' },
      value: '95',
      values: ['95'],
      units: { code: 'mg/dL', text: 'mg/dL', system: 'UCUM' },
      referenceRange: '70-99',
      abnormalFlags: ['H', 'A'],
      status: 'F',
      observedAt: '20240101083000-0500',
    })
    expect(hl7TimestampToIso(nm?.observedAt)).toBe('2024-01-01T08:30:00-05:00')
    expect(cwe?.codedValues).toEqual([
      { code: 'POS', text: 'Positive', system: 'L' },
      { code: 'NEG', text: 'Negative', system: 'L' },
    ])
    expect(cwe?.values).toEqual(['POS', 'NEG'])
    expect(sn?.structuredNumeric).toEqual([{ comparator: '>', num1: '5', separator: ':', num2: '10' }])
    expect(ed?.encapsulated).toEqual([{ typeOfData: 'application', dataSubtype: 'pdf', encoding: 'Base64', data: 'JVBERi0=' }])
    expect(tx?.values).toEqual(['line one\\.br\\line two', 'second'])
  })

  it('scheduling: SCH, AIL, AIP, AIG, RGS', () => {
    const m = parseHl7(
      [
        'MSH|^~\\&|S|F|R|F|20240101||SIU^S12|1|P|2.5.1',
        'SCH|P100^PLACER|F200^FILLER|||||CHECKUP^Checkup^L|ROUTINE^Routine|30|min^Minutes|^^30^20240105090000^20240105093000|||||DOC1^SMITH^ANN||||ENTR^CLERK^BOB|||||BOOKED^Booked',
        'RGS|1|A|GRP1',
        'AIL|1|A|CLINIC^101^^MAIN|EXAM^Exam room||20240105090000|0|min|30|min',
        'AIP|1|A|DOC1^SMITH^ANN^^^DR|ATT^Attending||20240105090000|||30|min||BOOKED',
        'AIG|1|A|XRAY1^X-ray 1|EQUIP^Equipment|GRPA~GRPB|1||20240105090000',
      ].join('\r'),
    )
    const sch = readSch(m.segment('SCH')!)
    expect(sch).toMatchObject({
      placerAppointmentId: { id: 'P100', namespaceId: 'PLACER' },
      fillerAppointmentId: { id: 'F200', namespaceId: 'FILLER' },
      appointmentReason: { code: 'CHECKUP', text: 'Checkup', system: 'L' },
      appointmentType: { code: 'ROUTINE', text: 'Routine' },
      duration: '30',
      durationUnits: { code: 'min', text: 'Minutes' },
      timing: [{ duration: '30', start: '20240105090000', end: '20240105093000' }],
      fillerContacts: [{ id: 'DOC1', family: 'SMITH', given: 'ANN' }],
      enteredBy: [{ id: 'ENTR', family: 'CLERK', given: 'BOB' }],
      fillerStatus: { code: 'BOOKED', text: 'Booked' },
    })
    expect(readRgs(m.segment('RGS')!)).toEqual({ setId: '1', segmentAction: 'A', resourceGroupId: { code: 'GRP1' } })
    expect(readAil(m.segment('AIL')!)).toMatchObject({ locations: [{ pointOfCare: 'CLINIC', room: '101', facility: 'MAIN' }], start: '20240105090000', duration: '30' })
    expect(readAip(m.segment('AIP')!)).toMatchObject({
      personnel: [{ id: 'DOC1', family: 'SMITH', given: 'ANN', prefix: 'DR' }],
      resourceType: { code: 'ATT' },
      fillerStatus: { code: 'BOOKED' },
    })
    expect(readAig(m.segment('AIG')!)).toMatchObject({ resourceId: { code: 'XRAY1' }, resourceGroups: [{ code: 'GRPA' }, { code: 'GRPB' }], quantity: '1', start: '20240105090000' })
  })

  it('PV1, EVN, NK1, IN1, FT1, TXA, NTE, MSA, ERR', () => {
    const m = parseHl7(
      [
        'MSH|^~\\&|A|B|C|D|20240101||DFT^P03|1|P|2.5.1',
        'EVN|P03|20240101120000|||OP1^OPER^ATOR',
        seg('PV1', { 1: '1', 2: 'O', 3: 'CLINIC^^^MAIN', 7: 'ATT1^DOC^ALICE', 18: 'OP', 19: 'V123^^^MAIN^VN', 20: 'SP^20240101' }),
        'NK1|1|DOE^JOHN|SPO^Spouse|1 MAIN ST^^X^IL|^PRN^PH^^^217^5550000',
        seg('IN1', {
          1: '1',
          2: 'PLAN1^Gold',
          3: 'INS1^^^PAYERS',
          4: 'Acme Insurance',
          5: 'PO BOX 1^^CITY^IL',
          7: '^WPN^PH^^^800^5551212',
          8: 'GRP9',
          16: 'DOE^JANE',
          17: 'SEL^Self',
          18: '19800131',
          36: 'POL123',
        }),
        seg('FT1', {
          1: '1',
          2: 'T1',
          4: '20240101^20240102',
          5: '20240103',
          6: 'CG',
          7: '99213^Office visit^CPT',
          10: '1',
          11: '100.00&USD',
          21: 'ORD1^PROV^P',
          25: '99213^^CPT',
          26: '25',
        }),
        seg('TXA', { 1: '1', 2: 'CN', 3: 'TX', 4: '20240101', 5: 'AUTH1^AUTHOR^A', 12: 'DOC-77^EHR', 17: 'AU' }),
        'NTE|1|L|first~second',
      ].join('\r'),
    )
    expect(readEvn(m.segment('EVN')!)).toMatchObject({ eventTypeCode: 'P03', recordedAt: '20240101120000', operators: [{ id: 'OP1', family: 'OPER' }] })
    expect(readPv1(m.segment('PV1')!)).toMatchObject({
      patientClass: 'O',
      location: { pointOfCare: 'CLINIC', facility: 'MAIN' },
      attendingDoctors: [{ id: 'ATT1', family: 'DOC', given: 'ALICE' }],
      patientType: 'OP',
      visitNumber: { id: 'V123', assigningAuthority: 'MAIN', typeCode: 'VN' },
      financialClass: [{ code: 'SP', effectiveDate: '20240101' }],
    })
    expect(readNk1(m.segment('NK1')!)).toMatchObject({ names: [{ family: 'DOE', given: 'JOHN' }], relationship: { code: 'SPO' }, phones: [{ number: '2175550000' }] })
    expect(readIn1(m.segment('IN1')!)).toMatchObject({
      planId: { code: 'PLAN1', text: 'Gold' },
      companyIds: [{ id: 'INS1', assigningAuthority: 'PAYERS' }],
      companyNames: [{ name: 'Acme Insurance' }],
      groupNumber: 'GRP9',
      insuredNames: [{ family: 'DOE', given: 'JANE' }],
      insuredRelationship: { code: 'SEL' },
      insuredDob: '19800131',
      policyNumber: 'POL123',
    })
    expect(readFt1(m.segment('FT1')!)).toMatchObject({
      transactionDate: { start: '20240101', end: '20240102' },
      transactionType: 'CG',
      transactionCode: { code: '99213', system: 'CPT' },
      quantity: '1',
      amountExtended: { amount: '100.00', currency: 'USD' },
      orderedBy: [{ id: 'ORD1' }],
      procedureCode: { code: '99213', system: 'CPT' },
      procedureModifiers: [{ code: '25' }],
    })
    expect(readTxa(m.segment('TXA')!)).toMatchObject({ documentType: 'CN', primaryActivityProviders: [{ id: 'AUTH1' }], uniqueDocumentNumber: { id: 'DOC-77', namespaceId: 'EHR' }, completionStatus: 'AU' })
    expect(readNte(m.segment('NTE')!)).toEqual({ setId: '1', source: 'L', comments: ['first', 'second'] })
    const ack = parseHl7('MSH|^~\\&|A|B|C|D|1||ACK|9|P|2.5\rMSA|AE|1|oops\rERR||PID^1^3|101^Missing^HL70357|E||||fix PID-3')
    expect(readMsa(ack.segment('MSA')!)).toEqual({ code: 'AE', controlId: '1', text: 'oops' })
    expect(readErr(ack.segment('ERR')!)).toMatchObject({ locations: [{ segment: 'PID', sequence: '1', field: '3' }], hl7ErrorCode: { code: '101' }, severity: 'E', userMessage: 'fix PID-3' })
  })

  it('decodes \\X..\\ in the declared 8859/1 charset (corpus SIU)', () => {
    const siu = validFiles().find((f) => f.name.includes('SIU_S12-NewAppointmentBooking'))
    expect(siu).toBeDefined()
    const m = parseHl7(siu!.bytes)
    expect(m.get('AIS-3.2')).toBe('SEPTOPLASTIA (OPERAÇÃO ISOLADA)')
    expect(readAip(m.segment('AIP')!).personnel[0]).toMatchObject({ id: '12345', family: 'teste' })
  })

  it('reads every such segment in the corpus into plain JSON-safe objects', () => {
    let read = 0
    for (const f of validFiles()) {
      for (const m of parseHl7Batch(f.bytes).messages) {
        for (const s of m.segments) {
          const reader = READERS[s.id]
          if (!reader) continue
          const obj = reader(s)
          expect(JSON.parse(JSON.stringify(obj))).toEqual(obj)
          read++
        }
      }
    }
    expect(read).toBeGreaterThan(1000)
  })
})

describe('field-name dictionary (v2.5.1)', () => {
  it('covers every field of the handled segments', () => {
    const counts = Object.fromEntries(Object.entries(HL7_FIELDS).map(([k, v]) => [k, v.length]))
    expect(counts).toMatchObject({ MSH: 21, EVN: 7, PID: 39, PD1: 21, NK1: 39, PV1: 52, IN1: 53, SCH: 27, AIL: 12, AIP: 12, AIG: 14, RGS: 3, OBR: 50, OBX: 25, NTE: 4, FT1: 31, TXA: 23, MSA: 6, ERR: 12 })
    for (const [seg, fields] of Object.entries(HL7_FIELDS)) {
      expect(HL7_SEGMENT_NAMES[seg]).toBeTruthy()
      fields.forEach((f, i) => expect(f).toMatchObject({ segment: seg, field: i + 1 }))
    }
  })

  it('labels fields for the inspector', () => {
    expect(hl7FieldLabel('PID', 5)).toBe('PID-5 Patient Name')
    expect(hl7FieldLabel('MSH', 9)).toBe('MSH-9 Message Type')
    expect(hl7FieldLabel('ZPD', 3)).toBe('ZPD-3')
    expect(hl7FieldInfo('PID', 3)).toEqual({ segment: 'PID', field: 3, name: 'Patient Identifier List', dataType: 'CX', repeating: true })
    expect(hl7FieldInfo('PV1', 52)?.name).toBe('Other Healthcare Provider')
    expect(hl7FieldInfo('OBR', 99)).toBeUndefined()
  })
})

describe('timestamps', () => {
  it('formats MSH-7 and converts TS values to ISO at their precision', () => {
    expect(formatHl7Timestamp(Date.UTC(2024, 0, 2, 3, 4, 5))).toBe('20240102030405+0000')
    expect(formatHl7Timestamp(Date.UTC(2024, 0, 2, 3, 4, 5), -300)).toBe('20240101220405-0500')
    expect(hl7TimestampToIso('1980')).toBe('1980')
    expect(hl7TimestampToIso('198001')).toBe('1980-01')
    expect(hl7TimestampToIso('198001310830')).toBe('1980-01-31T08:30')
    expect(hl7TimestampToIso('19800131083015.25+0100')).toBe('1980-01-31T08:30:15.250+01:00')
    for (const bad of ['19800230', '1980013', '19801301', '2024010125', 'abc', '']) expect(hl7TimestampToIso(bad)).toBeUndefined()
  })
})
