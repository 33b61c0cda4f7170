/**
 * How the mapping engine reads a source record, whatever its format. Each connector provides an
 * accessor: JSON objects (athenaNet, FHIR) use dotted paths (`address.line1`, `name.0.given`),
 * HL7 v2 uses field paths (`PID-5.1`, `OBX[2]-5`, `PID-3(2).1`), CSV rows use header names.
 */
export interface SourceAccessor {
  /** The value at `path` (for repeated values, the first), or undefined when absent or empty. */
  get(path: string): unknown
  /** Every value at `path` across repetitions / array elements ([] when absent). */
  getAll(path: string): unknown[]
}
