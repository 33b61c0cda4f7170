/**
 * What an evaluation needs besides the set and the source, and the per-field environment the
 * transforms run in.
 */
import type { CodeMap, CodeMiss, FieldIssue } from '../../../shared/mapping'
import type { SourceAccessor } from './source'

export interface MappingContext {
  practiceId?: string
  /** IANA zone of the practice, used when a department's zone is unknown. */
  defaultTimeZone: string
  /** IANA zone (or athena `timezonename`) of a department, when known. */
  lookupDepartmentTimeZone?(departmentId: string): string | undefined
  /** Epoch ms; injectable so date-not-in-future checks are reproducible. */
  now?: () => number
}

export interface TransformEnv {
  accessor: SourceAccessor
  ctx: MappingContext
  codeMaps: ReadonlyMap<string, CodeMap>
  fieldId: string
  target: string
  /** The field's own source paths (concat without explicit sources joins these). */
  sources: readonly string[]
  codeMisses: CodeMiss[]
  warnings: FieldIssue[]
}

/**
 * Thrown by a transform or validation to fail the current field; caught per field by the
 * engine, so it never escapes evaluateMapping. Messages never include the value (no PHI).
 */
export class FieldFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'FieldFailure'
  }
}

export function warn(env: TransformEnv, code: string, message: string): void {
  env.warnings.push({ fieldId: env.fieldId, target: env.target, code, message })
}

/** Reads through the accessor; a throwing accessor (a malformed HL7 path) fails the field, not the run. */
export function readSource(accessor: SourceAccessor, path: string, all: true): unknown[]
export function readSource(accessor: SourceAccessor, path: string, all?: false): unknown
export function readSource(accessor: SourceAccessor, path: string, all = false): unknown {
  try {
    return all ? accessor.getAll(path) : accessor.get(path)
  } catch {
    throw new FieldFailure('source_error', `could not read source path '${path}'`)
  }
}
