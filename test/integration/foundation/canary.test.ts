/**
 * Canary scans (HIP-04, HIP-12, API-01, SUP-07). A client secret set through the real server's
 * HTTP API lives only in the secret store: not in the database or its WAL, not in any other file
 * of the data folder, not in the logs, not in any API response, not on stdout/stderr. PHI in a
 * received payload never reaches the logs, whatever the handler throws.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import { readInstall } from '../../../electron/engine/core/data-dir'
import { createFileStore } from '../../../electron/engine/secrets/file-store'
import { createKeychainStore } from '../../../electron/engine/secrets/keychain-store'
import type { ConnectorHandler } from '../../../electron/engine/pipeline/connector-handler'
import { startServe, tempDataDir, type ServeProcess } from '../../support/serve-process'
import { filesContaining, filesUnder, openTestEngine, tempDir, waitFor, type TestEngine } from './support/harness'
import { requireBuiltServer } from './support/serve'
import { createTestHandler, msg } from './support/test-handler'

beforeAll(() => requireBuiltServer())

const keyFile = join(tempDir('ps-key-'), 'master.key')
const masterKeyHex = randomBytes(32).toString('hex')
writeFileSync(keyFile, masterKeyHex + '\n', { mode: 0o600 })

describe.each([
  { mode: 'keychain', args: [] as string[] },
  { mode: 'file', args: ['--master-key-file', keyFile] },
])('client-secret canary through the real server ($mode store)', ({ mode, args }) => {
  it('the secret is only in the secret store', async () => {
    const canary = `SECRET-CANARY-${randomBytes(8).toString('hex')}`
    const dataDir = tempDataDir()
    const responses: string[] = []
    let serve: ServeProcess | null = await startServe({ dataDir, args })
    const call = async (method: string, input: unknown = {}): Promise<{ ok: boolean; value?: unknown; error?: { code: string } }> => {
      const res = await fetch(`${serve!.origin}/api/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-psc-request': '1', cookie: serve!.cookie },
        body: JSON.stringify(input),
      })
      const text = await res.text()
      responses.push(`${method} ${text}`)
      return JSON.parse(text) as never
    }
    try {
      expect((await call('practices.create', { id: 'canary-practice', name: 'Canary Practice', athenaPracticeId: '195900' })).ok).toBe(true)
      const created = await call('connections.create', {
        practiceId: 'canary-practice',
        kind: 'athena-rest',
        name: 'athena-preview',
        config: { environment: 'preview', clientId: 'client-id-not-secret' },
      })
      expect(created.ok).toBe(true)
      const connId = (created.value as { id: string }).id
      const hl7 = await call('connections.create', { practiceId: 'canary-practice', kind: 'hl7-inbound', name: 'adt-in', config: { host: '127.0.0.1', port: 0 } })
      expect(hl7.ok).toBe(true)

      expect(await call('connections.setSecret', { id: connId, field: 'client_secret', value: canary })).toEqual({ ok: true, value: { set: true } })
      // Rejected attempts must not echo the value either.
      expect((await call('connections.setSecret', { id: connId, field: 'bogus_field', value: canary })).error?.code).toBe('invalid_input')
      expect((await call('connections.setSecret', { id: (hl7.value as { id: string }).id, field: 'client_secret', value: canary })).error?.code).toBe('invalid_input')
      expect((await call('connections.setSecret', { id: 'no-such-connection', field: 'client_secret', value: canary })).error?.code).toBe('not_found')
      expect((await call('connections.setSecret', { id: connId, field: 'client_secret', value: canary + 'x'.repeat(16_384) })).error?.code).toBe('invalid_input')

      const list = await call('connections.list', { practiceId: 'canary-practice' })
      const athena = (list.value as { id: string; secrets: Record<string, boolean> }[]).find((c) => c.id === connId)!
      expect(athena.secrets).toEqual({ client_secret: true })
      expect((await call('connections.update', { id: connId, kind: 'athena-rest', name: 'athena-preview', config: { environment: 'preview', clientId: 'client-id-2' } })).ok).toBe(true)
      expect((await call('connections.test', { id: connId })).ok).toBe(true)
      expect((await call('system.status')).ok).toBe(true)
      expect((await call('config.export')).ok).toBe(true)
      expect((await call('audit.list', { limit: 1000 })).ok).toBe(true)
      expect((await call('practices.list')).ok).toBe(true)
      expect((await call('audit.verify')).ok).toBe(true)

      // Control: the secret really is stored, so the scans below are not vacuous.
      const install = readInstall(dataDir)!
      expect(install.secretStore).toBe(mode)
      const store = mode === 'keychain' ? createKeychainStore(install.installId) : createFileStore({ file: join(dataDir, 'secrets.enc'), masterKey: Buffer.from(masterKeyHex, 'hex'), location: 'test' })
      expect(await store.get(`connection:${connId}:client_secret`)).toBe(canary)
      const dbKey = (await store.get('db-key'))!
      expect(dbKey).toMatch(/^[0-9a-f]{64}$/)
      // Control: the scanner does find plain text that is in the folder.
      expect(filesContaining(dataDir, install.installId)).toContain(join(dataDir, 'install.json'))

      // While running (the WAL holds the latest writes).
      expect(filesUnder(dataDir)).toContain(join(dataDir, 'practice-studio.db-wal'))
      expect(filesContaining(dataDir, canary)).toEqual([])
      expect(filesContaining(dataDir, dbKey)).toEqual([]) // SUP-07: the database key is never beside the data in clear
    } finally {
      expect(await serve.stop()).toBe(0)
    }
    const out = serve.stdout.join('\n') + serve.stderr.join('')
    serve = null

    for (const r of responses) expect(r.includes(canary), r.slice(0, 200)).toBe(false)
    expect(responses.length).toBeGreaterThanOrEqual(16)
    expect(out.includes(canary)).toBe(false)
    expect(readFileSync(join(dataDir, 'logs', 'engine.log'), 'utf8')).toContain('console ready') // the log exists and is written
    // After shutdown (WAL checkpointed into the main file): still nowhere.
    expect(filesContaining(dataDir, canary)).toEqual([])
    if (mode === 'file') {
      const sealed = readFileSync(join(dataDir, 'secrets.enc'))
      expect(sealed.includes(Buffer.from(canary))).toBe(false)
    } else {
      expect(filesUnder(dataDir).some((f) => f.endsWith('secrets.enc'))).toBe(false)
    }
  })
})

describe('PHI canary in a received payload never reaches the logs', () => {
  let t: TestEngine | null = null
  afterEach(async () => {
    await t?.stop()
    t = null
  })

  it('whether the message is processed, fails with an AppError, or makes the handler throw something unexpected', async () => {
    const phi = `ZZPHICANARY${randomBytes(4).toString('hex').toUpperCase()}`
    const test = createTestHandler()
    // A realistic careless handler: JSON.parse on the raw bytes. Its SyntaxError message quotes the input.
    const naive: ConnectorHandler<unknown, unknown> = {
      connector: 'naive',
      direction: 'in',
      parse: (ctx) => JSON.parse(ctx.payload.toString('utf8')) as unknown,
      map: (p) => p,
      apply: () => undefined,
    }
    // A handler whose unexpected error carries PHI in its message (e.g. a library that echoes input).
    const echo: ConnectorHandler<unknown, unknown> = {
      connector: 'echo',
      direction: 'in',
      parse: (ctx) => {
        throw new TypeError(`cannot read field of ${ctx.payload.toString('utf8')}`)
      },
      map: (p) => p,
      apply: () => undefined,
    }
    t = await openTestEngine({
      modules: [
        (e) => {
          e.ctx.pipeline.register(test.handler)
          e.ctx.pipeline.register(naive)
          e.ctx.pipeline.register(echo)
        },
      ],
    })
    const { pipeline } = t.engine.ctx
    const base = { practiceId: 'sandbox', channel: 'phi', direction: 'in' as const }
    const ok = await pipeline.receive({ ...base, connector: 'test', contentType: 'json', raw: msg({ id: 'phi-ok', patient: { last_name: phi, mrn: 'MRN-1' } }) })
    const bad = await pipeline.receive({ ...base, connector: 'test', contentType: 'json', raw: msg({ id: 'phi-bad', behavior: 'permanent', patient: { last_name: phi } }) })
    const naiveTx = await pipeline.receive({ ...base, connector: 'naive', contentType: 'hl7v2', raw: Buffer.from(`${phi}^JANE|19700101|123 MAIN ST`) })
    const echoTx = await pipeline.receive({ ...base, connector: 'echo', contentType: 'text', raw: Buffer.from(`patient ${phi}`) })
    const status = (id: number) => t!.engine.ctx.txRepo.get(id)?.status
    await waitFor(() => [ok, bad, naiveTx, echoTx].every((r) => ['done', 'error'].includes(status(r.id) ?? '')), 'all four to finish')
    expect(status(ok.id)).toBe('done')
    expect(status(bad.id)).toBe('error')
    expect(status(naiveTx.id)).toBe('error')
    expect(status(echoTx.id)).toBe('error')
    // The unexpected errors are stored as a generic internal error, not the PHI-bearing message.
    expect(t.engine.ctx.txRepo.get(naiveTx.id)!.error_code).toBe('internal')
    expect(t.engine.ctx.txRepo.get(naiveTx.id)!.error_message).not.toContain(phi)
    expect(t.engine.ctx.txRepo.get(echoTx.id)!.error_message).not.toContain(phi)

    // Through the API too: search by the PHI and read the payload (audited, returned, never logged).
    const found = await t.call<{ items: unknown[] }>('transactions.list', { q: phi })
    expect(found.items.length).toBeGreaterThan(0)
    const payload = await t.call<{ text: string }>('transactions.payload', { id: ok.id, stage: 'raw' })
    expect(payload.text).toContain(phi)
    await pipeline.idle()

    // The pipeline did log about these transactions (so the scan is meaningful)…
    expect(t.logs.some((l) => l.includes('"level":"error"'))).toBe(true)
    // …but never the PHI: neither in the in-memory lines nor in the log file.
    const offending = t.logs.filter((l) => l.includes(phi))
    expect(offending, offending.join('\n')).toEqual([])
    expect(readFileSync(join(t.dataDir, 'logs', 'engine.log'), 'utf8')).not.toContain(phi)
    // The audit of the payload view names the stage, not the content.
    const views = t.engine.ctx.audit.list({ action: 'transaction.view_payload' })
    expect(views).toHaveLength(1)
    expect(JSON.stringify(views)).not.toContain(phi)
    expect(AppError).toBeDefined()
  })
})
