/**
 * An engine with the athenaNet and FHIR modules against a sandbox started by the test (real HTTP
 * on OS-assigned ports): practice `acme` on athena practice 195900 with an athenaNet connection and
 * a FHIR connection pointing at the sandbox's /fhir/r4, fast test settings, and — when asked — the
 * webhook receiver on loopback with subscriptions to the sandbox's push.
 */
import { startAthenaSandbox, type AthenaSandbox, type AthenaSandboxOptions } from '../../../electron/sandbox/athena'
import { createAthenaModule } from '../../../electron/engine/connectors/athena'
import { createFhirModule, fhirState, type FhirModuleOptions } from '../../../electron/engine/connectors/fhir'
import type { Engine } from '../../../electron/engine/core/engine'
import { openTestEngine, waitFor, type TestEngine } from '../foundation/support/harness'

export const PRACTICE = 'acme'
export const AH_PRACTICE = 'Organization/a-1.Practice-195900'

export interface FhirTest {
  t: TestEngine
  sb: AthenaSandbox
  engine: Engine
  fhirConnectionId: string
  athenaConnectionId: string
  call<T = any>(method: string, input?: unknown): Promise<T>
  settled(): Promise<void>
  stop(): Promise<void>
}

export async function startFhirTest(opts: { sandbox?: AthenaSandboxOptions; fhir?: Record<string, unknown>; webhook?: Record<string, unknown> | null; module?: FhirModuleOptions; dataDir?: string; sb?: AthenaSandbox } = {}): Promise<FhirTest> {
  const sb = opts.sb ?? (await startAthenaSandbox({ patientCount: 60, qps: 0, tokenRequestsPerMinute: 0, ...opts.sandbox }))
  const t = await openTestEngine({ modules: [createAthenaModule({ pushPollMs: 60_000 }), createFhirModule({ tickMs: 100, seedSandbox: false, ...opts.module })], dataDir: opts.dataDir })
  const ctx = t.engine.ctx
  let fhirConnectionId: string
  let athenaConnectionId: string
  if (!ctx.practices.find(PRACTICE)) {
    ctx.practices.create({ id: PRACTICE, name: 'Acme Health', athenaPracticeId: String(sb.practiceId), environment: 'preview', timeZone: 'America/New_York', settings: { unknownPatientRule: 'create', phoneCountry: 'US' } }, 'test')
    const a = await t.call<{ id: string }>('connections.create', { practiceId: PRACTICE, kind: 'athena-rest', name: 'athena', config: { environment: 'preview', baseUrl: sb.url, clientId: sb.clientId, qps: 1000, tokenRequestsPerMinute: 50, backoffBaseMs: 20, backoffCapMs: 200, pageSize: 50 } })
    await t.call('connections.setSecret', { id: a.id, field: 'client_secret', value: sb.clientSecret })
    const f = await t.call<{ id: string }>('connections.create', {
      practiceId: PRACTICE,
      kind: 'fhir-r4',
      name: 'fhir',
      config: {
        preset: 'custom',
        baseUrl: sb.fhirBase,
        clientId: sb.clientId,
        qps: 1000,
        tokenRequestsPerMinute: 50,
        backoffBaseMs: 20,
        backoffCapMs: 200,
        pageSize: 5,
        reconcileIntervalMinutes: 0,
        webhook: opts.webhook === null || opts.webhook === undefined ? { enabled: false } : { enabled: true, host: '127.0.0.1', port: 0, checkIntervalSeconds: 3600, ...opts.webhook },
        ...opts.fhir,
      },
    })
    await t.call('connections.setSecret', { id: f.id, field: 'client_secret', value: sb.clientSecret })
    fhirConnectionId = f.id
    athenaConnectionId = a.id
  } else {
    fhirConnectionId = ctx.connections.list(PRACTICE).find((c) => c.kind === 'fhir-r4')!.id
    athenaConnectionId = ctx.connections.list(PRACTICE).find((c) => c.kind === 'athena-rest')!.id
  }
  const settled = async (): Promise<void> => {
    await waitFor(() => {
      t.engine.ctx.pipeline.drainInbox()
      const n = (ctx.db.prepare(`SELECT count(*) AS n FROM transactions WHERE practice_id = ? AND status IN ('received','queued','processing')`).get(PRACTICE) as { n: number }).n
      return n === 0
    }, 'transactions to settle', 60_000)
  }
  return {
    t,
    sb,
    engine: t.engine,
    fhirConnectionId,
    athenaConnectionId,
    call: t.call,
    settled,
    async stop() {
      await t.stop()
      if (!opts.sb) await sb.close()
    },
  }
}

export const fhir = (f: FhirTest) => fhirState(f.engine.ctx)

export function txRows(f: FhirTest, where = "connector = 'fhir'"): any[] {
  return f.engine.ctx.db.prepare(`SELECT id, channel, message_type, status, error_code, error_message, response FROM transactions WHERE practice_id = ? AND ${where} ORDER BY id`).all(PRACTICE)
}

export function patientRecord(f: FhirTest, athenaId: string): any {
  return f.engine.ctx.records.findByExternalId(PRACTICE, 'patient', 'athena', athenaId)
}
