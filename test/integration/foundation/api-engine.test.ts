/**
 * The API on a real engine: system.status tells the truth about the store, engine errors cross the
 * dispatcher with their code / retryable / details intact, and events reach listeners (a throwing
 * listener never breaks the call that emitted them).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import type { SecretStore } from '../../../electron/engine/secrets/secret-store'
import { fileStoreFor, openTestEngine, tempDir, type TestEngine } from './support/harness'

let t: TestEngine | null = null
afterEach(async () => {
  await t?.stop()
  t = null
})

interface Status {
  mode: string
  dataDir: string
  operator: string
  database: { file: string; encrypted: boolean; schemaVersion: number; sizeBytes: number }
  secretStore: { kind: string; location: string; warning?: string }
  engines: { name: string; state: string }[]
}

describe('system.status', () => {
  it('reports the data folder, the encrypted database with the schema version actually applied, and the secret store', async () => {
    t = await openTestEngine()
    const s = await t.call<Status>('system.status')
    expect(s.mode).toBe('headless')
    expect(s.dataDir).toBe(t.dataDir)
    expect(s.operator).toBe('tester@test-host')
    expect(s.database.file).toBe(t.dbFile)
    expect(s.database.encrypted).toBe(true)
    expect(s.database.sizeBytes).toBeGreaterThan(0)
    const applied = (t.engine.ctx.db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number }).v
    expect(s.database.schemaVersion).toBe(applied)
    expect(s.secretStore).toEqual({ kind: 'file', location: 'test file store' })
    expect(s.engines).toContainEqual({ name: 'pipeline', state: 'running' })
  })
})

describe('engine errors through the dispatcher', () => {
  it('keep their code, retryable flag and details', async () => {
    t = await openTestEngine()
    const nf = await t.callRaw('practices.get', { id: 'missing' })
    expect(nf).toEqual({ ok: false, error: { code: 'not_found', message: 'Practice "missing" does not exist.', retryable: false } })

    await t.call('practices.create', { id: 'twice', name: 'Twice' })
    const dup = await t.callRaw('practices.create', { id: 'twice', name: 'Again' })
    expect(dup).toMatchObject({ ok: false, error: { code: 'conflict', retryable: false, details: { issues: [{ path: 'id', message: 'already exists' }] } } })

    const c = await t.call<{ id: string }>('connections.create', { practiceId: 'twice', kind: 'athena-rest', name: 'a', config: { environment: 'preview' } })
    const kind = await t.callRaw('connections.update', { id: c.id, kind: 'hl7-inbound', name: 'a', config: { port: 0 } })
    expect(kind).toMatchObject({ ok: false, error: { code: 'invalid_input', details: { issues: [{ path: 'kind' }] } } })
    const field = await t.callRaw('connections.setSecret', { id: c.id, field: 'password', value: 'x' })
    expect(field).toMatchObject({ ok: false, error: { code: 'invalid_input', details: { issues: [{ path: 'field' }] } } })

    const sandbox = await t.callRaw('practices.delete', { id: 'sandbox', confirm: 'sandbox' })
    expect(sandbox).toMatchObject({ ok: false, error: { code: 'forbidden', retryable: false } })
  })

  it('a secret store outage surfaces as secret_store_unavailable, retryable', async () => {
    const dataDir = tempDir()
    const real = fileStoreFor(dataDir)
    let down = false
    const flaky: SecretStore = {
      kind: real.kind,
      location: real.location,
      get: (n) => real.get(n),
      delete: (n) => real.delete(n),
      set: async (n, v) => {
        if (down) throw new AppError('secret_store_unavailable', 'The OS keychain is locked.', { retryable: true })
        return real.set(n, v)
      },
    }
    t = await openTestEngine({ dataDir, store: flaky })
    await t.call('practices.create', { id: 'kc', name: 'Keychain' })
    const c = await t.call<{ id: string }>('connections.create', { practiceId: 'kc', kind: 'athena-rest', name: 'a', config: { environment: 'preview' } })
    down = true
    const r = await t.callRaw('connections.setSecret', { id: c.id, field: 'client_secret', value: 'x' })
    expect(r).toEqual({ ok: false, error: { code: 'secret_store_unavailable', message: 'The OS keychain is locked.', retryable: true } })
    // The failed change was not audited as done.
    expect(t.engine.ctx.audit.list({ action: 'connection.secret.set' })).toEqual([])
  })
})

describe('events', () => {
  it('API changes emit events; a throwing listener does not break the call', async () => {
    t = await openTestEngine()
    const seen: [string, unknown][] = []
    t.engine.ctx.events.onAny(() => {
      throw new Error('broken listener')
    })
    const off = t.engine.ctx.events.onAny((name, payload) => seen.push([name, payload]))
    await t.call('practices.create', { id: 'evt', name: 'Events' })
    const c = await t.call<{ id: string }>('connections.create', { practiceId: 'evt', kind: 'athena-rest', name: 'a', config: { environment: 'preview' } })
    expect(seen).toContainEqual(['practices.changed', { id: 'evt' }])
    expect(seen).toContainEqual(['connections.changed', { practiceId: 'evt', id: c.id }])
    expect(seen.filter(([n]) => n === 'audit.appended').length).toBeGreaterThanOrEqual(2)
    off()
    const n = seen.length
    await t.call('practices.update', { id: 'evt', name: 'Events 2' })
    expect(seen.length).toBe(n)
  })
})
