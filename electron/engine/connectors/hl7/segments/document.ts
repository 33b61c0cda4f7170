/** TXA as a plain object (v2.5.1 field layout). */
import type { Hl7Segment } from '../segment'
import { dropUndefined, ei, repeated, single, ts, xcn, type EntityId, type PersonRef } from './datatypes'

export interface DocumentHeader {
  setId?: string
  documentType?: string
  contentPresentation?: string
  activityAt?: string
  primaryActivityProviders: PersonRef[]
  originatedAt?: string
  transcribedAt?: string
  editedAt: string[]
  originators: PersonRef[]
  assignedAuthenticators: PersonRef[]
  transcriptionists: PersonRef[]
  uniqueDocumentNumber?: EntityId
  parentDocumentNumber?: EntityId
  placerOrderNumbers: EntityId[]
  fillerOrderNumber?: EntityId
  uniqueDocumentFileName?: string
  completionStatus?: string
  confidentialityStatus?: string
  availabilityStatus?: string
  storageStatus?: string
  changeReason?: string
  authenticators: (PersonRef & { authenticatedAt?: string })[]
  distributedCopies: PersonRef[]
}

export function readTxa(s: Hl7Segment): DocumentHeader {
  return dropUndefined({
    setId: s.value(1),
    documentType: s.value(2),
    contentPresentation: s.value(3),
    activityAt: single(s, 4, ts),
    primaryActivityProviders: repeated(s, 5, xcn),
    originatedAt: single(s, 6, ts),
    transcribedAt: single(s, 7, ts),
    editedAt: s.values(8),
    originators: repeated(s, 9, xcn),
    assignedAuthenticators: repeated(s, 10, xcn),
    transcriptionists: repeated(s, 11, xcn),
    uniqueDocumentNumber: single(s, 12, ei),
    parentDocumentNumber: single(s, 13, ei),
    placerOrderNumbers: repeated(s, 14, ei),
    fillerOrderNumber: single(s, 15, ei),
    uniqueDocumentFileName: s.value(16),
    completionStatus: s.value(17),
    confidentialityStatus: s.value(18),
    availabilityStatus: s.value(19),
    storageStatus: s.value(20),
    changeReason: s.value(21),
    // PPN is XCN plus the date/time the action was performed, in component 15.
    authenticators: repeated(s, 22, (r) => {
      const p = xcn(r)
      const at = r.c(15)
      if (!p && !at) return undefined
      return dropUndefined({ ...(p ?? {}), authenticatedAt: at })
    }),
    distributedCopies: repeated(s, 23, xcn),
  })
}
