import { describe, expect, it } from 'vitest'
import { TRANSFORM_OPS, VALIDATION_RULES, transformSchema } from '../../../shared/mapping'
import { TRANSFORM_CATALOG, VALIDATION_CATALOG } from '../../../shared/transforms-catalog'
import { runOn } from './helpers'

describe('transforms catalog', () => {
  it('describes every transform op and every validation rule', () => {
    expect(Object.keys(TRANSFORM_CATALOG).sort()).toEqual([...TRANSFORM_OPS].sort())
    expect(Object.keys(VALIDATION_CATALOG).sort()).toEqual([...VALIDATION_RULES].sort())
  })

  it.each(TRANSFORM_OPS.map((op) => [op]))('%s: entry is complete and its params cover the example', (op) => {
    const entry = TRANSFORM_CATALOG[op]
    expect(entry.op).toBe(op)
    expect(entry.title.length).toBeGreaterThan(2)
    expect(entry.description.length).toBeGreaterThan(20)
    expect(entry.example.transform.op).toBe(op)
    expect(transformSchema.safeParse(entry.example.transform).success).toBe(true)
    const documented = new Set(entry.params.map((p) => p.name))
    for (const key of Object.keys(entry.example.transform)) if (key !== 'op') expect(documented, key).toContain(key)
  })

  it.each(TRANSFORM_OPS.map((op) => [op]))('%s: the worked example is what the engine does', (op) => {
    const ex = TRANSFORM_CATALOG[op].example
    const r = runOn(ex.input, [ex.transform], {
      ...(ex.source ? { source: ex.source } : {}),
      ...(ex.codeMap ? { codeMaps: [ex.codeMap] } : {}),
      ...(ex.departmentTimeZones ? { departmentTimeZones: ex.departmentTimeZones } : {}),
    })
    expect(r.error).toBeUndefined()
    expect(r.value).toEqual(ex.output)
  })
})
