import { z } from 'zod'
import { empty, method } from './define'
import { TX_STAGES } from './transactions'

/**
 * One node of a message laid out as a tree: an HL7 segment, field, repetition, component or
 * subcomponent (path `PID-5.1`, name "Family Name"), or a JSON member / CSV cell. PHI values come
 * masked (`masked: true`, no value, no children) until revealed one field at a time.
 */
export interface InspectorNode {
  path: string
  label: string
  name?: string
  value?: string
  masked?: boolean
  /** The HL7 data type of the field or component when known (TS, DTM, DT, CX, …): the console renders timestamps in words beside the raw value. */
  dataType?: string
  children?: InspectorNode[]
}

export const inspectorNodeSchema: z.ZodType<InspectorNode> = z.lazy(() =>
  z.object({
    path: z.string(),
    label: z.string(),
    name: z.string().optional(),
    value: z.string().optional(),
    masked: z.boolean().optional(),
    dataType: z.string().optional(),
    children: z.array(inspectorNodeSchema).optional(),
  }),
)

export const STAGE_FORMATS = ['hl7', 'json', 'csv', 'text'] as const

/** Which source path(s) fed one field of the mapped stage (the mapping set's row: target ← source). */
export const lineageEntrySchema = z.object({
  /** JSON Pointer of the field in the mapped stage (its tree path). */
  path: z.string(),
  target: z.string(),
  /** Source paths as the mapping row names them (`PID-5.1`, `SCH-11.4`). */
  sources: z.array(z.string()),
  mappingSet: z.string(),
  /** Published override version the lineage was read from; null = the shipped set. */
  version: z.number().int().nullable(),
})
export type LineageEntry = z.infer<typeof lineageEntrySchema>

export const inspectorStageSchema = z.object({
  stage: z.enum(TX_STAGES),
  format: z.enum(STAGE_FORMATS),
  /** The stage as text with PHI masked (HL7 fields blanked, JSON values replaced). */
  text: z.string().nullable(),
  tree: z.array(inspectorNodeSchema),
  maskedCount: z.number().int(),
  /** Why the stage could not be laid out as a tree (shown with the masked text). */
  parseError: z.string().nullable(),
  /** Not stored but re-derived from the payload as this view was built (a done message's parsed stage). */
  derived: z.boolean().optional(),
  /** Mapped stage of an HL7 message: where each field came from. */
  lineage: z.array(lineageEntrySchema).optional(),
})
export type InspectorStage = z.infer<typeof inspectorStageSchema>

export const fieldChangeSchema = z.object({
  path: z.string(),
  change: z.enum(['added', 'removed', 'changed']),
  before: z.string().nullable(),
  after: z.string().nullable(),
  masked: z.boolean(),
})
export type FieldChange = z.infer<typeof fieldChangeSchema>

export const recordDiffSchema = z.object({
  recordId: z.number().int(),
  kind: z.string(),
  op: z.string(),
  at: z.number(),
  fields: z.array(fieldChangeSchema),
})
export type RecordDiff = z.infer<typeof recordDiffSchema>

export const inspectorViewSchema = z.object({
  id: z.number().int(),
  stages: z.array(inspectorStageSchema),
  diffs: z.array(recordDiffSchema),
})
export type InspectorView = z.infer<typeof inspectorViewSchema>

/** Where a reveal points: a stage and a node path, `*` for the whole stage, or `diff` with `<recordId>:<field path>`. */
export const revealTargetSchema = z.object({
  id: z.number().int(),
  stage: z.union([z.enum(TX_STAGES), z.literal('diff')]),
  path: z.string().min(1).max(300),
  /** Why (kept in the audit entry); asked for, or required, by the deployment's reveal policy. */
  reason: z.string().trim().max(500).optional(),
})

/** Whether revealing PHI asks for a reason: not at all, optionally, or always (one setting per installation). */
export const REVEAL_REASON_POLICIES = ['off', 'optional', 'required'] as const
export const inspectorSettingsSchema = z.object({ revealReason: z.enum(REVEAL_REASON_POLICIES) })
export type InspectorSettings = z.infer<typeof inspectorSettingsSchema>

export const inspectorApi = {
  /** A transaction's stages as trees and masked text, and its field-level record diff. PHI masked. */
  'inspector.view': method('msg.view_phi', z.object({ id: z.number().int() }), inspectorViewSchema),
  /** One PHI value in clear. Audited: who, which transaction, which path (never the value). */
  'inspector.reveal': method('msg.reveal_phi',
    revealTargetSchema,
    z.object({
      path: z.string(),
      node: inspectorNodeSchema.nullable(),
      text: z.string().nullable(),
      diff: z.object({ before: z.string().nullable(), after: z.string().nullable() }).nullable(),
    }),
  ),
  /** The installation's reveal policy, so the console knows whether to ask for a reason. */
  'inspector.settings': method('session', empty, inspectorSettingsSchema),
  /** Changes the reveal policy. Audited. */
  'inspector.saveSettings': method('users.manage', inspectorSettingsSchema, inspectorSettingsSchema),
}
