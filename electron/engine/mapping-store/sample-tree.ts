/**
 * The source tree the studio shows for a sample: HL7 segments → fields (named, "PID-5 Patient
 * Name") → repetitions → components; JSON keys; CSV headers. Every leaf carries the source path a
 * field map would use, in the set's own notation (HL7 paths, dotted JSON paths, FHIRPath with
 * `where()` filters for FHIR lists, CSV headers), so paths are picked rather than typed.
 */
import type { SampleNode } from '../../../shared/api/mappings'
import { HL7_FIELDS, HL7_SEGMENT_NAMES, type Hl7Message } from '../connectors/hl7'
import { fhirIdentifier } from './fhir-accessor'
import { MASK } from './phi'
import type { SampleRecord } from './sample-readers'

const MAX_NODES = 4000
const MAX_DEPTH = 14
const MAX_VALUE = 300

/** Component names of the HL7 data types the shipped segments use most. */
const COMPONENTS: Readonly<Record<string, readonly string[]>> = {
  XPN: ['Family Name', 'Given Name', 'Second and Further Given Names', 'Suffix', 'Prefix', 'Degree', 'Name Type Code'],
  XCN: ['ID Number', 'Family Name', 'Given Name', 'Second and Further Given Names', 'Suffix', 'Prefix', 'Degree', 'Source Table', 'Assigning Authority'],
  XAD: ['Street Address', 'Other Designation', 'City', 'State or Province', 'Zip or Postal Code', 'Country', 'Address Type', 'Other Geographic Designation', 'County/Parish Code'],
  XTN: ['Telephone Number', 'Telecommunication Use Code', 'Telecommunication Equipment Type', 'Email Address', 'Country Code', 'Area/City Code', 'Local Number', 'Extension', 'Any Text'],
  CX: ['ID Number', 'Check Digit', 'Check Digit Scheme', 'Assigning Authority', 'Identifier Type Code', 'Assigning Facility'],
  CE: ['Identifier', 'Text', 'Name of Coding System', 'Alternate Identifier', 'Alternate Text', 'Name of Alternate Coding System'],
  CWE: ['Identifier', 'Text', 'Name of Coding System', 'Alternate Identifier', 'Alternate Text', 'Name of Alternate Coding System'],
  CNE: ['Identifier', 'Text', 'Name of Coding System', 'Alternate Identifier', 'Alternate Text', 'Name of Alternate Coding System'],
  HD: ['Namespace ID', 'Universal ID', 'Universal ID Type'],
  EI: ['Entity Identifier', 'Namespace ID', 'Universal ID', 'Universal ID Type'],
  TS: ['Time', 'Degree of Precision'],
  MSG: ['Message Code', 'Trigger Event', 'Message Structure'],
  PT: ['Processing ID', 'Processing Mode'],
  VID: ['Version ID', 'Internationalization Code', 'International Version ID'],
  PL: ['Point of Care', 'Room', 'Bed', 'Facility', 'Location Status', 'Person Location Type', 'Building', 'Floor'],
  DLN: ['License Number', 'Issuing State', 'Expiration Date'],
  FC: ['Financial Class Code', 'Effective Date'],
  TQ: ['Quantity', 'Interval', 'Duration', 'Start Date/Time', 'End Date/Time', 'Priority'],
  CQ: ['Quantity', 'Units'],
  MO: ['Quantity', 'Denomination'],
}

export interface TreeOptions {
  /** FHIRPath notation (FHIR inbound sets) instead of dotted paths. */
  fhirPath: boolean
  /** Values at these paths are replaced by a mask. */
  mask: ((path: string) => boolean) | null
}

class Budget {
  n = 0
  take(): boolean {
    return ++this.n <= MAX_NODES
  }
}

function shown(v: string, path: string, opts: TreeOptions): Pick<SampleNode, 'value' | 'masked'> {
  if (opts.mask?.(path)) return { value: MASK, masked: true }
  return { value: v.length > MAX_VALUE ? `${v.slice(0, MAX_VALUE)}…` : v }
}

export function buildSampleTree(rec: SampleRecord, opts: TreeOptions): SampleNode[] {
  const budget = new Budget()
  switch (rec.kind) {
    case 'hl7':
      return hl7Tree(rec.message, opts, budget)
    case 'csv':
      return rec.headers.filter(() => budget.take()).map((h) => ({ path: h, label: h, ...shown(rec.row[h] ?? '', h, opts) }))
    case 'json':
      return jsonChildren(rec.value, '', opts, budget, 0)
  }
}

function hl7Tree(message: Hl7Message, opts: TreeOptions, budget: Budget): SampleNode[] {
  const seen = new Map<string, number>()
  const out: SampleNode[] = []
  for (const seg of message.segments) {
    if (!budget.take()) break
    const n = (seen.get(seg.id) ?? 0) + 1
    seen.set(seg.id, n)
    const multiple = message.segmentsNamed(seg.id).length > 1
    const segLabel = multiple ? `${seg.id}[${n}]` : seg.id
    const defs = HL7_FIELDS[seg.id] ?? []
    const structure = seg.toStructure()
    const fieldCount = Math.max(structure.length - 1, defs.length)
    const fields: SampleNode[] = []
    for (let f = 1; f <= fieldCount; f++) {
      if (!budget.take()) break
      const def = defs[f - 1]
      const path = `${segLabel}-${f}`
      const reps = (structure[f] ?? []).filter((r) => r.some((c) => c.some((s) => s !== '')))
      const node: SampleNode = { path, label: path, ...(def ? { name: def.name } : {}) }
      if (reps.length === 0) {
        node.value = null
        fields.push(node)
        continue
      }
      const compNames = def ? COMPONENTS[def.dataType] : undefined
      const headerDelims = (seg.id === 'MSH' || seg.id === 'FHS' || seg.id === 'BHS') && f <= 2
      const repNodes = reps.map((rep, ri) => {
        const repPath = reps.length > 1 ? `${path}(${ri + 1})` : path
        const comps = headerDelims ? [rep[0] ?? ['']] : rep
        if (comps.length === 1 && (comps[0]?.length ?? 0) <= 1) {
          return { path: repPath, label: repPath, ...shown(comps[0]?.[0] ?? '', repPath, opts) } as SampleNode
        }
        const children: SampleNode[] = []
        comps.forEach((subs, ci) => {
          if (subs.every((s) => s === '') || !budget.take()) return
          const cPath = `${repPath}.${ci + 1}`
          const cName = compNames?.[ci]
          if (subs.length > 1) {
            children.push({
              path: cPath,
              label: cPath,
              ...(cName ? { name: cName } : {}),
              ...shown(subs[0] ?? '', cPath, opts),
              children: subs.flatMap((s, si) => (s === '' ? [] : [{ path: `${cPath}.${si + 1}`, label: `${cPath}.${si + 1}`, ...shown(s, `${cPath}.${si + 1}`, opts) }])),
            })
          } else {
            children.push({ path: cPath, label: cPath, ...(cName ? { name: cName } : {}), ...shown(subs[0] ?? '', cPath, opts) })
          }
        })
        return { path: repPath, label: repPath, ...shown(comps[0]?.[0] ?? '', repPath, opts), children } as SampleNode
      })
      if (repNodes.length === 1) Object.assign(node, repNodes[0], { path, label: path, ...(def ? { name: def.name } : {}) })
      else {
        Object.assign(node, shown(reps[0]?.[0]?.[0] ?? '', path, opts))
        node.children = repNodes
      }
      fields.push(node)
    }
    out.push({ path: null, label: segLabel, name: HL7_SEGMENT_NAMES[seg.id] ?? (seg.id.startsWith('Z') ? 'Custom (Z) segment' : seg.id), children: fields })
  }
  return out
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

function join(prefix: string, key: string, opts: TreeOptions): string {
  const k = opts.fhirPath ? fhirIdentifier(key) : key
  return prefix ? `${prefix}.${k}` : k
}

const FILTER_KEYS = ['url', 'system', 'use', 'type'] as const

/**
 * FHIR lists are addressed by meaning, not position, when the element says what it is:
 * `telecom.where(system='phone' and use='mobile')`, `extension.where(url='…')`,
 * `name.where(use='official')`. Falls back to the index when that would not be unique.
 */
function fhirElementPath(prefix: string, arr: unknown[], i: number): string {
  const el = arr[i]
  if (!isObj(el)) return `${prefix}[${i}]`
  const keys = FILTER_KEYS.filter((k) => typeof el[k] === 'string')
  if (keys.length === 0) return `${prefix}[${i}]`
  const chosen: string[] = keys.includes('url') ? ['url'] : keys.filter((k) => k !== 'type' || keys.length === 1)
  const same = arr.filter((o) => isObj(o) && chosen.every((k) => o[k] === el[k])).length
  if (same !== 1) return `${prefix}[${i}]`
  const cond = chosen.map((k) => `${k}='${String(el[k]).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(' and ')
  return `${prefix}.where(${cond})`
}

function scalarText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v)
}

function jsonChildren(value: unknown, prefix: string, opts: TreeOptions, budget: Budget, depth: number): SampleNode[] {
  if (depth > MAX_DEPTH) return []
  if (Array.isArray(value)) {
    return value.flatMap((el, i) => {
      if (!budget.take()) return []
      const p = opts.fhirPath ? fhirElementPath(prefix, value, i) : `${prefix}.${i}`
      // A FHIR element picked by meaning says so: "[1] phone mobile".
      const what = p.endsWith(')') && isObj(el) ? FILTER_KEYS.filter((k) => typeof el[k] === 'string' && k !== 'url').map((k) => String(el[k])) : []
      return [nodeFor(el, p, what.length ? `[${i}] ${what.join(' ')}` : `[${i}]`, opts, budget, depth)]
    })
  }
  if (isObj(value)) {
    return Object.entries(value).flatMap(([k, v]) => {
      if (!budget.take()) return []
      return [nodeFor(v, join(prefix, k, opts), k, opts, budget, depth)]
    })
  }
  return []
}

function nodeFor(v: unknown, path: string, label: string, opts: TreeOptions, budget: Budget, depth: number): SampleNode {
  if (Array.isArray(v) || isObj(v)) {
    const node: SampleNode = { path, label, children: jsonChildren(v, path, opts, budget, depth + 1) }
    if (Array.isArray(v) && v.every((x) => !Array.isArray(x) && !isObj(x))) Object.assign(node, shown(v.map(scalarText).join(', '), path, opts))
    return node
  }
  return { path, label, ...(v === null ? { value: null } : shown(scalarText(v), path, opts)) }
}
