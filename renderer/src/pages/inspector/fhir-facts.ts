/**
 * What the FHIR connector keeps in a transaction's parsed stage (the resource or notification it
 * handled, and the validation issues found by element path), read back from the inspector's
 * masked JSON so the inspector can show them as field issues. Nothing here is PHI: ids, types,
 * topics and element paths.
 */
import type { InspectorStage } from '../../../../shared/api/inspector'

export interface FhirIssue {
  severity: 'error' | 'warning'
  path: string
  message: string
  source: string
}

export interface FhirFacts {
  kind: 'resource' | 'notification'
  resourceType: string | null
  id: string | null
  topic: string | null
  eventId: string | null
  /** How a notification's focus was read again (e.g. "FHIR read Patient"). */
  via: string | null
  focus: string | null
  issues: FhirIssue[]
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)

export function fhirFacts(stages: readonly InspectorStage[]): FhirFacts | null {
  const parsed = stages.find((s) => s.stage === 'parsed' && s.format === 'json')
  if (!parsed?.text) return null
  let j: Record<string, unknown>
  try {
    j = JSON.parse(parsed.text) as Record<string, unknown>
  } catch {
    return null
  }
  if (!j || (j.kind !== 'resource' && j.kind !== 'notification')) return null
  const focus = (j.focus ?? {}) as { reference?: unknown; identifier?: { system?: unknown; value?: unknown } }
  const issues = (Array.isArray(j.issues) ? j.issues : [])
    .filter((i): i is Record<string, unknown> => Boolean(i) && typeof i === 'object')
    .map((i) => ({ severity: i.severity === 'warning' ? ('warning' as const) : ('error' as const), path: String(i.path ?? ''), message: String(i.message ?? ''), source: String(i.source ?? '') }))
  return {
    kind: j.kind,
    resourceType: str(j.resourceType),
    id: str(j.id),
    topic: str(j.topic),
    eventId: str(j.eventId),
    via: str(j.via),
    focus: str(focus.reference) ?? (focus.identifier ? `${String(focus.identifier.system ?? '')}|${String(focus.identifier.value ?? '')}` : null),
    issues,
  }
}
