import { describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import type { MappingSet, MappingTest } from '../../../shared/mapping'
import { jsonAccessor } from '../../../electron/engine/mapping/json-accessor'
import { runMappingTests } from '../../../electron/engine/mapping/run-mapping-tests'
import { baseCtx, makeSet } from './helpers'

const set: MappingSet = makeSet(
  [
    { id: 'fn', target: 'first_name', source: 'First Name', transforms: [{ op: 'trim' }] },
    { id: 'city', target: 'address.city', source: 'City', transforms: [{ op: 'upper' }] },
    { id: 'dob', target: 'date_of_birth', source: 'DOB', transforms: [{ op: 'date', to: 'YYYY-MM-DD' }], validations: [{ rule: 'date', notFuture: true }] },
    {
      id: 'start',
      target: 'custom.start',
      source: 'day',
      transforms: [{ op: 'datetime_utc', zone: { from: 'department', source: 'dept' }, timeSource: 'time' }],
    },
  ],
  { format: 'csv', direction: 'inbound', customFields: [{ key: 'start', label: 'Start', type: 'string' }] },
)

describe('runMappingTests', () => {
  it('passes per field with expected vs actual', () => {
    const t: MappingTest = { name: 'ok', input: { kind: 'json', value: { 'First Name': ' Ana ', City: 'boston' } }, expected: { first_name: 'Ana', address: { city: 'BOSTON' }, last_name: null } }
    const [r] = runMappingTests(set, [t], baseCtx)
    expect(r).toMatchObject({ name: 'ok', passed: true, unexpectedErrors: [], missingErrors: [] })
    expect(r?.fields).toEqual([
      { fieldId: 'fn', target: 'first_name', expected: 'Ana', actual: 'Ana', passed: true },
      { fieldId: 'city', target: 'address.city', expected: 'BOSTON', actual: 'BOSTON', passed: true },
      { target: 'last_name', expected: null, actual: null, passed: true },
    ])
  })

  it('fails on a wrong value, an unexpected error, or an expected error that did not happen', () => {
    const tests: MappingTest[] = [
      { name: 'wrong', input: { kind: 'json', value: { 'First Name': 'Ana' } }, expected: { first_name: 'Anna' } },
      { name: 'error', input: { kind: 'json', value: { DOB: '99/99/1999' } }, expected: {} },
      { name: 'missing', input: { kind: 'json', value: { DOB: '01/01/1999' } }, expected: {}, expectErrors: [{ target: 'date_of_birth' }] },
      { name: 'expected error', input: { kind: 'json', value: { DOB: '99/99/1999' } }, expected: { date_of_birth: null }, expectErrors: [{ code: 'invalid_date' }] },
    ]
    const [wrong, error, missing, expectedError] = runMappingTests(set, tests, baseCtx)
    expect(wrong).toMatchObject({ passed: false, fields: [{ fieldId: 'fn', expected: 'Anna', actual: 'Ana', passed: false }] })
    expect(error).toMatchObject({ passed: false, unexpectedErrors: [expect.objectContaining({ fieldId: 'dob', code: 'invalid_date' })] })
    expect(missing).toMatchObject({ passed: false, missingErrors: [{ target: 'date_of_birth' }] })
    expect(expectedError?.passed).toBe(true)
  })

  it('uses the test context (department zones, now) over the caller context', () => {
    const value = { day: '06/03/2025', time: '09:00', dept: '5', DOB: '2025-06-10' }
    const t: MappingTest = {
      name: 'ctx',
      input: { kind: 'json', value },
      context: { departmentTimeZones: { '5': 'America/Los_Angeles' }, now: '2025-07-01T00:00:00Z' },
      expected: { custom: { start: '2025-06-03T16:00:00Z' }, date_of_birth: '2025-06-10' },
    }
    expect(runMappingTests(set, [t], { ...baseCtx, lookupDepartmentTimeZone: () => 'Asia/Tokyo' })[0]?.passed).toBe(true)
    expect(runMappingTests(set, [{ ...t, context: undefined }], baseCtx)[0]?.passed).toBe(false)
  })

  it('reads CSV and JSON text inputs; other text needs the format library', () => {
    const csv: MappingTest = { name: 'csv', input: { kind: 'text', format: 'csv', text: 'First Name,City\n"Rivera, Ana",salem\n' }, expected: { first_name: 'Rivera, Ana', address: { city: 'SALEM' } } }
    const json: MappingTest = { name: 'json', input: { kind: 'text', format: 'athena', text: '{"First Name":"Ana"}' }, expected: { first_name: 'Ana' } }
    const badJson: MappingTest = { name: 'bad json', input: { kind: 'text', format: 'fhir', text: '{' }, expected: {} }
    const hl7: MappingTest = { name: 'hl7', input: { kind: 'text', format: 'hl7', text: 'MSH|^~\\&|' }, expected: {} }
    const [c, j, b, h] = runMappingTests(set, [csv, json, badJson, hl7], baseCtx)
    expect(c?.passed).toBe(true)
    expect(j?.passed).toBe(true)
    expect(b).toMatchObject({ passed: false, inputError: 'test input is not valid JSON' })
    expect(h).toMatchObject({ passed: false, inputError: expect.stringContaining('hl7') })
  })

  it('a connector supplies its own accessor for its formats', () => {
    const hl7: MappingTest = { name: 'hl7', input: { kind: 'text', format: 'hl7', text: 'PID|||1||RIVERA^ANA' }, expected: { first_name: 'ANA' } }
    const fake = (input: MappingTest['input']) => {
      if (input.kind !== 'text') throw new AppError('unsupported_message', 'text only')
      return jsonAccessor({ 'First Name': input.text.split('|')[5]?.split('^')[1] })
    }
    expect(runMappingTests(set, [hl7], baseCtx, fake)[0]?.passed).toBe(true)
  })

  it('flat sets compare keys as written', () => {
    const flat = makeSet([{ id: 'p', target: 'PID-5.1', source: 'last_name', transforms: [] }], { output: 'flat' })
    const t: MappingTest = { name: 'flat', input: { kind: 'json', value: { last_name: 'Rivera' } }, expected: { 'PID-5.1': 'Rivera' } }
    expect(runMappingTests(flat, [t], baseCtx)[0]).toMatchObject({ passed: true, fields: [{ fieldId: 'p', target: 'PID-5.1' }] })
  })
})
