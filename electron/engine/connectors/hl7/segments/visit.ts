/** PV1 as a plain object (v2.5.1 field layout). */
import type { Hl7Segment } from '../segment'
import { dropUndefined, coded, compact, cx, pl, repeated, single, ts, xcn, type Coded, type Identifier, type Location, type PersonRef } from './datatypes'

export interface Visit {
  setId?: string
  patientClass?: string
  location?: Location
  admissionType?: string
  preadmitNumber?: Identifier
  priorLocation?: Location
  attendingDoctors: PersonRef[]
  referringDoctors: PersonRef[]
  consultingDoctors: PersonRef[]
  hospitalService?: string
  temporaryLocation?: Location
  preadmitTestIndicator?: string
  readmissionIndicator?: string
  admitSource?: string
  ambulatoryStatus: string[]
  vipIndicator?: string
  admittingDoctors: PersonRef[]
  patientType?: string
  visitNumber?: Identifier
  financialClass: { code?: string; effectiveDate?: string }[]
  chargePriceIndicator?: string
  courtesyCode?: string
  creditRating?: string
  contractCodes: string[]
  dischargeDisposition?: string
  dischargedTo?: { location?: string; effectiveDate?: string }
  dietType?: Coded
  servicingFacility?: string
  bedStatus?: string
  accountStatus?: string
  pendingLocation?: Location
  priorTemporaryLocation?: Location
  admitDateTime?: string
  dischargeDateTimes: string[]
  currentPatientBalance?: string
  totalCharges?: string
  totalAdjustments?: string
  totalPayments?: string
  alternateVisitId?: Identifier
  visitIndicator?: string
  otherHealthcareProviders: PersonRef[]
}

export function readPv1(s: Hl7Segment): Visit {
  return dropUndefined({
    setId: s.value(1),
    patientClass: s.value(2),
    location: single(s, 3, pl),
    admissionType: s.value(4),
    preadmitNumber: single(s, 5, cx),
    priorLocation: single(s, 6, pl),
    attendingDoctors: repeated(s, 7, xcn),
    referringDoctors: repeated(s, 8, xcn),
    consultingDoctors: repeated(s, 9, xcn),
    hospitalService: s.value(10),
    temporaryLocation: single(s, 11, pl),
    preadmitTestIndicator: s.value(12),
    readmissionIndicator: s.value(13),
    admitSource: s.value(14),
    ambulatoryStatus: s.values(15),
    vipIndicator: s.value(16),
    admittingDoctors: repeated(s, 17, xcn),
    patientType: s.value(18),
    visitNumber: single(s, 19, cx),
    financialClass: repeated(s, 20, (r) => compact({ code: r.c(1), effectiveDate: r.c(2) })),
    chargePriceIndicator: s.value(21),
    courtesyCode: s.value(22),
    creditRating: s.value(23),
    contractCodes: s.values(24),
    dischargeDisposition: s.value(36),
    dischargedTo: single(s, 37, (r) => compact({ location: r.c(1), effectiveDate: r.c(2) })),
    dietType: single(s, 38, coded),
    servicingFacility: s.value(39),
    bedStatus: s.value(40),
    accountStatus: s.value(41),
    pendingLocation: single(s, 42, pl),
    priorTemporaryLocation: single(s, 43, pl),
    admitDateTime: single(s, 44, ts),
    dischargeDateTimes: s.values(45),
    currentPatientBalance: s.value(46),
    totalCharges: s.value(47),
    totalAdjustments: s.value(48),
    totalPayments: s.value(49),
    alternateVisitId: single(s, 50, cx),
    visitIndicator: s.value(51),
    otherHealthcareProviders: repeated(s, 52, xcn),
  })
}
