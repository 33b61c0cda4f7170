/**
 * The mapping studio: mapping sets per practice (shipped default + the practice's override),
 * drafts saved continuously, live preview on samples, tests, versions (publish, diff, rollback),
 * code-map CSV, export/import, and the unmapped-codes worklist.
 *
 * Values from samples that hold real data (stored transactions) arrive masked unless the sample
 * was revealed, which the engine audits; `masked` on a value says so.
 */
import { z } from 'zod'
import {
  codeMissSchema,
  fieldIssueSchema,
  MAPPING_DIRECTIONS,
  MAPPING_FORMATS,
  mappingOverrideSchema,
  mappingSetKeySchema,
  mappingSetSchema,
  mappingTestSchema,
  type MappingLintIssue,
  type MappingSetDiff,
  type MappingTestResult,
  type TargetPathInfo,
} from '../mapping'
import { RECORD_KINDS } from '../records'
import { method } from './define'

const practiceId = z.string().min(1)
const setKey = mappingSetKeySchema

export const PROVENANCES = ['inherited', 'overridden', 'added', 'removed'] as const
const provenanceSchema = z.enum(PROVENANCES)

export const lintIssueSchema: z.ZodType<MappingLintIssue> = z.object({
  severity: z.enum(['error', 'warning']),
  path: z.string(),
  fieldId: z.string().optional(),
  message: z.string(),
})

export const targetPathInfoSchema: z.ZodType<TargetPathInfo> = z.object({
  path: z.string(),
  type: z.enum(['string', 'number', 'boolean', 'enum', 'array', 'unknown']),
  enumValues: z.array(z.string()).optional(),
  repeated: z.boolean().optional(),
  phi: z.boolean(),
  custom: z.boolean().optional(),
})

// ---- sets ------------------------------------------------------------------------------------

export const mappingSetSummarySchema = z.object({
  key: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  format: z.enum(MAPPING_FORMATS),
  direction: z.enum(MAPPING_DIRECTIONS),
  record: z.enum(RECORD_KINDS),
  /** Published version in force; null = the shipped default runs unchanged. */
  liveVersion: z.number().int().nullable(),
  liveAt: z.number().nullable(),
  draft: z.object({ updatedAt: z.number(), updatedBy: z.string(), basedOn: z.number().int().nullable() }).nullable(),
  /** Rows the practice changed in the live version. */
  changes: z.object({ overridden: z.number().int(), added: z.number().int(), removed: z.number().int() }),
  fieldCount: z.number().int(),
  testCount: z.number().int(),
  openMisses: z.number().int(),
})
export type MappingSetSummary = z.infer<typeof mappingSetSummarySchema>

export const whereUsedSchema = z.object({
  setKey: z.string(),
  setName: z.string(),
  fieldId: z.string(),
  target: z.string(),
  /** The same map name in another set is a different table with the same meaning. */
  sameSet: z.boolean(),
})
export type WhereUsed = z.infer<typeof whereUsedSchema>

const draftInfoSchema = z.object({
  override: mappingOverrideSchema,
  basedOn: z.number().int().nullable(),
  updatedAt: z.number(),
  updatedBy: z.string(),
})

export const mappingEditorStateSchema = z.object({
  practiceId: z.string(),
  practiceTimeZone: z.string(),
  shipped: mappingSetSchema,
  /** The live override (null = none published yet). */
  live: z.object({ version: z.number().int(), override: mappingOverrideSchema, author: z.string(), createdAt: z.number() }).nullable(),
  draft: draftInfoSchema.nullable(),
  targetPaths: z.array(targetPathInfoSchema),
  /** Per code map name: fields using it, here and in the practice's other sets. */
  whereUsed: z.record(z.string(), z.array(whereUsedSchema)),
  openMisses: z.number().int(),
})
export type MappingEditorState = z.infer<typeof mappingEditorStateSchema>

export const effectiveSchema = z.object({
  set: mappingSetSchema,
  provenance: z.record(z.string(), provenanceSchema),
  codeMapEntries: z.record(z.string(), z.record(z.string(), provenanceSchema)),
  lint: z.array(lintIssueSchema),
})
export type EffectiveView = z.infer<typeof effectiveSchema>

// ---- samples ---------------------------------------------------------------------------------

export const SAMPLE_KINDS = ['hl7', 'json', 'csv'] as const
export type SampleKind = (typeof SAMPLE_KINDS)[number]

export const sampleSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  kind: z.enum(SAMPLE_KINDS),
  /** file | builtin | transaction | a registered source such as sandbox */
  origin: z.string(),
  txId: z.number().int().nullable(),
  /** Real data: masked until revealed. */
  sensitive: z.boolean(),
  createdAt: z.number(),
  createdBy: z.string(),
})
export type Sample = z.infer<typeof sampleSchema>

export const sampleRefSchema = z.object({
  id: z.number().int(),
  /** CSV data row, JSON list element or HL7 batch message (0-based). */
  row: z.number().int().min(0).max(1_000_000).optional(),
})
export type SampleRef = z.infer<typeof sampleRefSchema>

export interface SampleNode {
  /** Source path to use in a field map (null for grouping nodes such as a segment). */
  path: string | null
  label: string
  /** HL7 field / component name. */
  name?: string
  value?: string | null
  masked?: boolean
  children?: SampleNode[]
}
export const sampleNodeSchema: z.ZodType<SampleNode> = z.lazy(() =>
  z.object({
    path: z.string().nullable(),
    label: z.string(),
    name: z.string().optional(),
    value: z.string().nullable().optional(),
    masked: z.boolean().optional(),
    children: z.array(sampleNodeSchema).optional(),
  }),
)

export const sampleTreeSchema = z.object({
  kind: z.enum(SAMPLE_KINDS),
  /** Rows to choose from (CSV rows, list elements, batch messages); 1 for a single record. */
  rows: z.number().int(),
  row: z.number().int(),
  /** Row labels (first few columns / resource type and id), for the row picker. */
  rowLabels: z.array(z.string()),
  tree: z.array(sampleNodeSchema),
  masked: z.boolean(),
  revealedUntil: z.number().nullable(),
  /** Why the sample cannot be read with this set (unparsable text, wrong kind). */
  error: z.string().nullable(),
})
export type SampleTree = z.infer<typeof sampleTreeSchema>

export const sampleSourceSchema = z.object({
  name: z.string(),
  label: z.string(),
  description: z.string(),
  sensitive: z.boolean(),
})
export const sampleSourceItemSchema = z.object({
  id: z.string(),
  label: z.string(),
  detail: z.string().nullable(),
  kind: z.enum(SAMPLE_KINDS),
  /** Suits the requested mapping set. */
  suits: z.boolean(),
})
export type SampleSourceItem = z.infer<typeof sampleSourceItemSchema>

// ---- preview ---------------------------------------------------------------------------------

export const previewFieldSchema = z.object({
  fieldId: z.string(),
  target: z.string(),
  provenance: provenanceSchema,
  sourceValues: z.array(z.unknown()),
  value: z.unknown(),
  masked: z.boolean(),
  error: fieldIssueSchema.nullable(),
  warnings: z.array(fieldIssueSchema),
  codeMisses: z.array(codeMissSchema),
})
export type PreviewField = z.infer<typeof previewFieldSchema>

export const traceStepSchema = z.object({
  /** Index in the chain; -1 = the value read from the source. */
  index: z.number().int(),
  op: z.string(),
  value: z.unknown(),
  error: z.string().nullable(),
})
export type TraceStep = z.infer<typeof traceStepSchema>

export const previewResultSchema = z.object({
  ok: z.boolean(),
  /** The sample could not be read (parse error, wrong kind): nothing was evaluated. */
  inputError: z.string().nullable(),
  masked: z.boolean(),
  output: z.unknown(),
  fields: z.array(previewFieldSchema),
  /** Record-level problems no single row explains (fieldId ''). */
  recordErrors: z.array(fieldIssueSchema),
  errors: z.array(fieldIssueSchema),
  warnings: z.array(fieldIssueSchema),
  codeMisses: z.array(codeMissSchema),
  effective: effectiveSchema,
  trace: z.array(traceStepSchema).nullable(),
})
export type PreviewResult = z.infer<typeof previewResultSchema>

// ---- tests, versions -------------------------------------------------------------------------

export const testResultSchema: z.ZodType<MappingTestResult> = z.object({
  name: z.string(),
  passed: z.boolean(),
  fields: z.array(z.object({ fieldId: z.string().optional(), target: z.string(), expected: z.unknown(), actual: z.unknown(), passed: z.boolean() })),
  unexpectedErrors: z.array(fieldIssueSchema),
  missingErrors: z.array(z.object({ target: z.string().optional(), code: z.string().optional() })),
  codeMisses: z.array(codeMissSchema),
  inputError: z.string().optional(),
}) as z.ZodType<MappingTestResult>

export const testRunSchema = z.object({
  passed: z.number().int(),
  failed: z.number().int(),
  results: z.array(testResultSchema),
  /** Which tests come from the shipped set and which the practice added. */
  origin: z.record(z.string(), z.enum(['shipped', 'practice'])),
})
export type TestRun = z.infer<typeof testRunSchema>

export const versionSummarySchema = z.object({
  version: z.number().int(),
  author: z.string(),
  comment: z.string(),
  createdAt: z.number(),
  rolledBackFrom: z.number().int().nullable(),
  live: z.boolean(),
  changes: z.object({ overridden: z.number().int(), added: z.number().int(), removed: z.number().int(), codeMaps: z.number().int() }),
})
export type VersionSummary = z.infer<typeof versionSummarySchema>

/** A version number (0 = the shipped default), the current draft, or whatever is live. */
export const versionRefSchema = z.union([z.number().int().min(0), z.literal('draft'), z.literal('live')])
export type VersionRef = z.infer<typeof versionRefSchema>

export const diffSchema = z.custom<MappingSetDiff>((v) => typeof v === 'object' && v !== null && 'identical' in v)

// ---- worklist --------------------------------------------------------------------------------

export const missRowSchema = z.object({
  setKey: z.string(),
  setName: z.string(),
  mapName: z.string(),
  value: z.string(),
  count: z.number().int(),
  firstSeen: z.number(),
  lastSeen: z.number(),
  examples: z.array(z.number().int()),
  resolvedAt: z.number().nullable(),
  /** Affected transactions still in the error queue (reprocessable once the entry exists). */
  failedTransactions: z.number().int(),
  /** The map already has this code now (added since the misses were seen). */
  mapped: z.boolean(),
  /** Allowed values when the target is an enum (e.g. gender M/F/O/U), else the map's distinct targets. */
  choices: z.array(z.string()),
  /** A likely target, e.g. the entry for the same code in another case. */
  suggestion: z.string().nullable(),
})
export type MissRow = z.infer<typeof missRowSchema>

const reprocessOutput = z.object({
  queued: z.array(z.number().int()),
  skipped: z.array(z.object({ id: z.number().int(), reason: z.string() })),
})

const codeMapCsvIssue = z.object({ line: z.number().int(), message: z.string() })

export const mappingsApi = {
  'mappings.sets': method('msg.view_meta', z.object({ practiceId }), z.array(mappingSetSummarySchema)),
  'mappings.get': method('msg.view_meta', z.object({ practiceId, key: setKey }), mappingEditorStateSchema),
  /** Applies an override to the shipped set without saving (provenance + definition checks). */
  'mappings.effective': method('msg.view_meta', z.object({ practiceId, key: setKey, override: mappingOverrideSchema.nullable() }), effectiveSchema),
  /** Saves the practice's draft (not live). Refused when the override cannot apply. */
  'mappings.saveDraft': method('mapping.edit',
    z.object({ practiceId, key: setKey, override: mappingOverrideSchema }),
    z.object({ updatedAt: z.number(), basedOn: z.number().int().nullable(), lint: z.array(lintIssueSchema) }),
  ),
  'mappings.discardDraft': method('mapping.edit', z.object({ practiceId, key: setKey }), z.object({ discarded: z.boolean() })),
  /** Evaluates the set (with `override` applied; null = live) on a sample, row by row. */
  'mappings.preview': method('mapping.edit',
    z.object({ practiceId, key: setKey, override: mappingOverrideSchema.nullable(), sample: sampleRefSchema, traceFieldId: z.string().optional() }),
    previewResultSchema,
  ),
  'mappings.runTests': method('mapping.edit', z.object({ practiceId, key: setKey, override: mappingOverrideSchema.nullable() }), testRunSchema),
  /** A mapping test from a sample and the set's current output (refused for real-data samples). */
  'mappings.testFromSample': method('mapping.edit',
    z.object({ practiceId, key: setKey, override: mappingOverrideSchema.nullable(), sample: sampleRefSchema, name: z.string().trim().min(1).max(200) }),
    mappingTestSchema,
  ),
  /**
   * Runs the set's tests, then publishes (draft by default) as a new live version. With failing
   * tests nothing is published unless `acceptFailures` gives the reason, which is audited.
   */
  'mappings.publish': method('mapping.publish',
    z.object({
      practiceId,
      key: setKey,
      comment: z.string().trim().min(1).max(2000),
      override: mappingOverrideSchema.optional(),
      acceptFailures: z.string().trim().min(3).max(2000).optional(),
    }),
    z.object({ published: z.boolean(), version: versionSummarySchema.nullable(), tests: testRunSchema }),
  ),
  'mappings.versions': method('msg.view_meta', z.object({ practiceId, key: setKey }), z.array(versionSummarySchema)),
  'mappings.diff': method('msg.view_meta',
    z.object({ practiceId, key: setKey, from: versionRefSchema, to: versionRefSchema }),
    z.object({ from: z.string(), to: z.string(), diff: diffSchema }),
  ),
  /** One action: publishes a copy of an older version (0 = back to the shipped default). */
  'mappings.rollback': method('mapping.publish',
    z.object({ practiceId, key: setKey, version: z.number().int().min(0), comment: z.string().trim().max(2000).optional() }),
    versionSummarySchema,
  ),
  /** Readable JSON for source control: the practice's override, or the whole effective set. */
  'mappings.export': method('msg.view_meta',
    z.object({ practiceId, key: setKey, version: versionRefSchema.default('live'), content: z.enum(['override', 'effective']).default('override') }),
    z.object({ fileName: z.string(), json: z.string() }),
  ),
  /** Reads an exported override or set (any version of it) into the draft; line-precise errors. */
  'mappings.import': method('mapping.edit',
    z.object({ practiceId, key: setKey, json: z.string().min(1).max(5_000_000) }),
    z.object({
      ok: z.boolean(),
      issues: z.array(z.object({ line: z.number().int().nullable(), column: z.number().int().nullable(), path: z.string(), message: z.string() })),
      override: mappingOverrideSchema.nullable(),
    }),
  ),
  'mappings.codeMapExport': method('msg.view_meta',
    z.object({ practiceId, key: setKey, override: mappingOverrideSchema.nullable(), map: z.string() }),
    z.object({ fileName: z.string(), csv: z.string() }),
  ),
  /** CSV (from,to[,note]) into a code map; returns the new override for the editor to save. */
  'mappings.codeMapImport': method('mapping.edit',
    z.object({ practiceId, key: setKey, override: mappingOverrideSchema.nullable(), map: z.string(), csv: z.string().max(5_000_000), mode: z.enum(['merge', 'replace']) }),
    z.object({
      ok: z.boolean(),
      override: mappingOverrideSchema.nullable(),
      added: z.number().int(),
      changed: z.number().int(),
      removed: z.number().int(),
      issues: z.array(codeMapCsvIssue),
    }),
  ),

  'mappings.samples.list': method('msg.view_meta', z.object({ practiceId }), z.array(sampleSchema)),
  /** A file the user loaded (HL7 v2, JSON or CSV; the kind is detected when absent). */
  'mappings.samples.add': method('mapping.edit',
    z.object({ practiceId, name: z.string().trim().min(1).max(200), text: z.string().min(1).max(5_000_000), kind: z.enum(SAMPLE_KINDS).optional() }),
    sampleSchema,
  ),
  'mappings.samples.remove': method('mapping.edit', z.object({ practiceId, id: z.number().int() }), z.object({ removed: z.boolean() })),
  /** Where samples can come from: built-in, stored transactions, and registered sources (sandbox). */
  'mappings.samples.sources': method('msg.view_meta', z.object({ practiceId }), z.array(sampleSourceSchema)),
  'mappings.samples.browse': method('msg.view_phi',
    z.object({ practiceId, source: z.string(), key: setKey.optional(), q: z.string().max(200).optional() }),
    z.array(sampleSourceItemSchema),
  ),
  'mappings.samples.import': method('mapping.edit', z.object({ practiceId, source: z.string(), id: z.string() }), sampleSchema),
  'mappings.samples.tree': method('msg.view_phi', z.object({ practiceId, key: setKey, sample: sampleRefSchema }), sampleTreeSchema),
  /** Shows a real-data sample unmasked for a while; audited with the reason. */
  'mappings.samples.reveal': method('msg.reveal_phi',
    z.object({ practiceId, id: z.number().int(), reason: z.string().trim().min(3).max(500) }),
    z.object({ revealedUntil: z.number() }),
  ),

  'mappings.misses': method('msg.view_meta', z.object({ practiceId, includeResolved: z.boolean().optional() }), z.array(missRowSchema)),
  /** Adds the code to the map and publishes it (the draft gets it too), then reports the affected failed transactions. */
  'mappings.addMissEntry': method('mapping.edit',
    z.object({ practiceId, key: setKey, map: z.string(), value: z.string(), to: z.string().max(200), note: z.string().max(500).optional() }),
    z.object({ version: versionSummarySchema, failedTransactions: z.array(z.number().int()) }),
  ),
  /** Reprocesses the transactions a miss affected that are still in error. */
  'mappings.reprocessMisses': method('msg.reprocess', z.object({ practiceId, key: setKey, map: z.string(), value: z.string() }), reprocessOutput),
  'mappings.dismissMiss': method('mapping.edit', z.object({ practiceId, key: setKey, map: z.string(), value: z.string() }), z.object({ dismissed: z.boolean() })),
}
