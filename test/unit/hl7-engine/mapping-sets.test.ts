/**
 * The shipped HL7 mapping sets: valid, lint-clean, their embedded tests (samples derived from the
 * shared corpus) pass, and run against every real corpus file of their message types they never
 * throw and never put a source value into an error message (messages reach logs and the console).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import type { MappingSet, MappingTestInput } from '../../../shared/mapping'
import { hl7Accessor, parseHl7, type Hl7Message } from '../../../electron/engine/connectors/hl7'
import { loadHl7MappingSets } from '../../../electron/engine/connectors/hl7-engine/mappings'
import { childOccurrences, evaluateWithRepeats, scopedAccessor, segmentCount } from '../../../electron/engine/connectors/hl7-engine/mapping-run'
import { MAPPING_KEYS, supportedType } from '../../../electron/engine/connectors/hl7-engine/message-types'
import { evaluateMapping, jsonAccessor, lintMappingSet, runMappingTests, type AccessorFor, type MappingContext } from '../../../electron/engine/mapping'
import type { FieldIssue, MappingResult } from '../../../shared/mapping'
import { HL7_CORPUS } from '../../support/corpus-dir'

const CORPUS = HL7_CORPUS
const sets = loadHl7MappingSets()
const byKey = (k: string): MappingSet => sets.find((s) => s.key === k)!
const ctx: MappingContext = { defaultTimeZone: 'America/New_York', now: () => Date.parse('2026-06-01T00:00:00Z') }

const accessorFor: AccessorFor = (input: MappingTestInput) => {
  if (input.kind === 'json') return jsonAccessor(input.value)
  if (input.format === 'hl7') return hl7Accessor(parseHl7(input.text))
  throw new AppError('unsupported_message', 'no reader')
}

describe('shipped HL7 mapping sets', () => {
  it('are the seven documented sets', () => {
    expect(sets.map((s) => s.key).sort()).toEqual(['hl7.adt.patient.in', 'hl7.dft.financial.in', 'hl7.mdm.document.in', 'hl7.oru.observation.in', 'hl7.siu.appointment.in', 'hl7.siu.appointment.out', 'hl7.siu.patient.out'])
    expect(Object.values(MAPPING_KEYS).sort()).toEqual(sets.map((s) => s.key).sort())
  })

  it.each(sets.map((s) => [s.key, s] as const))('%s lints clean', (_k, set) => {
    expect(lintMappingSet(set)).toEqual([])
  })

  it.each(sets.map((s) => [s.key, s] as const))('%s passes its own tests', (_k, set) => {
    expect(set.tests.length).toBeGreaterThan(0)
    const results = runMappingTests(set, set.tests, ctx, accessorFor)
    for (const r of results) expect(r, r.name).toMatchObject({ passed: true })
  })

  it('the sex code map refuses unknown codes (so they land in the worklist) and the status map has a default', () => {
    const adt = byKey('hl7.adt.patient.in')
    expect(adt.codeMaps.find((m) => m.name === 'hl7_sex')).toMatchObject({ onMiss: 'error' })
    expect(byKey('hl7.siu.appointment.in').codeMaps[0]).toMatchObject({ onMiss: 'default', default: 'scheduled' })
  })
})

interface CorpusMessage {
  where: string
  msg: Hl7Message
}

function corpusMessages(): CorpusMessage[] {
  const out: CorpusMessage[] = []
  for (const folder of readdirSync(CORPUS).sort()) {
    const dir = join(CORPUS, folder)
    if (folder === '_invalid' || folder === 'BATCH' || !statSync(dir).isDirectory()) continue
    for (const name of readdirSync(dir).sort()) {
      if (!name.endsWith('.hl7')) continue
      try {
        out.push({ where: `${folder}/${name}`, msg: parseHl7(readFileSync(join(dir, name))) })
      } catch {
        /* the parser's own corpus tests cover files that do not parse */
      }
    }
  }
  return out
}

/** Every leaf value a message holds, so an error message can be checked not to quote any. */
function values(msg: Hl7Message): Set<string> {
  const out = new Set<string>()
  for (const seg of msg.toStructure()) for (const f of seg) for (const r of f) for (const c of r) for (const s of c) if (s.length >= 4) out.add(s)
  return out
}

function evaluateRoute(msg: Hl7Message): MappingResult[] {
  const t = supportedType(msg.code, msg.trigger)!
  const results: MappingResult[] = []
  {
    // Every route maps the PID: ADT for the patient itself, the others to create unknown patients.
    const { result, extra } = evaluateWithRepeats(byKey(MAPPING_KEYS.patient), msg, ctx, [
      { array: 'insurance', segment: 'IN1' },
      { array: 'contacts', segment: 'NK1' },
    ])
    results.push(result, ...extra)
  }
  if (t.route === 'siu') results.push(evaluateMapping(byKey(MAPPING_KEYS.appointment), scopedAccessor(msg, {}), ctx))
  if (t.route === 'mdm') results.push(evaluateMapping(byKey(MAPPING_KEYS.document), scopedAccessor(msg, {}), ctx))
  if (t.route === 'oru') for (const o of childOccurrences(msg, 'OBX', 'OBR')) results.push(evaluateMapping(byKey(MAPPING_KEYS.observation), scopedAccessor(msg, { OBX: o.index, ...(o.parent ? { OBR: o.parent } : {}) }), ctx))
  if (t.route === 'dft') for (let k = 1; k <= segmentCount(msg, 'FT1'); k++) results.push(evaluateMapping(byKey(MAPPING_KEYS.financial), scopedAccessor(msg, { FT1: k }), ctx))
  return results
}

describe('the sets against the real corpus', () => {
  const routed = corpusMessages().filter((c) => supportedType(c.msg.code, c.msg.trigger))

  it('covers every supported type that the corpus holds', () => {
    const types = new Set(routed.map((c) => c.msg.messageType))
    for (const t of ['ADT^A01', 'ADT^A04', 'ADT^A08', 'SIU^S12', 'SIU^S14', 'SIU^S15', 'ORU^R01', 'DFT^P03', 'MDM^T02']) expect(types).toContain(t)
  })

  it('never throws, and no error or warning message quotes a value of the message', () => {
    let evaluations = 0
    let ok = 0
    for (const { where, msg } of routed) {
      const vals = values(msg)
      for (const r of evaluateRoute(msg)) {
        evaluations++
        if (r.ok) ok++
        for (const issue of [...r.errors, ...r.warnings] as FieldIssue[]) {
          for (const v of vals) if (issue.message.includes(v)) throw new Error(`${where}: "${issue.message}" quotes a value of the message`)
        }
      }
    }
    expect(evaluations).toBeGreaterThan(routed.length)
    // Most real messages map cleanly; the rest are genuine data problems (impossible dates, sex "2", …).
    expect(ok / evaluations).toBeGreaterThan(0.8)
  })

  it('maps known corpus files to the values they hold', () => {
    const get = (where: string) => routed.find((c) => c.where === where)!.msg
    const a01 = evaluateWithRepeats(byKey(MAPPING_KEYS.patient), get('ADT_A01/rethinkhealth-hl7v2__adt-a01-full.hl7'), ctx, []).result
    expect(a01.output).toMatchObject({ mrn: '98765', last_name: 'SMITH', date_of_birth: '1975-03-15', gender: 'F', phone_home: '+12175559876', preferred_language: 'eng', ethnicity: '2135-2' })
    const siu = evaluateMapping(byKey(MAPPING_KEYS.appointment), scopedAccessor(get('SIU_S15/oie-engine__03.hl7'), {}), ctx)
    expect(siu.output).toMatchObject({ external_id: '2196178', status: 'cancelled', start_time: '2011-06-17T12:45:00Z' })
    const oru = get('ORU_R01/rethinkhealth-hl7v2__oru-r01-lab.hl7')
    const values5 = childOccurrences(oru, 'OBX', 'OBR').map((o) => evaluateMapping(byKey(MAPPING_KEYS.observation), scopedAccessor(oru, { OBX: o.index, OBR: o.parent }), ctx).output.value)
    expect(values5).toEqual([7.5, 4.8, 14.2, 42.1, 250])
    const mdmMsg = get('MDM_T02/ms-fhir-converter__MDM-T02-03.hl7')
    const mdm = evaluateMapping(byKey(MAPPING_KEYS.document), scopedAccessor(mdmMsg, {}), ctx)
    // One line per TX segment, in order.
    expect((mdm.output.content_text as string).split('\n')).toEqual(mdmMsg.getAll('OBX-5'))
    expect(mdm.output).toMatchObject({ document_type: 'DS', content_type: 'text/plain', authored_at: '2021-08-02T21:45:00Z' })
  })
})
