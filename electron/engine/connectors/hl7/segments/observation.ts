/** OBR, OBX and NTE as plain objects (v2.5.1 field layout). */
import type { Hl7Segment } from '../segment'
import { dropUndefined, xon, type Organization, coded, compact, ei, rep, repeated, single, ts, xad, xcn, xtn, type Address, type Coded, type EntityId, type PersonRef, type Telecom } from './datatypes'

export interface ObservationRequest {
  setId?: string
  placerOrderNumber?: EntityId
  fillerOrderNumber?: EntityId
  universalServiceId?: Coded
  priority?: string
  requestedAt?: string
  observedAt?: string
  observationEndAt?: string
  collectors: PersonRef[]
  specimenActionCode?: string
  relevantClinicalInfo?: string
  specimenReceivedAt?: string
  orderingProviders: PersonRef[]
  callbackPhones: Telecom[]
  placerField1?: string
  placerField2?: string
  fillerField1?: string
  fillerField2?: string
  resultsReportedAt?: string
  diagnosticServiceSection?: string
  resultStatus?: string
  parentResult?: { observationId?: Coded; subId?: string }
  resultCopiesTo: PersonRef[]
  parent?: { placerId?: string; fillerId?: string }
  reasonForStudy: Coded[]
  principalInterpreter?: string
  scheduledAt?: string
  procedureCode?: Coded
  procedureModifiers: Coded[]
}

export function readObr(s: Hl7Segment): ObservationRequest {
  return dropUndefined({
    setId: s.value(1),
    placerOrderNumber: single(s, 2, ei),
    fillerOrderNumber: single(s, 3, ei),
    universalServiceId: single(s, 4, coded),
    priority: s.value(5),
    requestedAt: single(s, 6, ts),
    observedAt: single(s, 7, ts),
    observationEndAt: single(s, 8, ts),
    collectors: repeated(s, 10, xcn),
    specimenActionCode: s.value(11),
    relevantClinicalInfo: s.value(13),
    specimenReceivedAt: single(s, 14, ts),
    orderingProviders: repeated(s, 16, xcn),
    callbackPhones: repeated(s, 17, xtn),
    placerField1: s.value(18),
    placerField2: s.value(19),
    fillerField1: s.value(20),
    fillerField2: s.value(21),
    resultsReportedAt: single(s, 22, ts),
    diagnosticServiceSection: s.value(24),
    resultStatus: s.value(25),
    parentResult: single(s, 26, (r) =>
      compact({ observationId: compact({ code: r.c(1, 1), text: r.c(1, 2), system: r.c(1, 3) }), subId: r.c(2) }),
    ),
    resultCopiesTo: repeated(s, 28, xcn),
    parent: single(s, 29, (r) => compact({ placerId: r.c(1, 1), fillerId: r.c(2, 1) })),
    reasonForStudy: repeated(s, 31, coded),
    principalInterpreter: rep(s, 32).c(1, 1),
    scheduledAt: single(s, 36, ts),
    procedureCode: single(s, 44, coded),
    procedureModifiers: repeated(s, 45, coded),
  })
}

const CODED_TYPES = new Set(['CE', 'CWE', 'CNE', 'CF'])

export interface StructuredNumeric {
  comparator?: string
  num1?: string
  separator?: string
  num2?: string
}

export interface EncapsulatedData {
  sourceApplication?: string
  typeOfData?: string
  dataSubtype?: string
  encoding?: string
  /** The data as sent (e.g. base64); can be megabytes. */
  data?: string
}

export interface Observation {
  setId?: string
  valueType?: string
  identifier?: Coded
  subId?: string
  /** First repetition of OBX-5: the whole value for simple types, component 1 for composite ones. */
  value?: string
  values: string[]
  /** OBX-5 read as coded values when OBX-2 is CE, CWE, CNE or CF. */
  codedValues?: Coded[]
  /** OBX-5 read as SN (structured numeric). */
  structuredNumeric?: StructuredNumeric[]
  /** OBX-5 read as ED (encapsulated data). */
  encapsulated?: EncapsulatedData[]
  units?: Coded
  referenceRange?: string
  abnormalFlags: string[]
  probability?: string
  natureOfAbnormalTest: string[]
  status?: string
  referenceRangeEffectiveAt?: string
  userDefinedAccessChecks?: string
  observedAt?: string
  producerId?: Coded
  responsibleObservers: PersonRef[]
  methods: Coded[]
  equipmentIds: EntityId[]
  analyzedAt?: string
  performingOrganization?: Organization
  performingOrganizationAddress?: Address
  performingOrganizationDirector?: PersonRef
}

export function readObx(s: Hl7Segment): Observation {
  const valueType = s.value(2)
  const values = s.values(5)
  return dropUndefined({
    setId: s.value(1),
    valueType,
    identifier: single(s, 3, coded),
    subId: s.value(4),
    value: values[0],
    values,
    codedValues: valueType && CODED_TYPES.has(valueType) ? repeated(s, 5, coded) : undefined,
    structuredNumeric:
      valueType === 'SN' ? repeated(s, 5, (r) => compact({ comparator: r.c(1), num1: r.c(2), separator: r.c(3), num2: r.c(4) })) : undefined,
    encapsulated:
      valueType === 'ED'
        ? repeated(s, 5, (r) => compact({ sourceApplication: r.c(1), typeOfData: r.c(2), dataSubtype: r.c(3), encoding: r.c(4), data: r.c(5) }))
        : undefined,
    units: single(s, 6, coded),
    referenceRange: s.value(7),
    abnormalFlags: s.values(8),
    probability: s.value(9),
    natureOfAbnormalTest: s.values(10),
    status: s.value(11),
    referenceRangeEffectiveAt: single(s, 12, ts),
    userDefinedAccessChecks: s.value(13),
    observedAt: single(s, 14, ts),
    producerId: single(s, 15, coded),
    responsibleObservers: repeated(s, 16, xcn),
    methods: repeated(s, 17, coded),
    equipmentIds: repeated(s, 18, ei),
    analyzedAt: single(s, 19, ts),
    performingOrganization: single(s, 23, xon),
    performingOrganizationAddress: single(s, 24, xad),
    performingOrganizationDirector: single(s, 25, xcn),
  })
}

export interface Note {
  setId?: string
  source?: string
  /** NTE-3 repetitions (FT, formatting escapes kept). */
  comments: string[]
  commentType?: Coded
}

export function readNte(s: Hl7Segment): Note {
  return dropUndefined({ setId: s.value(1), source: s.value(2), comments: s.values(3), commentType: single(s, 4, coded) })
}
