/**
 * Configuration export / import through the API on real engines: export → import into a fresh
 * engine reproduces the same export byte for byte (stable, diff-friendly key order), re-import is
 * idempotent, invalid documents change nothing, and secrets never travel with the configuration.
 */
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { openTestEngine, type TestEngine } from './support/harness'
import { positionOfNeedle } from './support/positions'

const BASIC = readFileSync('docs/examples/practice-basic.json', 'utf8')
const engines: TestEngine[] = []
const open = async () => {
  const t = await openTestEngine()
  engines.push(t)
  return t
}
afterEach(async () => {
  for (const t of engines.splice(0)) await t.stop()
})

interface ImportResult {
  ok: boolean
  issues: { line: number | null; column: number | null; path: string; message: string }[]
  applied: { practices: number; connections: number; mappingSets: number }
}
const exportOf = async (t: TestEngine, practiceIds?: string[]) => (await t.call<{ json: string }>('config.export', practiceIds ? { practiceIds } : {})).json

function keysSortedEverywhere(v: unknown, path = '$'): string[] {
  const bad: string[] = []
  if (Array.isArray(v)) v.forEach((x, i) => bad.push(...keysSortedEverywhere(x, `${path}[${i}]`)))
  else if (v && typeof v === 'object') {
    const keys = Object.keys(v)
    if (keys.join() !== [...keys].sort().join()) bad.push(path)
    for (const k of keys) bad.push(...keysSortedEverywhere((v as Record<string, unknown>)[k], `${path}.${k}`))
  }
  return bad
}

describe('configuration round trip', () => {
  it('export → import into a fresh engine → the same export', async () => {
    const a = await open()
    const imported = await a.call<ImportResult>('config.import', { json: BASIC })
    expect(imported).toEqual({ ok: true, issues: [], applied: { practices: 1, connections: 2, mappingSets: 0 } })
    // Something with non-default settings and a second practice, created through the API.
    await a.call('practices.create', { id: 'zeta-clinic', name: 'Zeta Clinic', environment: 'production', timeZone: 'America/Denver', settings: { unknownPatientRule: 'match', phoneCountry: 'CA' } })
    await a.call('connections.create', { practiceId: 'zeta-clinic', kind: 'hl7-outbound', name: 'siu-out', config: { port: 2575, host: '10.0.0.5', messageTypes: ['SIU^S12'] } })
    const exported = await exportOf(a)

    const b = await open()
    const r = await b.call<ImportResult>('config.import', { json: exported })
    expect(r.ok).toBe(true)
    expect(await exportOf(b)).toBe(exported)
    expect(await exportOf(a)).toBe(exported) // and exporting twice is stable
  })

  it('the export is diff-friendly: pretty-printed, stable key order, no ids, no timestamps', async () => {
    const a = await open()
    await a.call('config.import', { json: BASIC })
    const text = await exportOf(a)
    expect(text.endsWith('}\n')).toBe(true)
    expect(text.split('\n').length).toBeGreaterThan(40) // one value per line, not one long line
    const doc = JSON.parse(text) as { practices: Record<string, unknown>[] }
    expect(Object.keys(doc)).toEqual(['format', 'version', 'practices', 'system'])
    const p = doc.practices.find((x) => x.id === 'example-family-clinic')!
    expect(Object.keys(p)).toEqual(['id', 'name', 'athenaPracticeId', 'environment', 'timeZone', 'settings', 'connections', 'interfaces', 'mappingSets', 'fileJobs'])
    for (const list of ['connections', 'interfaces'] as const) {
      for (const c of p[list] as Record<string, unknown>[]) {
        expect(Object.keys(c)).toEqual(['kind', 'name', 'enabled', 'config'])
        expect(keysSortedEverywhere(c.config)).toEqual([])
      }
    }
    expect(keysSortedEverywhere(p.settings)).toEqual([])
    expect(text).not.toMatch(/"(createdAt|updatedAt|builtin)"/)
    const connIds = (await a.call<{ id: string }[]>('connections.list', { practiceId: 'example-family-clinic' })).map((c) => c.id)
    for (const id of connIds) expect(text).not.toContain(id)
  })

  it('the key order does not depend on how the configuration was entered', async () => {
    const a = await open()
    const b = await open()
    await a.call('practices.create', { id: 'order', name: 'Order' })
    await b.call('practices.create', { id: 'order', name: 'Order' })
    await a.call('connections.create', { practiceId: 'order', kind: 'hl7-inbound', name: 'in', config: { port: 0, host: '127.0.0.1', ackMode: 'application', allowedPeers: ['127.0.0.1'] } })
    await b.call('connections.create', { practiceId: 'order', kind: 'hl7-inbound', name: 'in', config: { allowedPeers: ['127.0.0.1'], ackMode: 'application', host: '127.0.0.1', port: 0 } })
    expect(await exportOf(a, ['order'])).toBe(await exportOf(b, ['order']))
  })

  it('re-importing the same document is idempotent (upsert by id and by name)', async () => {
    const a = await open()
    await a.call('config.import', { json: BASIC })
    const first = await exportOf(a)
    const conns = await a.call<{ id: string }[]>('connections.list', { practiceId: 'example-family-clinic' })
    const again = await a.call<ImportResult>('config.import', { json: first })
    expect(again.ok).toBe(true)
    expect(await exportOf(a)).toBe(first)
    expect((await a.call<{ id: string }[]>('connections.list', { practiceId: 'example-family-clinic' })).map((c) => c.id).sort()).toEqual(conns.map((c) => c.id).sort())
  })

  it('secrets are not part of the configuration', async () => {
    const a = await open()
    await a.call('config.import', { json: BASIC })
    const [athena] = (await a.call<{ id: string; kind: string }[]>('connections.list', { practiceId: 'example-family-clinic' })).filter((c) => c.kind === 'athena-rest')
    await a.call('connections.setSecret', { id: athena.id, field: 'client_secret', value: 'CONFIG-SECRET-CANARY-31' })
    const text = await exportOf(a)
    expect(text).not.toContain('CONFIG-SECRET-CANARY-31')
    const b = await open()
    await b.call('config.import', { json: text })
    const [copy] = (await b.call<{ kind: string; secrets: Record<string, boolean> }[]>('connections.list', { practiceId: 'example-family-clinic' })).filter((c) => c.kind === 'athena-rest')
    expect(copy.secrets).toEqual({ client_secret: false })
  })

  it('an invalid document (or a dry run) changes nothing', async () => {
    const a = await open()
    const before = await exportOf(a)
    const auditBefore = a.engine.ctx.audit.list({ limit: 1000 }).length
    // The first practice is fine; the second is not: nothing at all is applied.
    const mixed = JSON.stringify({ format: 'practice-studio-config', version: 1, practices: [{ id: 'fine', name: 'Fine' }, { id: 'Not OK', name: 'Bad' }] }, null, 2)
    const r = await a.call<ImportResult>('config.import', { json: mixed })
    expect(r.ok).toBe(false)
    expect(r.issues.map((i) => i.path)).toEqual(['practices[1].id'])
    expect(r.issues[0]).toMatchObject(positionOfNeedle(mixed, '"Not OK"'))
    const invalid = await a.call<ImportResult>('config.import', { json: readFileSync('docs/examples/invalid-config.json', 'utf8') })
    expect(invalid.ok).toBe(false)
    expect(invalid.issues).toHaveLength(3)
    const dry = await a.call<ImportResult>('config.import', { json: BASIC, dryRun: true })
    expect(dry).toEqual({ ok: true, issues: [], applied: { practices: 0, connections: 0, mappingSets: 0 } })
    expect(await exportOf(a)).toBe(before)
    expect(a.engine.ctx.audit.list({ limit: 1000 }).length).toBe(auditBefore + 1) // only the export itself was audited
  })
})
