/** SCH, AIL, AIP, AIG and RGS as plain objects (v2.5.1 field layout). */
import type { Hl7Segment } from '../segment'
import { dropUndefined, coded, ei, pl, repeated, single, ts, xad, xcn, xtn, type Address, type Coded, type EntityId, type Location, type PersonRef, type Telecom } from './datatypes'

export interface Schedule {
  placerAppointmentId?: EntityId
  fillerAppointmentId?: EntityId
  occurrenceNumber?: string
  placerGroupNumber?: EntityId
  scheduleId?: Coded
  eventReason?: Coded
  appointmentReason?: Coded
  appointmentType?: Coded
  duration?: string
  durationUnits?: Coded
  /** SCH-11 (TQ): start in component 4, end in component 5. */
  timing: { quantity?: string; interval?: string; duration?: string; start?: string; end?: string; priority?: string }[]
  placerContacts: PersonRef[]
  placerContactPhone?: Telecom
  placerContactAddress: Address[]
  placerContactLocation?: Location
  fillerContacts: PersonRef[]
  fillerContactPhone?: Telecom
  fillerContactAddress: Address[]
  fillerContactLocation?: Location
  enteredBy: PersonRef[]
  enteredByPhones: Telecom[]
  enteredByLocation?: Location
  parentPlacerAppointmentId?: EntityId
  parentFillerAppointmentId?: EntityId
  fillerStatus?: Coded
  placerOrderNumbers: EntityId[]
  fillerOrderNumbers: EntityId[]
}

export function readSch(s: Hl7Segment): Schedule {
  return dropUndefined({
    placerAppointmentId: single(s, 1, ei),
    fillerAppointmentId: single(s, 2, ei),
    occurrenceNumber: s.value(3),
    placerGroupNumber: single(s, 4, ei),
    scheduleId: single(s, 5, coded),
    eventReason: single(s, 6, coded),
    appointmentReason: single(s, 7, coded),
    appointmentType: single(s, 8, coded),
    duration: s.value(9),
    durationUnits: single(s, 10, coded),
    timing: repeated(s, 11, (r) => {
      const t = dropUndefined({ quantity: r.c(1, 1), interval: r.c(2, 1), duration: r.c(3), start: r.c(4, 1), end: r.c(5, 1), priority: r.c(6) })
      return Object.keys(t).length > 0 ? t : undefined
    }),
    placerContacts: repeated(s, 12, xcn),
    placerContactPhone: single(s, 13, xtn),
    placerContactAddress: repeated(s, 14, xad),
    placerContactLocation: single(s, 15, pl),
    fillerContacts: repeated(s, 16, xcn),
    fillerContactPhone: single(s, 17, xtn),
    fillerContactAddress: repeated(s, 18, xad),
    fillerContactLocation: single(s, 19, pl),
    enteredBy: repeated(s, 20, xcn),
    enteredByPhones: repeated(s, 21, xtn),
    enteredByLocation: single(s, 22, pl),
    parentPlacerAppointmentId: single(s, 23, ei),
    parentFillerAppointmentId: single(s, 24, ei),
    fillerStatus: single(s, 25, coded),
    placerOrderNumbers: repeated(s, 26, ei),
    fillerOrderNumbers: repeated(s, 27, ei),
  })
}

/** Timing shared by AIL, AIP and AIG. */
export interface ResourceTiming {
  start?: string
  startOffset?: string
  startOffsetUnits?: Coded
  duration?: string
  durationUnits?: Coded
  allowSubstitution?: string
  fillerStatus?: Coded
}

export interface LocationResource extends ResourceTiming {
  setId?: string
  segmentAction?: string
  locations: Location[]
  locationType?: Coded
  locationGroup?: Coded
}

export function readAil(s: Hl7Segment): LocationResource {
  return dropUndefined({
    setId: s.value(1),
    segmentAction: s.value(2),
    locations: repeated(s, 3, pl),
    locationType: single(s, 4, coded),
    locationGroup: single(s, 5, coded),
    ...timing(s, 6),
  })
}

export interface PersonnelResource extends ResourceTiming {
  setId?: string
  segmentAction?: string
  personnel: PersonRef[]
  resourceType?: Coded
  resourceGroup?: Coded
}

export function readAip(s: Hl7Segment): PersonnelResource {
  return dropUndefined({
    setId: s.value(1),
    segmentAction: s.value(2),
    personnel: repeated(s, 3, xcn),
    resourceType: single(s, 4, coded),
    resourceGroup: single(s, 5, coded),
    ...timing(s, 6),
  })
}

export interface GeneralResource extends ResourceTiming {
  setId?: string
  segmentAction?: string
  resourceId?: Coded
  resourceType?: Coded
  resourceGroups: Coded[]
  quantity?: string
  quantityUnits?: Coded
}

export function readAig(s: Hl7Segment): GeneralResource {
  return dropUndefined({
    setId: s.value(1),
    segmentAction: s.value(2),
    resourceId: single(s, 3, coded),
    resourceType: single(s, 4, coded),
    resourceGroups: repeated(s, 5, coded),
    quantity: s.value(6),
    quantityUnits: single(s, 7, coded),
    ...timing(s, 8),
  })
}

/** Start date/time, offset, units, duration, units, substitution, filler status from field `from`. */
function timing(s: Hl7Segment, from: number): ResourceTiming {
  return dropUndefined({
    start: single(s, from, ts),
    startOffset: s.value(from + 1),
    startOffsetUnits: single(s, from + 2, coded),
    duration: s.value(from + 3),
    durationUnits: single(s, from + 4, coded),
    allowSubstitution: s.value(from + 5),
    fillerStatus: single(s, from + 6, coded),
  })
}

export interface ResourceGroup {
  setId?: string
  segmentAction?: string
  resourceGroupId?: Coded
}

export function readRgs(s: Hl7Segment): ResourceGroup {
  return dropUndefined({ setId: s.value(1), segmentAction: s.value(2), resourceGroupId: single(s, 3, coded) })
}
