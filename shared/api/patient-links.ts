import { z } from 'zod'
import { method } from './define'

export const PATIENT_LINK_STATUSES = ['merged', 'linked', 'prior_unknown', 'undone'] as const

const externalIdSchema = z.object({ system: z.string(), value: z.string() })

/**
 * A pair of patient records a source said are one person (an HL7 ADT merge: A40, A34, A18).
 * Both records are kept. merged: the prior patient's children and ids were moved to the survivor
 * (undoable); linked: recorded for review only; prior_unknown: the prior patient is not known
 * here; undone: a person undid it. The duplicate-patient worklist reads these pairs.
 */
export const patientLinkSchema = z.object({
  id: z.number().int(),
  practiceId: z.string(),
  survivorId: z.number().int(),
  priorId: z.number().int().nullable(),
  priorIds: z.array(externalIdSchema),
  source: z.string(),
  txId: z.number().int().nullable(),
  action: z.enum(['merge', 'link']),
  status: z.enum(PATIENT_LINK_STATUSES),
  moved: z.object({ records: z.array(z.number().int()), externalIds: z.array(externalIdSchema) }).nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
  undoneAt: z.number().nullable(),
  undoneBy: z.string().nullable(),
})
export type PatientLinkView = z.infer<typeof patientLinkSchema>

export const patientLinksApi = {
  'patients.links': method('msg.view_meta',
    z.object({
      practiceId: z.string().optional(),
      statuses: z.array(z.enum(PATIENT_LINK_STATUSES)).optional(),
      /** Pairs this patient record is part of (as survivor or prior). */
      patientId: z.number().int().optional(),
      before: z.number().int().optional(),
      limit: z.number().int().min(1).max(500).default(100),
    }),
    z.array(patientLinkSchema),
  ),
  /** Undoes a merge: the moved children and ids go back to the prior patient. Audited. */
  'patients.undoLink': method('records.write', z.object({ practiceId: z.string(), id: z.number().int() }), patientLinkSchema),
}
