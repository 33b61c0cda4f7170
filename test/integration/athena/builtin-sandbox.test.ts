/**
 * The built-in sandbox practice works with no credentials: on first run it gets an `athena`
 * connection to the in-process sandbox (secret in the secret store, audited as system), the
 * sandbox listens on 127.0.0.1 while a connection needs it, and the connectivity test, a sync and
 * the mapping studio's `sandbox` sample source work against it. Also migration 0030.
 */
import { describe, expect, it } from 'vitest'
import { createAthenaModule } from '../../../electron/engine/connectors/athena'
import { checksum, MIGRATIONS } from '../../../electron/engine/store/migrations'
import { openTestEngine, tempDir, waitFor } from '../foundation/support/harness'

const module = () => createAthenaModule({ sandbox: { patientCount: 60 } })

describe('built-in sandbox practice', () => {
  it('seeds its connection once, runs the sandbox while it is needed, and works end to end', async () => {
    const dataDir = tempDir()
    let t = await openTestEngine({ dataDir, modules: [module()] })
    try {
      const conns = await t.call<any[]>('connections.list', { practiceId: 'sandbox' })
      expect(conns).toHaveLength(1)
      expect(conns[0]).toMatchObject({ id: 'sandbox-athena', name: 'athena', kind: 'athena-rest', enabled: true, secrets: { client_secret: true }, config: { environment: 'sandbox', clientId: 'sandbox-client', baseUrl: null } })
      const listeners = t.engine.ctx.listeners().filter((l) => l.kind === 'athena-sandbox')
      expect(listeners).toEqual([expect.objectContaining({ practiceId: 'sandbox', host: '127.0.0.1', state: 'listening' })])
      expect(listeners[0]!.port).toBeGreaterThan(0)
      const audit = await t.call<any[]>('audit.list', { practiceId: 'sandbox' })
      expect(audit.filter((e) => e.actor === 'system').map((e) => e.action)).toEqual(expect.arrayContaining(['connection.create', 'connection.secret.set']))

      const test = await t.call<any>('connections.test', { id: 'sandbox-athena' })
      expect(test.ok).toBe(true)
      expect(test.steps.map((s: any) => s.step)).toEqual(['dns', 'tls', 'token', 'ping'])
      expect(test.steps[1].detail).toBe('not applicable: http (local sandbox)')
      for (const s of test.steps) expect(typeof s.durationMs).toBe('number')

      const all = await t.call<any[]>('connections.testAll', { practiceId: 'sandbox' })
      expect(all[0].ok).toBe(true)

      const sync = await t.call<any>('athena.sync', { practiceId: 'sandbox', what: 'patients', mode: 'full', wait: true })
      expect(sync).toMatchObject({ status: 'done', records: 60 })
      // The shipped race and ethnicity maps cover the whole CDC code set: the sandbox's own
      // patients (detailed codes such as 2108-9 European) leave nothing in the unmapped-codes worklist.
      const misses = await t.call<{ mapName: string; value: string }[]>('mappings.misses', { practiceId: 'sandbox' })
      expect(misses.filter((m) => /race|ethnic/.test(m.mapName))).toEqual([])
      const patients = t.engine.ctx.records.list('sandbox', 'patient', 0, 100)
      const omb = new Set(['1002-5', '2028-9', '2054-5', '2076-8', '2106-3', '2131-1', 'declined'])
      expect(patients.filter((p) => p.data.race !== undefined).every((p) => omb.has(String(p.data.race)))).toBe(true)
      expect(patients.some((p) => p.data.race !== undefined)).toBe(true)

      // The mapping studio can take live sandbox records as samples.
      const src = t.engine.ctx.mappings.sampleSource('sandbox')
      const items = await src.list('sandbox', {})
      expect(items.some((i) => i.id.startsWith('patient:'))).toBe(true)
      const sample = await src.load('sandbox', items[0]!.id)
      expect(JSON.parse(sample.text)).toHaveProperty(items[0]!.id.startsWith('patient:') ? 'patientid' : 'appointmentid')

      // Disabled: the sandbox stops; enabled again: it comes back.
      await t.call('connections.update', { id: 'sandbox-athena', kind: 'athena-rest', name: 'athena', enabled: false, config: conns[0].config })
      expect(t.engine.ctx.listeners().filter((l) => l.kind === 'athena-sandbox')).toEqual([])
      await t.call('connections.update', { id: 'sandbox-athena', kind: 'athena-rest', name: 'athena', enabled: true, config: conns[0].config })
      await waitFor(() => t.engine.ctx.listeners().some((l) => l.kind === 'athena-sandbox'), 'the sandbox to listen again')

      // Deleted by an operator: a restart does not bring it back.
      await t.call('connections.delete', { id: 'sandbox-athena' })
      await t.stop()
      t = await openTestEngine({ dataDir, modules: [module()] })
      expect(await t.call<any[]>('connections.list', { practiceId: 'sandbox' })).toEqual([])
      expect(t.engine.ctx.listeners().filter((l) => l.kind === 'athena-sandbox')).toEqual([])
    } finally {
      await t.stop()
    }
  })

  it('migration 0030 creates the athena tables and is recorded with its checksum', async () => {
    const t = await openTestEngine({ modules: [module()] })
    try {
      const db = t.engine.ctx.db
      const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'athena_%' ORDER BY name`).all() as { name: string }[]).map((r) => r.name)
      // The engine applies every migration; later ones add athena tables of their own (0050, 0180).
      expect(tables).toEqual(expect.arrayContaining(['athena_api_calls', 'athena_feed_reads', 'athena_outbound', 'athena_reference', 'athena_sync_state', 'athena_usage']))
      const m = MIGRATIONS.find((x) => x.version === 30)!
      const row = db.prepare('SELECT name, checksum FROM schema_migrations WHERE version = 30').get() as { name: string; checksum: string }
      expect(row).toEqual({ name: 'athena', checksum: checksum(m) })
      expect(() => db.prepare(`INSERT INTO athena_api_calls (at, practice_id, method, endpoint, path, outcome, latency_ms, attempt, request_id) VALUES (1, 'x', 'GET', '/', '/', 'bogus', 1, 1, 'r')`).run()).toThrow(/CHECK/)
    } finally {
      await t.stop()
    }
  })
})
