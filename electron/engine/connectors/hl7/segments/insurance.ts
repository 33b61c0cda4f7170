/** IN1 as a plain object (v2.5.1 field layout). */
import type { Hl7Segment } from '../segment'
import { dropUndefined, xon, type Organization, coded, compact, cp, cx, repeated, single, ts, xad, xcn, xpn, xtn, type Address, type Coded, type Identifier, type Money, type PersonName, type PersonRef, type Telecom } from './datatypes'

export interface Insurance {
  setId?: string
  planId?: Coded
  companyIds: Identifier[]
  companyNames: Organization[]
  companyAddress: Address[]
  contactPersons: PersonName[]
  companyPhones: Telecom[]
  groupNumber?: string
  groupNames: Organization[]
  insuredGroupEmployerIds: Identifier[]
  insuredGroupEmployerNames: Organization[]
  planEffectiveDate?: string
  planExpirationDate?: string
  authorization?: { number?: string; date?: string; source?: string }
  planType?: string
  insuredNames: PersonName[]
  insuredRelationship?: Coded
  insuredDob?: string
  insuredAddress: Address[]
  assignmentOfBenefits?: string
  coordinationOfBenefits?: string
  coordinationPriority?: string
  releaseInformationCode?: string
  verifiedAt?: string
  verifiedBy: PersonRef[]
  billingStatus?: string
  companyPlanCode?: string
  policyNumber?: string
  policyDeductible?: Money
  policyLimitAmount?: Money
  insuredEmploymentStatus?: Coded
  insuredSex?: string
  insuredEmployerAddress: Address[]
  verificationStatus?: string
  coverageType?: string
  insuredIds: Identifier[]
}

export function readIn1(s: Hl7Segment): Insurance {
  return dropUndefined({
    setId: s.value(1),
    planId: single(s, 2, coded),
    companyIds: repeated(s, 3, cx),
    companyNames: repeated(s, 4, xon),
    companyAddress: repeated(s, 5, xad),
    contactPersons: repeated(s, 6, xpn),
    companyPhones: repeated(s, 7, xtn),
    groupNumber: s.value(8),
    groupNames: repeated(s, 9, xon),
    insuredGroupEmployerIds: repeated(s, 10, cx),
    insuredGroupEmployerNames: repeated(s, 11, xon),
    planEffectiveDate: s.value(12),
    planExpirationDate: s.value(13),
    authorization: single(s, 14, (r) => compact({ number: r.c(1), date: r.c(2), source: r.c(3) })),
    planType: s.value(15),
    insuredNames: repeated(s, 16, xpn),
    insuredRelationship: single(s, 17, coded),
    insuredDob: single(s, 18, ts),
    insuredAddress: repeated(s, 19, xad),
    assignmentOfBenefits: s.value(20),
    coordinationOfBenefits: s.value(21),
    coordinationPriority: s.value(22),
    releaseInformationCode: s.value(27),
    verifiedAt: single(s, 29, ts),
    verifiedBy: repeated(s, 30, xcn),
    billingStatus: s.value(32),
    companyPlanCode: s.value(35),
    policyNumber: s.value(36),
    policyDeductible: single(s, 37, cp),
    policyLimitAmount: single(s, 38, cp),
    insuredEmploymentStatus: single(s, 42, coded),
    insuredSex: s.value(43),
    insuredEmployerAddress: repeated(s, 44, xad),
    verificationStatus: s.value(45),
    coverageType: s.value(47),
    insuredIds: repeated(s, 49, cx),
  })
}
