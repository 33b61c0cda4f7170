/**
 * The mapping engine alone, per record, as the lanes run it: the HL7 patient set with its IN1/NK1
 * repeats (ADT^A04), the appointment set (SIU^S12), the observation set once per OBX (ORU^R01),
 * and the shipped CSV demographics set over an import's rows. Messages are parsed before the clock
 * starts; each record is a different patient. Prints process CPU µs per record (user + system), the
 * figure a shared machine distorts least.
 *
 *   npx tsx test/bench/mapping-engine.bench.ts [records] [rounds]
 */
import { parse } from 'csv-parse/sync'
import { parseHl7 } from '../../electron/engine/connectors/hl7/parser'
import { loadHl7MappingSets } from '../../electron/engine/connectors/hl7-engine/mappings'
import { childOccurrences, evaluateWithRepeats, scopedAccessor } from '../../electron/engine/connectors/hl7-engine/mapping-run'
import { csvRowAccessor, evaluateMapping, type MappingContext, type SourceAccessor } from '../../electron/engine/mapping'
import { sourcesOf } from '../../electron/engine/mapping/evaluate-mapping'
import type { MappingSet } from '../../shared/mapping'
import { adtMsg } from '../support/hl7-messages'
import { oruMsg, siuMsg } from '../integration/hl7/support'
import { csvFile, patientRow } from '../integration/files/support'
import { loadFilesMappingSets } from '../../electron/engine/connectors/files'

const N = Number(process.argv[2] ?? 5000)
const ROUNDS = Number(process.argv[3] ?? 3)

const sets = new Map(loadHl7MappingSets().map((s) => [s.key, s]))
const setOf = (key: string) => sets.get(key) ?? (() => { throw new Error(`no set ${key}`) })()
const ctx: MappingContext = { practiceId: 'bench', defaultTimeZone: 'America/Chicago', now: () => Date.parse('2026-06-01T12:00:00Z'), lookupDepartmentTimeZone: () => undefined }

const adt = Array.from({ length: N }, (_, n) => parseHl7(adtMsg({ control: `A${n}`, mrn: `MRN${n}`, last: `PATIENT${n}` })))
const siu = Array.from({ length: N }, (_, n) => parseHl7(siuMsg({ control: `S${n}`, trigger: 'S12', appt: `AP${n}`, mrn: `MRN${n}` })))
const oru = Array.from({ length: N }, (_, n) => parseHl7(oruMsg({ control: `O${n}`, mrn: `MRN${n}` })))
const rows = parse(csvFile(Array.from({ length: N }, (_, i) => patientRow(i))), { columns: true, bom: true }) as Record<string, string>[]
const csvSet = loadFilesMappingSets().find((s) => s.key === 'files.demographics.in') ?? (() => { throw new Error('no csv set') })()

const lanes: Record<string, () => number> = {
  'ADT^A04 patient (+IN1/NK1 repeats)': () => {
    let bad = 0
    const set = setOf('hl7.adt.patient.in')
    for (const msg of adt) if (!evaluateWithRepeats(set, msg, ctx, [{ array: 'insurance', segment: 'IN1' }, { array: 'contacts', segment: 'NK1' }]).result.ok) bad++
    return bad
  },
  'SIU^S12 appointment': () => {
    let bad = 0
    const set = setOf('hl7.siu.appointment.in')
    for (const msg of siu) if (!evaluateMapping(set, scopedAccessor(msg, {}), ctx).ok) bad++
    return bad
  },
  'ORU^R01 observations (4 OBX)': () => {
    let bad = 0
    const set = setOf('hl7.oru.observation.in')
    for (const msg of oru) {
      for (const o of childOccurrences(msg, 'OBX', 'OBR')) if (!evaluateMapping(set, scopedAccessor(msg, o.parent > 0 ? { OBX: o.index, OBR: o.parent } : { OBX: o.index }), ctx).ok) bad++
    }
    return bad
  },
  'CSV demographics row': () => {
    let bad = 0
    for (const row of rows) if (!evaluateMapping(csvSet, csvRowAccessor(row), ctx).ok) bad++
    return bad
  },
}

/** The baseline: every source path of the set read once per record, nothing else. */
const reads = (set: MappingSet, accessor: SourceAccessor): number => {
  let n = 0
  for (const f of set.fields) for (const p of sourcesOf(f)) if (accessor.get(p) !== undefined) n++
  return n
}
const bare: Record<string, () => number> = {
  'ADT^A04 patient (+IN1/NK1 repeats)': () => adt.reduce((n, msg) => n + reads(setOf('hl7.adt.patient.in'), scopedAccessor(msg, { IN1: 1, NK1: 1 })), 0),
  'SIU^S12 appointment': () => siu.reduce((n, msg) => n + reads(setOf('hl7.siu.appointment.in'), scopedAccessor(msg, {})), 0),
  'ORU^R01 observations (4 OBX)': () =>
    oru.reduce((n, msg) => n + childOccurrences(msg, 'OBX', 'OBR').reduce((k, o) => k + reads(setOf('hl7.oru.observation.in'), scopedAccessor(msg, { OBX: o.index, OBR: o.parent })), 0), 0),
  'CSV demographics row': () => rows.reduce((n, row) => n + reads(csvSet, csvRowAccessor(row)), 0),
}

const cpuPerRecord = (fn: () => number): number => {
  const c = process.cpuUsage()
  fn()
  const u = process.cpuUsage(c)
  return (u.user + u.system) / N
}

for (const name of Object.keys(lanes)) {
  lanes[name]!() // warm up
  bare[name]!()
}
console.log(`Mapping engine alone: ${N} records per lane, ${ROUNDS} rounds; CPU per record (baseline: the bare source reads of the same set)`)
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, run] of Object.entries(lanes)) {
    let bad = 0
    const engine = cpuPerRecord(() => (bad = run()))
    const floor = cpuPerRecord(bare[name]!)
    console.log(`  ${name.padEnd(38)} ${engine.toFixed(1).padStart(6)} µs   baseline ${floor.toFixed(1).padStart(5)} µs (${(engine / floor).toFixed(1)}×)${bad ? `  (${bad} not ok)` : ''}`)
  }
}
