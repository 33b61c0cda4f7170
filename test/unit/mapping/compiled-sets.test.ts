/** A set is compiled once per set object, and again when its fields or code maps are replaced. */
import { describe, expect, it } from 'vitest'
import { compileMappingSet, evaluateMapping } from '../../../electron/engine/mapping/evaluate-mapping'
import { jsonAccessor } from '../../../electron/engine/mapping/json-accessor'
import { baseCtx, makeSet } from './helpers'

describe('compiled mapping sets', () => {
  it('reuses the compiled form for the same set and recompiles when its fields or code maps are replaced', () => {
    const set = makeSet([{ id: 'n', target: 'name', source: 'name', transforms: [{ op: 'upper' }] }])
    expect(compileMappingSet(set)).toBe(compileMappingSet(set))
    expect(evaluateMapping(set, jsonAccessor({ name: 'ada' }), baseCtx).output).toEqual({ name: 'ADA' })

    set.fields = [{ id: 'n', target: 'name', source: 'name', transforms: [{ op: 'code_map', map: 'm' }] }]
    expect(evaluateMapping(set, jsonAccessor({ name: 'ada' }), baseCtx).errors.map((e) => e.code)).toEqual(['unknown_code_map'])

    set.codeMaps = [{ name: 'm', entries: [{ from: 'ada', to: 'Ada L.' }], onMiss: 'error' }]
    expect(evaluateMapping(set, jsonAccessor({ name: 'ada' }), baseCtx).output).toEqual({ name: 'Ada L.' })
  })
})
