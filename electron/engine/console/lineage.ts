/**
 * Lineage of a mapped HL7 message for the inspector: for each field of the mapped stage, which
 * source path(s) fed it (the mapping set's field rows know: target ← source). The set is the
 * practice's effective one for the message's route, as it is now (its version is named, so a
 * later publish does not pass for the one that ran). Only paths leave here, never values.
 */
import type { LineageEntry } from '../../../shared/api/inspector'
import type { MappingSet } from '../../../shared/mapping'
import { MAPPING_KEYS } from '../connectors/hl7-engine/message-types'
import { sourcesOf } from '../mapping/evaluate-mapping'

export type SetLookup = (key: string) => { set: MappingSet; version: number | null }

/** Where in the mapped stage each set's output sits (see hl7-engine/inbound-handler.ts setMapped). */
function placements(code: string, mapped: Record<string, unknown>): { key: string; at: string }[] {
  const out: { key: string; at: string }[] = []
  const patient = mapped.patient as { data?: unknown } | undefined
  if (patient && typeof patient.data === 'object' && patient.data !== null) out.push({ key: MAPPING_KEYS.patient, at: '/patient/data' })
  if (code === 'SIU' && mapped.appointment) out.push({ key: MAPPING_KEYS.appointment, at: '/appointment' })
  if (code === 'MDM' && mapped.document) out.push({ key: MAPPING_KEYS.document, at: '/document' })
  if (Array.isArray(mapped.observations)) mapped.observations.forEach((_o, i) => out.push({ key: MAPPING_KEYS.observation, at: `/observations/${i}` }))
  if (Array.isArray(mapped.financialTransactions)) mapped.financialTransactions.forEach((_o, i) => out.push({ key: MAPPING_KEYS.financial, at: `/financialTransactions/${i}` }))
  return out
}

const escapePointer = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1')

function has(doc: unknown, pointer: string): boolean {
  let cur: unknown = doc
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~')
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, key)) return false
    cur = (cur as Record<string, unknown>)[key]
  }
  return true
}

export function hl7Lineage(messageType: string | null, mapped: unknown, lookup: SetLookup): LineageEntry[] {
  if (!messageType || mapped === null || typeof mapped !== 'object') return []
  const code = messageType.split('^')[0]?.toUpperCase() ?? ''
  const out: LineageEntry[] = []
  for (const { key, at } of placements(code, mapped as Record<string, unknown>)) {
    let eff: ReturnType<SetLookup>
    try {
      eff = lookup(key)
    } catch {
      continue
    }
    const nested = (eff.set.output ?? 'nested') === 'nested'
    for (const f of eff.set.fields ?? []) {
      const sources = sourcesOf(f)
      if (sources.length === 0) continue
      const rel = nested ? f.target.split('.').map(escapePointer).join('/') : escapePointer(f.target)
      const path = `${at}/${rel}`
      if (!has(mapped, path)) continue
      out.push({ path, target: f.target, sources, mappingSet: key, version: eff.version })
    }
  }
  return out
}
