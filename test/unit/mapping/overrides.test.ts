import { describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import type { MappingOverride } from '../../../shared/mapping'
import { applyOverride } from '../../../electron/engine/mapping/apply-override'
import { getDefaultMappingSet } from '../../../electron/engine/mapping/default-sets'
import { evaluateMapping } from '../../../electron/engine/mapping/evaluate-mapping'
import { jsonAccessor } from '../../../electron/engine/mapping/json-accessor'
import { baseCtx } from './helpers'

const base = getDefaultMappingSet('athena.patient.in')!

describe('applyOverride', () => {
  it('no override: everything inherited', () => {
    const { set, provenance } = applyOverride(base, { baseKey: base.key })
    expect(set).toEqual(base)
    expect(Object.values(provenance).every((p) => p === 'inherited')).toBe(true)
    expect(provenance['codeMap:athena_sex']).toBe('inherited')
  })

  it('replaces rows in place, adds new rows at the end, removes rows', () => {
    const override: MappingOverride = {
      baseKey: base.key,
      fields: [
        { id: 'first_name', target: 'first_name', source: 'firstname', transforms: [{ op: 'trim' }, { op: 'title_case' }] },
        { id: 'mrn', target: 'mrn', source: 'localpatientid', transforms: [{ op: 'to_string' }] },
      ],
      removeFields: ['marital_status'],
    }
    const { set, provenance } = applyOverride(base, override)
    const ids = set.fields.map((f) => f.id)
    expect(ids.indexOf('first_name')).toBe(base.fields.findIndex((f) => f.id === 'first_name'))
    expect(ids.at(-1)).toBe('mrn')
    expect(ids).not.toContain('marital_status')
    expect(provenance).toMatchObject({ first_name: 'overridden', mrn: 'added', marital_status: 'removed', last_name: 'inherited' })

    const r = evaluateMapping(set, jsonAccessor({ patientid: '1', firstname: 'ANA', lastname: 'R', localpatientid: 77, maritalstatus: 'M' }), baseCtx)
    expect(r.output).toMatchObject({ first_name: 'Ana', mrn: '77' })
    expect(r.output).not.toHaveProperty('marital_status')
  })

  it('a replacement identical to the base row stays inherited', () => {
    const same = structuredClone(base.fields.find((f) => f.id === 'email')!)
    expect(applyOverride(base, { baseKey: base.key, fields: [same] }).provenance['email']).toBe('inherited')
  })

  it('per-practice code-map entries win over shipped ones; entries can be added and removed; default replaced', () => {
    const { set, provenance, codeMapEntries } = applyOverride(base, {
      baseKey: base.key,
      codeMaps: [
        {
          name: 'athena_sex',
          entries: [
            { from: 'n', to: 'O', note: 'this practice records non-disclosure as other' },
            { from: 'X', to: 'O' },
          ],
          removeEntries: ['o'],
          default: 'O',
        },
      ],
    })
    const sex = set.codeMaps.find((m) => m.name === 'athena_sex')!
    expect(sex.default).toBe('O')
    expect(sex.entries.map((e) => `${e.from}>${e.to}`)).toEqual(['M>M', 'F>F', 'U>U', 'n>O', 'X>O'])
    expect(provenance['codeMap:athena_sex']).toBe('overridden')
    expect(codeMapEntries['athena_sex']).toEqual({ M: 'inherited', F: 'inherited', O: 'removed', U: 'inherited', n: 'overridden', X: 'added' })
    expect(codeMapEntries['cdc_race']?.['2106-3']).toBe('inherited')

    const r = evaluateMapping(set, jsonAccessor({ sex: 'N' }), baseCtx)
    expect(r.output['gender']).toBe('O')
  })

  it('clears a default with null and changes onMiss', () => {
    const { set } = applyOverride(base, { baseKey: base.key, codeMaps: [{ name: 'athena_sex', default: null, onMiss: 'error' }] })
    const sex = set.codeMaps.find((m) => m.name === 'athena_sex')!
    expect(sex).not.toHaveProperty('default')
    expect(sex.onMiss).toBe('error')
  })

  it('adds a practice-only code map and custom field', () => {
    const { set, provenance, codeMapEntries } = applyOverride(base, {
      baseKey: base.key,
      codeMaps: [{ name: 'colors', entries: [{ from: 'R', to: 'red' }], onMiss: 'passthrough' }],
      customFields: [{ key: 'favourite_color', label: 'Favourite colour', type: 'string' }],
      fields: [{ id: 'color', target: 'custom.favourite_color', source: 'color', transforms: [{ op: 'code_map', map: 'colors' }] }],
    })
    expect(provenance['codeMap:colors']).toBe('added')
    expect(codeMapEntries['colors']).toEqual({ R: 'added' })
    expect(evaluateMapping(set, jsonAccessor({ color: 'R' }), baseCtx).output).toMatchObject({ custom: { favourite_color: 'red' } })
  })

  it('adds practice tests and replaces a shipped test with the same name', () => {
    const name = base.tests[0]!.name
    const { set } = applyOverride(base, {
      baseKey: base.key,
      tests: [
        { name, input: { kind: 'json', value: {} }, expected: {} },
        { name: 'practice test', input: { kind: 'json', value: {} }, expected: {} },
      ],
    })
    expect(set.tests.filter((t) => t.name === name)).toHaveLength(1)
    expect(set.tests.at(-1)?.name).toBe('practice test')
  })

  it('rejects an override for another set, an invalid override, and contradictions', () => {
    expect(() => applyOverride(base, { baseKey: 'athena.appointment.in' })).toThrow(AppError)
    expect(() => applyOverride(base, { baseKey: base.key, fields: [{ id: 'x', target: '__proto__.x', transforms: [] }] } as MappingOverride)).toThrow(/not valid/)
    expect(() => applyOverride(base, { baseKey: base.key, fields: [base.fields[0]!], removeFields: [base.fields[0]!.id] })).toThrow(/both/)
    try {
      applyOverride(base, { baseKey: base.key, codeMaps: [{ name: 'athena_sex', entries: [{ from: 'q', to: 'U' }, { from: 'q', to: 'M' }] }] })
      expect.unreachable()
    } catch (e) {
      expect(e).toMatchObject({ code: 'config_invalid' })
    }
  })
})
