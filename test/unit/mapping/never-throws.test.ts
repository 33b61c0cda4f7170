/**
 * Whatever arrives from a peer, evaluation returns a result (field errors), never throws. Inputs
 * are random JSON from a seeded generator, so a failure reproduces with the printed seed.
 */
import { describe, expect, it } from 'vitest'
import { mappingResultSchema, type MappingSet } from '../../../shared/mapping'
import { loadDefaultMappingSets } from '../../../electron/engine/mapping/default-sets'
import { evaluateMapping } from '../../../electron/engine/mapping/evaluate-mapping'
import { csvRowAccessor, jsonAccessor } from '../../../electron/engine/mapping/json-accessor'
import type { MappingContext } from '../../../electron/engine/mapping/mapping-context'
import type { SourceAccessor } from '../../../electron/engine/mapping/source'
import { makeSet } from './helpers'
import { mulberry32 } from '../../support/prng'


const KEYS = [
  'patientid', 'firstname', 'lastname', 'dob', 'sex', 'race', 'ethnicitycode', 'homephone', 'mobilephone', 'zip', 'status',
  'departmentid', 'appointmentid', 'date', 'starttime', 'duration', 'appointmentstatus', 'appointmentnotes', 'text',
  'bookingnote', 'cancelreasonnoshow', 'timezonename', 'start_time', 'location_id', 'date_of_birth', 'gender', 'phone_home',
  'address', 'line1', 'external_id', 'v', '0', '__proto__', 'constructor', 'toString', '',
]
const STRINGS = [
  '', ' ', '06/03/2025', '6/8/1990', '02/30/2020', '6\\/8\\/1990', '19870618', '2025-11-02T06:30:00Z', '09:00', '25:99',
  '(555) 555-0100', '+16172531000', 'x', 'f', 'X', 'N', '2106-3', 'US/Eastern', 'Mars/Base', '-7', '15', 'NaN', '1e400',
  '\u0000', '😀', 'a'.repeat(2000), '<script>', '$1$2', '\\', 'true', '9:00 PM',
]

function randomJson(rnd: () => number, depth = 0): unknown {
  const r = rnd()
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T
  if (depth > 4 || r < 0.35) return pick(STRINGS)
  if (r < 0.45) return pick([0, -0, 1, -1, 15, 1.5, 1e21, -1e-7, Number.MAX_SAFE_INTEGER, NaN, Infinity, 19870618])
  if (r < 0.5) return pick([true, false, null])
  if (r < 0.55) return String.fromCharCode(...Array.from({ length: Math.floor(rnd() * 12) }, () => Math.floor(rnd() * 0xd7ff)))
  if (r < 0.75) return Array.from({ length: Math.floor(rnd() * 4) }, () => randomJson(rnd, depth + 1))
  const obj: Record<string, unknown> = {}
  for (let i = Math.floor(rnd() * 8); i > 0; i--) Object.defineProperty(obj, pick(KEYS), { value: randomJson(rnd, depth + 1), enumerable: true, writable: true, configurable: true })
  return obj
}

/** One row per transform op (and a few validations), all reading the same random document. */
const kitchenSink: MappingSet = makeSet(
  [
    { id: 'trim', target: 'a.trim', source: 'firstname', transforms: [{ op: 'trim' }, { op: 'upper' }, { op: 'lower' }, { op: 'title_case' }] },
    { id: 'str', target: 'a.str', source: 'patientid', transforms: [{ op: 'to_string' }, { op: 'substring', start: -3, length: 2 }] },
    { id: 'num', target: 'a.num', source: 'duration', transforms: [{ op: 'number', integer: true }] },
    { id: 're', target: 'a.re', source: ['homephone', 'mobilephone'], transforms: [{ op: 'regex_replace', pattern: '(\\d)(\\d)', replacement: '$2$1' }, { op: 'split', separator: '5', index: -1 }] },
    { id: 'cat', target: 'a.cat', source: ['bookingnote', 'appointmentnotes.text'], transforms: [{ op: 'concat', separator: '|' }] },
    { id: 'cat2', target: 'a.cat2', transforms: [{ op: 'concat', sources: ['address.line1', 'zip', 'race'], separator: ' ', keepEmpty: true }] },
    { id: 'const', target: 'a.const', transforms: [{ op: 'constant', value: 1 }, { op: 'default', value: 2 }] },
    { id: 'date', target: 'a.date', source: 'dob', transforms: [{ op: 'date', to: 'YYYY-MM-DD' }], validations: [{ rule: 'date', notFuture: true }] },
    { id: 'utc', target: 'a.utc', source: 'date', transforms: [{ op: 'datetime_utc', zone: { from: 'department', source: 'departmentid' }, timeSource: 'starttime' }, { op: 'add_minutes', source: 'duration', minutes: 5 }] },
    { id: 'utc2', target: 'a.utc2', source: 'date', transforms: [{ op: 'datetime_utc', zone: { from: 'field', source: 'timezonename' }, onUnknownZone: 'error' }] },
    { id: 'local', target: 'a.local', source: 'start_time', transforms: [{ op: 'datetime_local', zone: { from: 'department', source: 'location_id' }, format: 'HL7_OFFSET' }] },
    { id: 'phone', target: 'a.phone', source: 'homephone', transforms: [{ op: 'phone', defaultCountry: 'US', format: 'E164', invalid: 'keep' }], validations: [{ rule: 'e164' }] },
    { id: 'phone2', target: 'a.phone2', source: 'mobilephone', transforms: [{ op: 'phone', defaultCountry: 'GB', format: 'NATIONAL', validity: 'possible', invalid: 'error' }] },
    { id: 'code', target: 'a.code', source: 'sex', transforms: [{ op: 'code_map', map: 'm' }], validations: [{ rule: 'one_of', values: ['M', 'F'] }, { rule: 'max_length', max: 3 }] },
    {
      id: 'if',
      target: 'a.if',
      source: 'status',
      transforms: [
        {
          op: 'if',
          when: { test: 'matches', source: 'zip', pattern: '^\\d+$' },
          then: [{ op: 'if', when: { test: 'equals', value: 'x', caseInsensitive: true }, then: [{ op: 'upper' }], else: [{ op: 'trim' }] }],
          else: [{ op: 'if', when: { test: 'in', values: ['a', 1] }, then: [{ op: 'constant', value: null }] }, { op: 'if', when: { test: 'empty', negate: true }, then: [{ op: 'to_string' }] }],
        },
      ],
      validations: [{ rule: 'regex', pattern: '^[a-z]*$', flags: 'i' }, { rule: 'required' }],
    },
  ],
  { codeMaps: [{ name: 'm', entries: [{ from: 'M', to: 'M' }], onMiss: 'error', caseInsensitive: true }] },
)

const contexts: MappingContext[] = [
  { defaultTimeZone: 'America/New_York', lookupDepartmentTimeZone: (id) => (id === '1' ? 'US/Eastern' : undefined), now: () => 1_750_000_000_000 },
  { defaultTimeZone: 'Not/AZone', lookupDepartmentTimeZone: () => { throw new Error('lookup failed') } },
  { defaultTimeZone: 'UTC', lookupDepartmentTimeZone: () => 'garbage' as string, now: () => NaN },
]

function assertSound(set: MappingSet, accessor: SourceAccessor, ctx: MappingContext, seed: number): void {
  let result
  try {
    result = evaluateMapping(set, accessor, ctx)
  } catch (e) {
    throw new Error(`evaluateMapping threw for ${set.key} with seed ${seed}: ${String(e)}`)
  }
  expect(mappingResultSchema.safeParse(result).success).toBe(true)
  expect(result.ok).toBe(result.errors.length === 0)
  expect(result.fields).toHaveLength(set.fields.length)
  expect(() => JSON.stringify(result)).not.toThrow()
  expect(Object.getPrototypeOf(result.output)).toBe(Object.prototype)
}

describe('evaluation never throws on garbage input', () => {
  const sets = [...loadDefaultMappingSets(), kitchenSink]

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('random JSON documents, seed block %i', (block) => {
    for (let i = 0; i < 150; i++) {
      const seed = block * 10_000 + i
      const rnd = mulberry32(seed)
      const doc = randomJson(rnd)
      for (const set of sets) assertSound(set, jsonAccessor(doc), contexts[seed % contexts.length]!, seed)
    }
  })

  it('documents shaped like athena payloads with random values', () => {
    for (let seed = 0; seed < 400; seed++) {
      const rnd = mulberry32(seed)
      const doc = Object.fromEntries(KEYS.filter(() => rnd() < 0.7).map((k) => [k, randomJson(rnd, 3)]))
      for (const set of sets) assertSound(set, jsonAccessor(doc), contexts[seed % contexts.length]!, seed)
    }
  })

  it('CSV rows and accessors that return anything', () => {
    for (let seed = 0; seed < 200; seed++) {
      const rnd = mulberry32(seed)
      const cell = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))
      const row = Object.fromEntries(KEYS.map((k) => [k, cell(randomJson(rnd, 4))]))
      const wild: SourceAccessor = { get: () => randomJson(rnd), getAll: () => [randomJson(rnd), randomJson(rnd)] }
      for (const set of sets) {
        assertSound(set, csvRowAccessor(row), contexts[0]!, seed)
        assertSound(set, wild, contexts[seed % contexts.length]!, seed)
      }
    }
  })
})
