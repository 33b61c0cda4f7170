/**
 * Configuration documents (docs/CONFIG.md): every shipped example validates, and errors carry the
 * line and column of the offending value, for JSON syntax errors and schema errors alike. The
 * expected positions are computed from the text independently of the engine's JSON locator.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { validateConfig } from '../../../electron/engine/config/config-io'
import { JsonSyntaxError, parseJsonWithPositions } from '../../../electron/engine/config/json-locate'

const EXAMPLES = 'docs/examples'

function positionOfNeedle(text: string, needle: string, from = 0): { line: number; column: number } {
  const at = text.indexOf(needle, from)
  if (at < 0) throw new Error(`"${needle}" not found`)
  const before = text.slice(0, at)
  return { line: before.split('\n').length, column: at - (before.lastIndexOf('\n') + 1) + 1 }
}

const doc = (practices: unknown[]) => JSON.stringify({ format: 'practice-studio-config', version: 1, practices }, null, 2)

describe('docs/examples', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'))
  const valid = files.filter((f) => !f.startsWith('invalid-'))

  it('has the basic example and the deliberately invalid one', () => {
    expect(valid).toContain('practice-basic.json')
    expect(files).toContain('invalid-config.json')
  })

  it.each(valid)('%s validates', (f) => {
    const r = validateConfig(readFileSync(join(EXAMPLES, f), 'utf8'))
    expect(r.issues).toEqual([])
    expect(r.doc).not.toBeNull()
  })

  it('practice-fhir.json: an athenaNet connection and a FHIR connection with its webhook behind a public HTTPS URL', () => {
    const r = validateConfig(readFileSync(join(EXAMPLES, 'practice-fhir.json'), 'utf8'))
    expect(r.issues).toEqual([])
    const p = r.doc!.practices[0]
    expect(p.connections).toMatchObject([{ kind: 'athena-rest' }, { kind: 'fhir-r4', config: { preset: 'preview', webhook: { enabled: true, host: '127.0.0.1' } } }])
  })

  it('refuses a FHIR webhook listening on a network address without TLS', () => {
    const text = readFileSync(join(EXAMPLES, 'practice-fhir.json'), 'utf8').replace('"host": "127.0.0.1"', '"host": "0.0.0.0"')
    const r = validateConfig(text)
    expect(r.issues.map((i) => i.path)).toContain('practices[0].connections[1].config.webhook.host')
  })

  it('practice-basic.json: one preview practice with an athena-rest connection and a loopback hl7-inbound interface on port 0', () => {
    const r = validateConfig(readFileSync(join(EXAMPLES, 'practice-basic.json'), 'utf8'))
    expect(r.doc!.practices).toHaveLength(1)
    const p = r.doc!.practices[0]
    expect(p.connections).toMatchObject([{ kind: 'athena-rest', config: { environment: 'preview' } }])
    expect(p.interfaces).toMatchObject([{ kind: 'hl7-inbound', config: { host: '127.0.0.1', port: 0 } }])
  })

  it('invalid-config.json: every problem, each at the line and column of its value', () => {
    const text = readFileSync(join(EXAMPLES, 'invalid-config.json'), 'utf8')
    const r = validateConfig(text)
    expect(r.doc).toBeNull()
    const byPath = new Map(r.issues.map((i) => [i.path, i]))
    expect([...byPath.keys()].sort()).toEqual(['practices[0].connections[0].config.environment', 'practices[0].id', 'practices[0].interfaces[0].config.port'])
    expect(byPath.get('practices[0].id')).toMatchObject({ ...positionOfNeedle(text, '"Not A Slug"'), message: expect.stringMatching(/lowercase letters, digits and hyphens/) })
    expect(byPath.get('practices[0].connections[0].config.environment')).toMatchObject(positionOfNeedle(text, '"staging"'))
    expect(byPath.get('practices[0].interfaces[0].config.port')).toMatchObject(positionOfNeedle(text, '70000'))
  })
})

describe('JSON syntax errors point at the right place', () => {
  const cases: { name: string; text: string; at: string | { line: number; column: number }; message: RegExp }[] = [
    { name: 'missing comma', text: '{\n  "format": "practice-studio-config",\n  "version": 1\n  "practices": []\n}\n', at: { line: 4, column: 3 }, message: /Expected ',' or '}'/ },
    { name: 'trailing comma', text: '{\n  "format": "practice-studio-config",\n  "version": 1,\n  "practices": [],\n}\n', at: { line: 5, column: 1 }, message: /property name/ },
    { name: 'single quotes', text: "{\n  'format': 1\n}", at: { line: 2, column: 3 }, message: /property name in double quotes/ },
    { name: 'a comment', text: '{\n  "version": 1, // one\n  "practices": []\n}', at: '//', message: /property name/ },
    { name: 'unterminated string', text: '{\n  "format": "practice-studio-config\n}', at: { line: 2, column: 36 }, message: /Control character|Unterminated/ },
    { name: 'garbage after the document', text: '{"practices": []}\n\n  x', at: { line: 3, column: 3 }, message: /after the end/ },
    { name: 'bad literal', text: '{\n  "practices": [tru]\n}', at: { line: 2, column: 17 }, message: /Unexpected character 't'/ },
  ]
  it.each(cases)('$name', ({ text, at, message }) => {
    const r = validateConfig(text)
    expect(r.doc).toBeNull()
    expect(r.issues).toHaveLength(1)
    expect(r.issues[0]).toMatchObject({ ...(typeof at === 'string' ? positionOfNeedle(text, at) : at), path: '' })
    expect(r.issues[0].message).toMatch(message)
    expect(r.issues[0].message).toMatch(/at line \d+, column \d+$/)
  })

  it('the parser accepts exactly JSON and is position-correct with CRLF line endings and escapes', () => {
    const text = '{\r\n  "a": "x\\u00e9\\n",\r\n  "b": [1, -2.5e3, true, null]\r\n}'
    const { value, positions } = parseJsonWithPositions(text)
    expect(value).toEqual({ a: 'xé\n', b: [1, -2500, true, null] })
    expect(positions.get('a')).toEqual({ line: 2, column: 8 })
    expect(positions.get('b[1]')).toEqual({ line: 3, column: 12 })
    expect(() => parseJsonWithPositions('{"a": 01}')).toThrow(JsonSyntaxError)
    expect(() => parseJsonWithPositions('{"__proto__": {"polluted": true}}')).not.toThrow()
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('schema errors point at the right place', () => {
  it('a wrong value: the value itself', () => {
    const text = doc([{ id: 'ok-id', name: 'OK', environment: 'staging' }])
    const [issue] = validateConfig(text).issues
    expect(issue).toMatchObject({ path: 'practices[0].environment', ...positionOfNeedle(text, '"staging"') })
  })

  it('a missing field: the object that lacks it', () => {
    const text = doc([{ id: 'first', name: 'First' }, { id: 'second' }])
    const issues = validateConfig(text).issues
    expect(issues).toHaveLength(1)
    expect(issues[0].path).toBe('practices[1].name')
    // practices[1] starts at the "{" before "second".
    const braceBeforeSecond = text.lastIndexOf('{', text.indexOf('"second"'))
    const before = text.slice(0, braceBeforeSecond)
    expect(issues[0]).toMatchObject({ line: before.split('\n').length, column: braceBeforeSecond - (before.lastIndexOf('\n') + 1) + 1 })
  })

  it('cross-field rules: duplicate practice ids, duplicate names, interfaces in the wrong list', () => {
    const text = doc([
      { id: 'same', name: 'A' },
      {
        id: 'same',
        name: 'B',
        connections: [{ kind: 'hl7-inbound', name: 'in', config: { port: 0 } }],
        interfaces: [{ kind: 'hl7-inbound', name: 'in', config: { port: 2575 } }],
      },
    ])
    const issues = validateConfig(text).issues
    const byPath = new Map(issues.map((i) => [i.path, i]))
    expect(byPath.get('practices[1].id')).toMatchObject({ message: 'duplicate practice id "same"', ...positionOfNeedle(text, '"same"', text.indexOf('"same"') + 1) })
    expect(byPath.get('practices[1].connections[0].kind')).toMatchObject({ message: 'HL7 interfaces belong under "interfaces"', ...positionOfNeedle(text, '"hl7-inbound"') })
    expect(byPath.get('practices[1].interfaces[0].name')).toMatchObject({ message: 'duplicate name "in" in practice "same"' })
  })

  it('the wrong format or version is refused', () => {
    expect(validateConfig(JSON.stringify({ format: 'something-else', version: 1, practices: [] })).issues.map((i) => i.path)).toEqual(['format'])
    expect(validateConfig(JSON.stringify({ format: 'practice-studio-config', version: 2, practices: [] })).issues.map((i) => i.path)).toEqual(['version'])
  })
})
