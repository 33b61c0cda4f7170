/** FT1 as a plain object (v2.5.1 field layout). */
import type { Hl7Segment } from '../segment'
import { dropUndefined, coded, compact, cp, cx, ei, pl, repeated, single, ts, xcn, type Coded, type EntityId, type Identifier, type Location, type Money, type PersonRef } from './datatypes'

export interface FinancialTransaction {
  setId?: string
  transactionId?: string
  batchId?: string
  /** FT1-4 (DR): start and optional end of the service. */
  transactionDate?: { start?: string; end?: string }
  postingDate?: string
  transactionType?: string
  transactionCode?: Coded
  description?: string
  descriptionAlt?: string
  quantity?: string
  amountExtended?: Money
  amountUnit?: Money
  departmentCode?: Coded
  insurancePlanId?: Coded
  insuranceAmount?: Money
  location?: Location
  feeSchedule?: string
  patientType?: string
  diagnosisCodes: Coded[]
  performedBy: PersonRef[]
  orderedBy: PersonRef[]
  unitCost?: Money
  fillerOrderNumber?: EntityId
  enteredBy: PersonRef[]
  procedureCode?: Coded
  procedureModifiers: Coded[]
  advancedBeneficiaryNotice?: Coded
  ndcCode?: Coded
  paymentReferenceId?: Identifier
  transactionReferenceKeys: string[]
}

export function readFt1(s: Hl7Segment): FinancialTransaction {
  return dropUndefined({
    setId: s.value(1),
    transactionId: s.value(2),
    batchId: s.value(3),
    transactionDate: single(s, 4, (r) => compact({ start: r.c(1, 1), end: r.c(2, 1) })),
    postingDate: single(s, 5, ts),
    transactionType: s.value(6),
    transactionCode: single(s, 7, coded),
    description: s.value(8),
    descriptionAlt: s.value(9),
    quantity: s.value(10),
    amountExtended: single(s, 11, cp),
    amountUnit: single(s, 12, cp),
    departmentCode: single(s, 13, coded),
    insurancePlanId: single(s, 14, coded),
    insuranceAmount: single(s, 15, cp),
    location: single(s, 16, pl),
    feeSchedule: s.value(17),
    patientType: s.value(18),
    diagnosisCodes: repeated(s, 19, coded),
    performedBy: repeated(s, 20, xcn),
    orderedBy: repeated(s, 21, xcn),
    unitCost: single(s, 22, cp),
    fillerOrderNumber: single(s, 23, ei),
    enteredBy: repeated(s, 24, xcn),
    procedureCode: single(s, 25, coded),
    procedureModifiers: repeated(s, 26, coded),
    advancedBeneficiaryNotice: single(s, 27, coded),
    ndcCode: single(s, 29, coded),
    paymentReferenceId: single(s, 30, cx),
    transactionReferenceKeys: s.values(31),
  })
}
