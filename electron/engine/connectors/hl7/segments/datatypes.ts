/**
 * Readers for the composite data types the typed segment accessors return (v2.5.1 component
 * layouts, which earlier versions share in their leading components). Every property is the
 * decoded value or absent; nothing is invented for empty components.
 */
import type { Hl7Segment } from '../segment'

/** A reader bound to one repetition of one field. */
export interface Rep {
  c(comp: number, sub?: number): string | undefined
}

function repOf(seg: Hl7Segment, field: number, raw: string): Rep {
  return { c: (comp, sub = 1) => seg.valueIn(field, raw, comp, sub) }
}

export function rep(seg: Hl7Segment, field: number, r = 1): Rep {
  return repOf(seg, field, seg.rawAt(field, r) ?? '')
}

/** Every non-empty repetition of a field, mapped with `read` (one pass over the repetitions). */
export function repeated<T>(seg: Hl7Segment, field: number, read: (r: Rep) => T | undefined): T[] {
  const out: T[] = []
  for (const raw of seg.repetitions(field)) {
    if (raw === '') continue
    const v = read(repOf(seg, field, raw))
    if (v !== undefined) out.push(v)
  }
  return out
}

/** The first repetition mapped with `read`, or undefined when the field is empty. */
export function single<T>(seg: Hl7Segment, field: number, read: (r: Rep) => T | undefined): T | undefined {
  return seg.rawAt(field) === undefined ? undefined : read(rep(seg, field, 1))
}

/** Removes properties whose value is undefined, so objects compare and serialize cleanly. */
export function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k]
  return o
}

/** Drops undefined properties and returns undefined for an object with none left. */
export function compact<T extends object>(o: T): T | undefined {
  let any = false
  for (const k of Object.keys(o) as (keyof T)[]) {
    if (o[k] === undefined) delete o[k]
    else any = true
  }
  return any ? o : undefined
}

export interface Hd {
  namespaceId?: string
  universalId?: string
  universalIdType?: string
}

/** HD as a whole field, or as subcomponents of one component (`comp` given). */
export function hd(r: Rep, comp?: number): Hd | undefined {
  if (comp === undefined) return compact({ namespaceId: r.c(1), universalId: r.c(2), universalIdType: r.c(3) })
  return compact({ namespaceId: r.c(comp, 1), universalId: r.c(comp, 2), universalIdType: r.c(comp, 3) })
}

/** CE / CWE / CNE: the first triplet and the alternate one. */
export interface Coded {
  code?: string
  text?: string
  system?: string
  altCode?: string
  altText?: string
  altSystem?: string
  originalText?: string
}

export function coded(r: Rep): Coded | undefined {
  return compact({ code: r.c(1), text: r.c(2), system: r.c(3), altCode: r.c(4), altText: r.c(5), altSystem: r.c(6), originalText: r.c(9) })
}

/** CX: an identifier with its assigning authority and type (PID-3, PV1-19…). */
export interface Identifier {
  id?: string
  checkDigit?: string
  assigningAuthority?: string
  assigningAuthorityId?: string
  typeCode?: string
  assigningFacility?: string
}

export function cx(r: Rep): Identifier | undefined {
  return compact({
    id: r.c(1),
    checkDigit: r.c(2),
    assigningAuthority: r.c(4, 1),
    assigningAuthorityId: r.c(4, 2),
    typeCode: r.c(5),
    assigningFacility: r.c(6, 1),
  })
}

/** XPN: person name. `family` is FN.1 (the surname). */
export interface PersonName {
  family?: string
  given?: string
  middle?: string
  suffix?: string
  prefix?: string
  degree?: string
  nameType?: string
}

export function xpn(r: Rep): PersonName | undefined {
  return compact({ family: r.c(1, 1), given: r.c(2), middle: r.c(3), suffix: r.c(4), prefix: r.c(5), degree: r.c(6), nameType: r.c(7) })
}

/** XCN: a person with an id (providers, operators). */
export interface PersonRef extends PersonName {
  id?: string
  assigningAuthority?: string
  typeCode?: string
}

export function xcn(r: Rep): PersonRef | undefined {
  return compact({
    id: r.c(1),
    family: r.c(2, 1),
    given: r.c(3),
    middle: r.c(4),
    suffix: r.c(5),
    prefix: r.c(6),
    degree: r.c(7),
    assigningAuthority: r.c(9, 1),
    nameType: r.c(10),
    typeCode: r.c(13),
  })
}

/** XAD: address. `street` is SAD.1 (street or mailing address). */
export interface Address {
  street?: string
  other?: string
  city?: string
  state?: string
  zip?: string
  country?: string
  type?: string
  otherGeographic?: string
  county?: string
}

export function xad(r: Rep): Address | undefined {
  return compact({
    street: r.c(1, 1),
    other: r.c(2),
    city: r.c(3),
    state: r.c(4),
    zip: r.c(5),
    country: r.c(6),
    type: r.c(7),
    otherGeographic: r.c(8),
    county: r.c(9),
  })
}

/** XTN: telecom. `number` is the usable value: the structured one when sent, else XTN.1. */
export interface Telecom {
  number?: string
  use?: string
  equipment?: string
  email?: string
  countryCode?: string
  areaCode?: string
  localNumber?: string
  extension?: string
  text?: string
}

export function xtn(r: Rep): Telecom | undefined {
  const area = r.c(6)
  const local = r.c(7)
  const structured = local ? (area ? area + local : local) : undefined
  return compact({
    number: structured ?? r.c(1),
    use: r.c(2),
    equipment: r.c(3),
    email: r.c(4),
    countryCode: r.c(5),
    areaCode: area,
    localNumber: local,
    extension: r.c(8),
    text: r.c(9),
  })
}

/** PL: a location (point of care, room, bed, facility…). */
export interface Location {
  pointOfCare?: string
  room?: string
  bed?: string
  facility?: string
  status?: string
  type?: string
  building?: string
  floor?: string
  description?: string
}

export function pl(r: Rep): Location | undefined {
  return compact({
    pointOfCare: r.c(1),
    room: r.c(2),
    bed: r.c(3),
    facility: r.c(4, 1),
    status: r.c(5),
    type: r.c(6),
    building: r.c(7),
    floor: r.c(8),
    description: r.c(9),
  })
}

/** EI: entity identifier (order numbers, appointment ids). */
export interface EntityId {
  id?: string
  namespaceId?: string
  universalId?: string
  universalIdType?: string
}

export function ei(r: Rep): EntityId | undefined {
  return compact({ id: r.c(1), namespaceId: r.c(2), universalId: r.c(3), universalIdType: r.c(4) })
}

/** TS/DTM: the timestamp text as sent (component 1); see hl7TimestampToIso to convert. */
export function ts(r: Rep): string | undefined {
  return r.c(1)
}

/** CP / MO: an amount with its currency. */
export interface Money {
  amount?: string
  currency?: string
}

export function cp(r: Rep): Money | undefined {
  return compact({ amount: r.c(1, 1), currency: r.c(1, 2) })
}

export interface Organization {
  name?: string
  typeCode?: string
  id?: string
  assigningAuthority?: string
  identifier?: string
}

/** XON: organization name (v2.5 puts the id in component 10, older versions in component 3). */
export function xon(r: Rep): Organization | undefined {
  return compact({ name: r.c(1), typeCode: r.c(2), id: r.c(3), assigningAuthority: r.c(6, 1), identifier: r.c(10) })
}
