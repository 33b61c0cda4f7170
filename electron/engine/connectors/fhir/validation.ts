/**
 * Validation of every FHIR resource sent and received (reference fhir.md §3.1b): base R4 structure
 * with `fhir` (FHIR.js 4.12.0: value sets, types, required elements, unknown properties), plus the
 * US Core must-support elements of the profiles athena declares for Patient (us-core-patient) and
 * Observation (us-core-vital-signs / -observation-lab), hand-written because the US Core package
 * is not on npm. athena's own extensions (`ah-*`) are fine for R4. Issues carry the element path so
 * the inspector shows them as field issues.
 */
import { Fhir } from 'fhir'

export interface FieldIssue {
  severity: 'error' | 'warning'
  path: string
  message: string
  source: 'r4' | 'us-core'
}

const fhir = new Fhir()
const UCUM = 'http://unitsofmeasure.org'

/** Resource types FHIR.js does not know (R4B / R5 shapes servers use inside R4 bundles). */
const NOT_R4 = new Set(['SubscriptionStatus', 'SubscriptionTopic'])

type Json = Record<string, unknown>
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v])
const has = (v: unknown): boolean => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)

function usCore(r: Json): FieldIssue[] {
  const out: FieldIssue[] = []
  const must = (ok: boolean, path: string, message: string): void => {
    if (!ok) out.push({ severity: 'error', path, message, source: 'us-core' })
  }
  if (r.resourceType === 'Patient') {
    must(arr(r.identifier).some((i) => has((i as Json).system) && has((i as Json).value)), 'Patient.identifier', 'US Core Patient needs at least one identifier with a system and a value')
    must(arr(r.name).some((n) => has((n as Json).family) || has((n as Json).given)), 'Patient.name', 'US Core Patient needs a name with a family or given part')
    must(has(r.gender), 'Patient.gender', 'US Core Patient needs gender')
  }
  if (r.resourceType === 'Observation') {
    must(has(r.status), 'Observation.status', 'US Core Observation needs status')
    must(arr(r.category).length > 0, 'Observation.category', 'US Core Observation needs a category')
    must(has(r.code), 'Observation.code', 'US Core Observation needs a code')
    must(has((r.subject as Json | undefined)?.reference), 'Observation.subject', 'US Core Observation needs a subject (the patient)')
    const vital = arr(r.category).some((c) => arr((c as Json).coding).some((x) => (x as Json).code === 'vital-signs'))
    if (vital) {
      must(has(r.effectiveDateTime) || has(r.effectivePeriod), 'Observation.effective[x]', 'US Core vital signs need effective[x]')
      const q = r.valueQuantity as Json | undefined
      must(has(q) || has(r.dataAbsentReason) || has(r.component), 'Observation.value[x]', 'US Core vital signs need valueQuantity or dataAbsentReason')
      if (q) {
        must(typeof q.value === 'number', 'Observation.valueQuantity.value', 'the vital sign value must be a number')
        must(q.system === UCUM && has(q.code), 'Observation.valueQuantity.system', 'vital sign units must be UCUM (system http://unitsofmeasure.org with a code)')
      }
    }
  }
  return out
}

export function validateResource(resource: unknown): FieldIssue[] {
  if (!resource || typeof resource !== 'object') return [{ severity: 'error', path: '', message: 'not a JSON object', source: 'r4' }]
  const r = resource as Json
  const out: FieldIssue[] = []
  if (typeof r.resourceType !== 'string') return [{ severity: 'error', path: 'resourceType', message: 'resourceType is missing', source: 'r4' }]
  if (!NOT_R4.has(r.resourceType)) {
    try {
      const v = fhir.validate(r)
      for (const m of v.messages ?? []) {
        if (m.severity === 'error' || m.severity === 'warning') out.push({ severity: m.severity, path: m.location ?? '', message: m.message ?? 'invalid', source: 'r4' })
      }
    } catch (e) {
      out.push({ severity: 'error', path: r.resourceType, message: `could not be validated: ${(e as Error).message.slice(0, 120)}`, source: 'r4' })
    }
  }
  out.push(...usCore(r))
  return out
}

export const errorsOf = (issues: FieldIssue[]): FieldIssue[] => issues.filter((i) => i.severity === 'error')
