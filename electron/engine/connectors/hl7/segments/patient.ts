/** PID, PD1 and NK1 as plain objects (v2.5.1 field layout). */
import type { Hl7Segment } from '../segment'
import { dropUndefined, coded, xon, type Organization, compact, cx, hd, repeated, single, ts, xad, xcn, xpn, xtn, type Address, type Coded, type Hd, type Identifier, type PersonName, type PersonRef, type Telecom } from './datatypes'

export interface DriversLicense {
  number?: string
  issuingState?: string
  expires?: string
}

export interface Patient {
  setId?: string
  /** PID-2 (withdrawn in v2.7; older senders put the external id here). */
  patientId?: Identifier
  /** PID-3: every identifier, with assigning authority and type code. */
  identifiers: Identifier[]
  alternateIds: Identifier[]
  /** PID-5, first repetition (the legal name by convention). */
  name?: PersonName
  names: PersonName[]
  mothersMaidenName?: PersonName
  /** PID-7.1 as sent (see hl7TimestampToIso). */
  dob?: string
  sex?: string
  aliases: PersonName[]
  race: Coded[]
  address: Address[]
  countyCode?: string
  /** PID-13 (home). */
  phones: Telecom[]
  /** PID-14. */
  businessPhones: Telecom[]
  language?: Coded
  maritalStatus?: Coded
  religion?: Coded
  accountNumber?: Identifier
  ssn?: string
  driversLicense?: DriversLicense
  mothersIdentifiers: Identifier[]
  ethnicity: Coded[]
  birthPlace?: string
  multipleBirth?: string
  birthOrder?: string
  citizenship: Coded[]
  veteranStatus?: Coded
  nationality?: Coded
  deathDateTime?: string
  deathIndicator?: string
  identityUnknown?: string
  identityReliability: string[]
  lastUpdated?: string
  lastUpdateFacility?: Hd
  species?: Coded
  breed?: Coded
  strain?: string
  productionClass?: Coded
  tribalCitizenship: Coded[]
}

export function readPid(s: Hl7Segment): Patient {
  const names = repeated(s, 5, xpn)
  return dropUndefined({
    setId: s.value(1),
    patientId: single(s, 2, cx),
    identifiers: repeated(s, 3, cx),
    alternateIds: repeated(s, 4, cx),
    name: names[0],
    names,
    mothersMaidenName: single(s, 6, xpn),
    dob: single(s, 7, ts),
    sex: s.value(8),
    aliases: repeated(s, 9, xpn),
    race: repeated(s, 10, coded),
    address: repeated(s, 11, xad),
    countyCode: s.value(12),
    phones: repeated(s, 13, xtn),
    businessPhones: repeated(s, 14, xtn),
    language: single(s, 15, coded),
    maritalStatus: single(s, 16, coded),
    religion: single(s, 17, coded),
    accountNumber: single(s, 18, cx),
    ssn: s.value(19),
    driversLicense: single(s, 20, (r) => compact({ number: r.c(1), issuingState: r.c(2), expires: r.c(3) })),
    mothersIdentifiers: repeated(s, 21, cx),
    ethnicity: repeated(s, 22, coded),
    birthPlace: s.value(23),
    multipleBirth: s.value(24),
    birthOrder: s.value(25),
    citizenship: repeated(s, 26, coded),
    veteranStatus: single(s, 27, coded),
    nationality: single(s, 28, coded),
    deathDateTime: single(s, 29, ts),
    deathIndicator: s.value(30),
    identityUnknown: s.value(31),
    identityReliability: s.values(32),
    lastUpdated: single(s, 33, ts),
    lastUpdateFacility: single(s, 34, (r) => hd(r)),
    species: single(s, 35, coded),
    breed: single(s, 36, coded),
    strain: s.value(37),
    productionClass: single(s, 38, coded),
    tribalCitizenship: repeated(s, 39, coded),
  })
}

export interface PatientAdditionalDemographics {
  livingDependency: string[]
  livingArrangement?: string
  primaryFacility: Organization[]
  primaryCareProviders: PersonRef[]
  studentIndicator?: string
  handicap?: string
  livingWillCode?: string
  organDonorCode?: string
  separateBill?: string
  duplicatePatient: Identifier[]
  publicityCode?: Coded
  protectionIndicator?: string
  protectionIndicatorEffectiveDate?: string
  placeOfWorship: Organization[]
  advanceDirectiveCodes: Coded[]
  immunizationRegistryStatus?: string
  immunizationRegistryStatusEffectiveDate?: string
  publicityCodeEffectiveDate?: string
  militaryBranch?: string
  militaryRank?: string
  militaryStatus?: string
}

export function readPd1(s: Hl7Segment): PatientAdditionalDemographics {
  return dropUndefined({
    livingDependency: s.values(1),
    livingArrangement: s.value(2),
    primaryFacility: repeated(s, 3, xon),
    primaryCareProviders: repeated(s, 4, xcn),
    studentIndicator: s.value(5),
    handicap: s.value(6),
    livingWillCode: s.value(7),
    organDonorCode: s.value(8),
    separateBill: s.value(9),
    duplicatePatient: repeated(s, 10, cx),
    publicityCode: single(s, 11, coded),
    protectionIndicator: s.value(12),
    protectionIndicatorEffectiveDate: s.value(13),
    placeOfWorship: repeated(s, 14, xon),
    advanceDirectiveCodes: repeated(s, 15, coded),
    immunizationRegistryStatus: s.value(16),
    immunizationRegistryStatusEffectiveDate: s.value(17),
    publicityCodeEffectiveDate: s.value(18),
    militaryBranch: s.value(19),
    militaryRank: s.value(20),
    militaryStatus: s.value(21),
  })
}

export interface NextOfKin {
  setId?: string
  names: PersonName[]
  relationship?: Coded
  address: Address[]
  phones: Telecom[]
  businessPhones: Telecom[]
  contactRole?: Coded
  startDate?: string
  endDate?: string
  jobTitle?: string
  employeeNumber?: Identifier
  organizationNames: Organization[]
  maritalStatus?: Coded
  sex?: string
  dob?: string
  primaryLanguage?: Coded
  contactReasons: Coded[]
  contactPersonNames: PersonName[]
  contactPersonPhones: Telecom[]
  contactPersonAddress: Address[]
  identifiers: Identifier[]
  race: Coded[]
  ethnicity: Coded[]
  ssn?: string
}

export function readNk1(s: Hl7Segment): NextOfKin {
  return dropUndefined({
    setId: s.value(1),
    names: repeated(s, 2, xpn),
    relationship: single(s, 3, coded),
    address: repeated(s, 4, xad),
    phones: repeated(s, 5, xtn),
    businessPhones: repeated(s, 6, xtn),
    contactRole: single(s, 7, coded),
    startDate: s.value(8),
    endDate: s.value(9),
    jobTitle: s.value(10),
    employeeNumber: single(s, 12, cx),
    organizationNames: repeated(s, 13, xon),
    maritalStatus: single(s, 14, coded),
    sex: s.value(15),
    dob: single(s, 16, ts),
    primaryLanguage: single(s, 20, coded),
    contactReasons: repeated(s, 29, coded),
    contactPersonNames: repeated(s, 30, xpn),
    contactPersonPhones: repeated(s, 31, xtn),
    contactPersonAddress: repeated(s, 32, xad),
    identifiers: repeated(s, 33, cx),
    race: repeated(s, 35, coded),
    ethnicity: repeated(s, 28, coded),
    ssn: s.value(37),
  })
}
