/**
 * Mapping sets as data: field maps, transform chains, code maps, validations and mapping tests.
 * One engine (electron/engine/mapping) evaluates them for every connector, and the console edits
 * them, so everything here is plain JSON: no functions, no classes, no Dates. Optional settings
 * have no zod defaults on purpose: a set round-trips exactly as authored, which keeps exports and
 * version diffs free of noise; the engine applies the documented defaults when it evaluates.
 */
import { z } from 'zod'
import { RECORD_KINDS } from './records'

export const MAPPING_SCHEMA_VERSION = 1

export const MAPPING_FORMATS = ['athena', 'hl7', 'fhir', 'csv', 'studio'] as const
export type MappingFormat = (typeof MAPPING_FORMATS)[number]

export const MAPPING_DIRECTIONS = ['inbound', 'outbound'] as const
export type MappingDirection = (typeof MAPPING_DIRECTIONS)[number]

/** Path segments that would reach an object's prototype when the engine builds its output. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor'])
const pathIsSafe = (p: string): boolean => !p.split(/[.[\]]/).some((s) => FORBIDDEN_SEGMENTS.has(s))

/** A path read through a SourceAccessor: dotted JSON path, HL7 field path or CSV header. */
export const sourcePathSchema = z.string().trim().min(1).max(300)
/** Where a value lands: dotted path in the output (record field, `custom.<key>`, athena form field, HL7 path). */
export const targetPathSchema = z
  .string()
  .trim()
  .min(1)
  .max(300)
  .refine(pathIsSafe, { message: 'path segment not allowed' })

const scalarSchema = z.union([z.string(), z.number(), z.boolean(), z.null()])
export type Scalar = z.infer<typeof scalarSchema>

const regexFlagsSchema = z.string().regex(/^[gimsuy]*$/, 'flags: any of g i m s u y')
const regexSourceSchema = z.string().min(1).max(500)

// ---------------------------------------------------------------------------------------------
// Conditions (used by the `if` transform)

const conditionBase = {
  /** Path to test; absent = the current value in the chain. */
  source: sourcePathSchema.optional(),
  /** Invert the test. */
  negate: z.boolean().optional(),
}
export const conditionSchema = z.discriminatedUnion('test', [
  z.object({ test: z.literal('equals'), value: scalarSchema, caseInsensitive: z.boolean().optional(), ...conditionBase }),
  z.object({ test: z.literal('in'), values: z.array(z.union([z.string(), z.number()])).min(1), caseInsensitive: z.boolean().optional(), ...conditionBase }),
  z.object({ test: z.literal('empty'), ...conditionBase }),
  z.object({ test: z.literal('matches'), pattern: regexSourceSchema, flags: regexFlagsSchema.optional(), ...conditionBase }),
])
export type Condition = z.infer<typeof conditionSchema>

// ---------------------------------------------------------------------------------------------
// Time zones (for datetime transforms)

export const zoneSpecSchema = z.discriminatedUnion('from', [
  /** The department's zone: `source` holds the department id, resolved by ctx.lookupDepartmentTimeZone. */
  z.object({ from: z.literal('department'), source: sourcePathSchema }),
  /** A source field holding an IANA zone (`America/Chicago`), athena `timezonename` (`US/Eastern`) or an hour offset (`-7`). */
  z.object({ from: z.literal('field'), source: sourcePathSchema }),
  z.object({ from: z.literal('constant'), zone: z.string().min(1).max(64) }),
  /** The practice's default zone (ctx.defaultTimeZone). */
  z.object({ from: z.literal('default') }),
])
export type ZoneSpec = z.infer<typeof zoneSpecSchema>

// ---------------------------------------------------------------------------------------------
// Transforms

export const DATE_INPUT_FORMATS = ['MM/DD/YYYY', 'YYYY-MM-DD', 'HL7', 'ISO'] as const
export type DateInputFormat = (typeof DATE_INPUT_FORMATS)[number]
export const DATE_OUTPUT_FORMATS = ['YYYY-MM-DD', 'MM/DD/YYYY', 'YYYYMMDD'] as const
export const LOCAL_DATETIME_FORMATS = [
  'MM/DD/YYYY',
  'YYYY-MM-DD',
  'HH:mm',
  'MM/DD/YYYY HH:mm:ss',
  'YYYY-MM-DDTHH:mm:ss',
  'ISO',
  'HL7',
  'HL7_OFFSET',
] as const
export const PHONE_OUTPUT_FORMATS = ['E164', 'NATIONAL_DIGITS', 'NATIONAL', 'INTERNATIONAL'] as const

const dateInputs = z.array(z.enum(DATE_INPUT_FORMATS)).min(1).optional()

const simpleTransformSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('trim') }),
  z.object({ op: z.literal('upper') }),
  z.object({ op: z.literal('lower') }),
  z.object({ op: z.literal('title_case') }),
  z.object({ op: z.literal('to_string') }),
  z.object({ op: z.literal('number'), integer: z.boolean().optional() }),
  z.object({ op: z.literal('substring'), start: z.number().int(), length: z.number().int().min(0).optional() }),
  z.object({ op: z.literal('regex_replace'), pattern: regexSourceSchema, replacement: z.string().max(500), flags: regexFlagsSchema.optional() }),
  z.object({ op: z.literal('split'), separator: z.string().min(1).max(20), index: z.number().int() }),
  z.object({
    op: z.literal('concat'),
    /** Paths to join (every value of each, so arrays contribute all elements); absent = the field's own sources. */
    sources: z.array(sourcePathSchema).min(1).optional(),
    separator: z.string().max(20),
    /** Keep empty parts (default false: empty parts are skipped). */
    keepEmpty: z.boolean().optional(),
  }),
  z.object({ op: z.literal('constant'), value: scalarSchema }),
  z.object({ op: z.literal('default'), value: scalarSchema }),
  z.object({ op: z.literal('date'), from: dateInputs, to: z.enum(DATE_OUTPUT_FORMATS) }),
  z.object({
    op: z.literal('datetime_utc'),
    zone: zoneSpecSchema,
    /** Path of a separate wall-clock time (athena `starttime` HH:MM) combined with the date in the value. */
    timeSource: sourcePathSchema.optional(),
    from: dateInputs,
    /** When the zone cannot be resolved: use ctx.defaultTimeZone (default) or fail the field. */
    onUnknownZone: z.enum(['default', 'error']).optional(),
  }),
  z.object({
    op: z.literal('datetime_local'),
    zone: zoneSpecSchema,
    format: z.enum(LOCAL_DATETIME_FORMATS),
    onUnknownZone: z.enum(['default', 'error']).optional(),
  }),
  z.object({
    op: z.literal('add_minutes'),
    /** Path holding the minutes to add (athena `duration`); wins over `minutes` when present. */
    source: sourcePathSchema.optional(),
    minutes: z.number().optional(),
  }),
  z.object({
    op: z.literal('phone'),
    defaultCountry: z.string().regex(/^[A-Z]{2}$/),
    format: z.enum(PHONE_OUTPUT_FORMATS),
    /** 'valid' = libphonenumber isValid() (rejects e.g. 555 area codes); 'possible' = plausible length only. */
    validity: z.enum(['valid', 'possible']).optional(),
    /** error: field error; keep: keep the original text (warning); drop: empty value (warning). Default error. */
    invalid: z.enum(['error', 'keep', 'drop']),
  }),
  z.object({ op: z.literal('code_map'), map: z.string().min(1).max(100) }),
])
type SimpleTransform = z.infer<typeof simpleTransformSchema>

/** Conditional branch; its own chains make transforms recursive, hence the hand-written type. */
export interface IfTransform {
  op: 'if'
  when: Condition
  then: Transform[]
  else?: Transform[]
}
export type Transform = SimpleTransform | IfTransform
export type TransformOp = Transform['op']

export const TRANSFORM_OPS = [
  'trim',
  'upper',
  'lower',
  'title_case',
  'to_string',
  'number',
  'substring',
  'regex_replace',
  'split',
  'concat',
  'constant',
  'default',
  'date',
  'datetime_utc',
  'datetime_local',
  'add_minutes',
  'phone',
  'code_map',
  'if',
] as const satisfies readonly TransformOp[]

export const transformSchema: z.ZodType<Transform> = z.lazy(() =>
  z.union([
    simpleTransformSchema,
    z.object({
      op: z.literal('if'),
      when: conditionSchema,
      then: z.array(transformSchema).max(50),
      else: z.array(transformSchema).max(50).optional(),
    }),
  ]),
)

// ---------------------------------------------------------------------------------------------
// Validations (on the final value of a field)

export const validationSchema = z.discriminatedUnion('rule', [
  z.object({ rule: z.literal('required'), message: z.string().optional() }),
  z.object({ rule: z.literal('regex'), pattern: regexSourceSchema, flags: regexFlagsSchema.optional(), message: z.string().optional() }),
  z.object({ rule: z.literal('one_of'), values: z.array(z.string()).min(1), caseInsensitive: z.boolean().optional(), message: z.string().optional() }),
  z.object({ rule: z.literal('max_length'), max: z.number().int().min(0), message: z.string().optional() }),
  /** A real calendar date written YYYY-MM-DD; `notFuture` for dates of birth (today in the practice zone). */
  z.object({ rule: z.literal('date'), notFuture: z.boolean().optional(), message: z.string().optional() }),
  z.object({ rule: z.literal('e164'), message: z.string().optional() }),
])
export type Validation = z.infer<typeof validationSchema>
export const VALIDATION_RULES = ['required', 'regex', 'one_of', 'max_length', 'date', 'e164'] as const satisfies readonly Validation['rule'][]

// ---------------------------------------------------------------------------------------------
// Field maps, code maps, custom fields

export const fieldIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'letters, digits, _ . : - (max 100)')

export const fieldMapSchema = z.object({
  /** Stable across versions and overrides: overrides and diffs address rows by id. */
  id: fieldIdSchema,
  target: targetPathSchema,
  /** One path, or several: the chain starts from the first non-empty one (concat can use them all). */
  source: z.union([sourcePathSchema, z.array(sourcePathSchema).min(1)]).optional(),
  transforms: z.array(transformSchema).max(50),
  required: z.boolean().optional(),
  validations: z.array(validationSchema).optional(),
  note: z.string().max(2000).optional(),
})
export type FieldMap = z.infer<typeof fieldMapSchema>

export const codeMapEntrySchema = z.object({
  from: z.string().max(200),
  to: z.string().max(200),
  note: z.string().max(500).optional(),
})
export type CodeMapEntry = z.infer<typeof codeMapEntrySchema>

export const CODE_MAP_MISS_MODES = ['default', 'error', 'passthrough'] as const
export const codeMapNameSchema = z.string().regex(/^[a-z0-9_.-]{1,100}$/, 'lower-case letters, digits, _ . -')

export const codeMapSchema = z.object({
  name: codeMapNameSchema,
  description: z.string().max(2000).optional(),
  entries: z.array(codeMapEntrySchema),
  /** Used on a miss when onMiss is 'default'; absent = the field ends up empty. */
  default: z.string().max(200).optional(),
  onMiss: z.enum(CODE_MAP_MISS_MODES),
  caseInsensitive: z.boolean().optional(),
})
export type CodeMap = z.infer<typeof codeMapSchema>

export const CUSTOM_FIELD_TYPES = ['string', 'number', 'boolean', 'date'] as const
export const customFieldSchema = z.object({
  /** Addressed as target `custom.<key>`. */
  key: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _'),
  label: z.string().min(1).max(100),
  type: z.enum(CUSTOM_FIELD_TYPES),
  description: z.string().max(2000).optional(),
  /** Masked in the console like the record's own PHI fields. */
  phi: z.boolean().optional(),
})
export type CustomField = z.infer<typeof customFieldSchema>

// ---------------------------------------------------------------------------------------------
// Mapping tests

export const mappingTestInputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('json'), value: z.unknown() }),
  /** Raw text (an HL7 message, a CSV header + row) turned into an accessor by the format's library. */
  z.object({ kind: z.literal('text'), format: z.enum(MAPPING_FORMATS), text: z.string() }),
])
export type MappingTestInput = z.infer<typeof mappingTestInputSchema>

/** Fixed context so a test gives the same answer on every machine and every day. */
export const mappingTestContextSchema = z.object({
  defaultTimeZone: z.string().optional(),
  departmentTimeZones: z.record(z.string(), z.string()).optional(),
  /** ISO instant used as "now" (date-not-in-future checks). */
  now: z.string().optional(),
})

export const mappingTestSchema = z.object({
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  input: mappingTestInputSchema,
  context: mappingTestContextSchema.optional(),
  /** Partial expected output; a null leaf means "absent or empty". */
  expected: z.record(z.string(), z.unknown()),
  /** Errors the test expects (by target and/or code); any other error fails the test. */
  expectErrors: z.array(z.object({ target: z.string().optional(), code: z.string().optional() })).optional(),
})
export type MappingTest = z.infer<typeof mappingTestSchema>

// ---------------------------------------------------------------------------------------------
// Mapping sets

export const mappingSetKeySchema = z.string().regex(/^[a-z0-9_]+(\.[a-z0-9_]+)*$/, 'dotted lower-case key, e.g. athena.patient.in')

export const mappingSetSchema = z
  .object({
    schemaVersion: z.literal(MAPPING_SCHEMA_VERSION),
    key: mappingSetKeySchema,
    name: z.string().min(1).max(200),
    description: z.string().max(4000).optional(),
    /** The external side: what inbound sets read and outbound sets write ('studio' = record to record). */
    format: z.enum(MAPPING_FORMATS),
    direction: z.enum(MAPPING_DIRECTIONS),
    /** The Practice Studio record kind: the output of an inbound set, the input of an outbound one. */
    record: z.enum(RECORD_KINDS),
    /** nested (default): targets are dotted paths building an object; flat: targets are opaque keys (HL7 paths). */
    output: z.enum(['nested', 'flat']).optional(),
    fields: z.array(fieldMapSchema),
    codeMaps: z.array(codeMapSchema),
    customFields: z.array(customFieldSchema),
    tests: z.array(mappingTestSchema),
  })
  .superRefine((set, ctx) => {
    const dup = (values: string[], path: string, what: string): void => {
      const seen = new Set<string>()
      values.forEach((v, i) => {
        if (seen.has(v)) ctx.addIssue({ code: 'custom', path: [path, i], message: `duplicate ${what} '${v}'` })
        seen.add(v)
      })
    }
    dup(set.fields.map((f) => f.id), 'fields', 'field id')
    dup(set.codeMaps.map((m) => m.name), 'codeMaps', 'code map')
    dup(set.customFields.map((c) => c.key), 'customFields', 'custom field')
    set.codeMaps.forEach((m, mi) => {
      const seen = new Set<string>()
      m.entries.forEach((e, ei) => {
        const k = m.caseInsensitive ? e.from.trim().toLowerCase() : e.from.trim()
        if (seen.has(k)) ctx.addIssue({ code: 'custom', path: ['codeMaps', mi, 'entries', ei, 'from'], message: `duplicate code '${e.from}'` })
        seen.add(k)
      })
    })
  })
export type MappingSet = z.infer<typeof mappingSetSchema>

// ---------------------------------------------------------------------------------------------
// Per-practice overrides

export const codeMapOverrideSchema = z.object({
  name: codeMapNameSchema,
  description: z.string().max(2000).optional(),
  /** Added, or replacing the shipped entry with the same `from`. */
  entries: z.array(codeMapEntrySchema).optional(),
  /** `from` codes of shipped entries to drop. */
  removeEntries: z.array(z.string()).optional(),
  /** A string replaces the default; null clears it. */
  default: z.string().max(200).nullable().optional(),
  onMiss: z.enum(CODE_MAP_MISS_MODES).optional(),
  caseInsensitive: z.boolean().optional(),
})
export type CodeMapOverride = z.infer<typeof codeMapOverrideSchema>

export const mappingOverrideSchema = z.object({
  baseKey: mappingSetKeySchema,
  practiceId: z.string().optional(),
  name: z.string().max(200).optional(),
  description: z.string().max(4000).optional(),
  /** Replace the base row with the same id, or add a new row (appended). */
  fields: z.array(fieldMapSchema).optional(),
  removeFields: z.array(fieldIdSchema).optional(),
  codeMaps: z.array(codeMapOverrideSchema).optional(),
  /** Added, or replacing the base custom field with the same key. */
  customFields: z.array(customFieldSchema).optional(),
  /** Practice-specific tests, run after the shipped ones. */
  tests: z.array(mappingTestSchema).optional(),
})
export type MappingOverride = z.infer<typeof mappingOverrideSchema>

export type Provenance = 'inherited' | 'overridden' | 'added' | 'removed'

// ---------------------------------------------------------------------------------------------
// Results (what the engine returns; plain data so they cross to the renderer unchanged)

export const FIELD_ERROR_CODES = [
  'required',
  'invalid_date',
  'future_date',
  'invalid_time',
  'invalid_time_zone',
  'invalid_phone',
  'invalid_number',
  'invalid_value',
  'code_map_miss',
  'unknown_code_map',
  'regex',
  'one_of',
  'max_length',
  'e164',
  'invalid_regex',
  'schema',
  'target_conflict',
  'source_error',
  'transform_error',
] as const
export const FIELD_WARNING_CODES = ['invalid_phone', 'nonexistent_local_time', 'ambiguous_local_time', 'zone_fallback'] as const

export const fieldIssueSchema = z.object({
  /** The row the issue belongs to ('' for record-level issues no row explains). */
  fieldId: z.string(),
  target: z.string(),
  code: z.string(),
  /** Safe to show and log: never contains the value itself. */
  message: z.string(),
})
export type FieldIssue = z.infer<typeof fieldIssueSchema>

export const codeMissSchema = z.object({
  map: z.string(),
  value: z.string(),
  fieldId: z.string(),
  /** What the engine did about it (the miss is reported in every case, for the unmapped-codes worklist). */
  resolution: z.enum(CODE_MAP_MISS_MODES),
})
export type CodeMiss = z.infer<typeof codeMissSchema>

export const fieldResultSchema = z.object({
  fieldId: z.string(),
  target: z.string(),
  sourceValues: z.array(z.unknown()),
  value: z.unknown(),
  error: fieldIssueSchema.optional(),
})
export type FieldResult = z.infer<typeof fieldResultSchema>

export const mappingResultSchema = z.object({
  ok: z.boolean(),
  output: z.record(z.string(), z.unknown()),
  fields: z.array(fieldResultSchema),
  errors: z.array(fieldIssueSchema),
  warnings: z.array(fieldIssueSchema),
  codeMisses: z.array(codeMissSchema),
})
export type MappingResult = z.infer<typeof mappingResultSchema>

export type DiffChange = 'added' | 'removed' | 'changed'
export interface ValueDiff<T> {
  change: DiffChange
  before?: T
  after?: T
}
export interface FieldDiff extends ValueDiff<FieldMap> {
  id: string
  /** Which properties of the row changed (target, source, transforms, ...), for 'changed'. */
  changedKeys?: string[]
}
export interface CodeMapEntryDiff extends ValueDiff<CodeMapEntry> {
  from: string
}
export interface CodeMapDiff {
  name: string
  change: DiffChange
  /** Map-level settings (description, default, onMiss, caseInsensitive) before/after when they differ. */
  settings?: { before?: Omit<CodeMap, 'entries'>; after?: Omit<CodeMap, 'entries'> }
  entries: CodeMapEntryDiff[]
}
export interface MappingSetDiff {
  identical: boolean
  /** Set-level properties (name, description, format, ...) that differ. */
  meta: { key: string; before: unknown; after: unknown }[]
  fields: FieldDiff[]
  /** true when the same rows are present but in a different order. */
  fieldOrderChanged: boolean
  codeMaps: CodeMapDiff[]
  customFields: (ValueDiff<CustomField> & { key: string })[]
  tests: (ValueDiff<MappingTest> & { name: string })[]
}

export interface MappingTestFieldResult {
  /** The row that produced the compared value (undefined when no row targets the path). */
  fieldId?: string
  target: string
  expected: unknown
  actual: unknown
  passed: boolean
}
export interface MappingTestResult {
  name: string
  passed: boolean
  fields: MappingTestFieldResult[]
  /** Errors the test did not expect. */
  unexpectedErrors: FieldIssue[]
  /** Expected errors that did not happen. */
  missingErrors: { target?: string; code?: string }[]
  codeMisses: CodeMiss[]
  /** The input could not be read (no accessor for the format, unparsable text). */
  inputError?: string
}

export interface TargetPathInfo {
  path: string
  type: 'string' | 'number' | 'boolean' | 'enum' | 'array' | 'unknown'
  enumValues?: string[]
  /** Inside an array: index 0 shown, other indexes work the same way. */
  repeated?: boolean
  /** Masked in the console until revealed. */
  phi: boolean
  /** Declared by the set (`custom.<key>`). */
  custom?: boolean
}

/** A problem with a set's definition (not its data), found before it is saved or run. */
export interface MappingLintIssue {
  severity: 'error' | 'warning'
  /** Where in the set, e.g. `fields.3.transforms.0.map`. */
  path: string
  fieldId?: string
  message: string
}
