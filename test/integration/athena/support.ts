/**
 * An engine with the athenaNet module against a sandbox started by the test (real HTTP on an
 * OS-assigned port): a practice `acme` on athenaNet practice 195900 whose connection points at the
 * sandbox through `baseUrl`, with fast test settings (small backoff) unless a test asks otherwise.
 */
import { startAthenaSandbox, type AthenaSandbox, type AthenaSandboxOptions } from '../../../electron/sandbox/athena'
import { createAthenaModule, athenaState, type AthenaModuleOptions } from '../../../electron/engine/connectors/athena'
import type { Engine } from '../../../electron/engine/core/engine'
import { openTestEngine, waitFor, type TestEngine } from '../foundation/support/harness'

export const PRACTICE = 'acme'

export interface AthenaTest {
  t: TestEngine
  sb: AthenaSandbox
  engine: Engine
  connectionId: string
  call<T = any>(method: string, input?: unknown): Promise<T>
  stop(): Promise<void>
  /** Waits until no athena transaction of the practice is pending. */
  settled(): Promise<void>
}

export async function startAthenaTest(
  opts: { sandbox?: AthenaSandboxOptions; config?: Record<string, unknown>; module?: AthenaModuleOptions; sb?: AthenaSandbox; dataDir?: string } = {},
): Promise<AthenaTest> {
  const sb = opts.sb ?? (await startAthenaSandbox({ patientCount: 120, qps: 0, tokenRequestsPerMinute: 0, ...opts.sandbox }))
  const t = await openTestEngine({ modules: [createAthenaModule(opts.module ?? {})], dataDir: opts.dataDir })
  const ctx = t.engine.ctx
  let connectionId: string
  const existing = ctx.practices.find(PRACTICE)
  if (!existing) {
    ctx.practices.create({ id: PRACTICE, name: 'Acme Health', athenaPracticeId: String(sb.practiceId), environment: 'preview', timeZone: 'America/New_York', settings: { unknownPatientRule: 'create', phoneCountry: 'US' } }, 'test')
    const conn = await t.call<{ id: string }>('connections.create', {
      practiceId: PRACTICE,
      kind: 'athena-rest',
      name: 'athena',
      config: { environment: 'preview', baseUrl: sb.url, clientId: sb.clientId, qps: 1000, tokenRequestsPerMinute: 50, backoffBaseMs: 20, backoffCapMs: 200, pageSize: 50, ...opts.config },
    })
    await t.call('connections.setSecret', { id: conn.id, field: 'client_secret', value: sb.clientSecret })
    connectionId = conn.id
  } else {
    connectionId = ctx.connections.list(PRACTICE).find((c) => c.kind === 'athena-rest')!.id
  }
  const settled = async (): Promise<void> => {
    await waitFor(() => {
      const n = (ctx.db.prepare(`SELECT count(*) AS n FROM transactions WHERE practice_id = ? AND connector = 'athena' AND status IN ('received','queued','processing')`).get(PRACTICE) as { n: number }).n
      return n === 0
    }, 'athena transactions to settle', 120_000)
  }
  return {
    t,
    sb,
    engine: t.engine,
    connectionId,
    call: t.call,
    settled,
    async stop() {
      await t.stop()
      if (!opts.sb) await sb.close()
    },
  }
}

export function athena(t: AthenaTest) {
  return athenaState(t.engine.ctx)
}

/** athena ids of the practice's records of a kind (from the external-id cross-reference). */
export function athenaIds(t: AthenaTest, kind: string): string[] {
  return (t.engine.ctx.db.prepare(`SELECT value FROM external_ids WHERE practice_id = ? AND kind = ? AND system = 'athena' ORDER BY value`).all(PRACTICE, kind) as { value: string }[]).map((r) => r.value)
}

export function recordCount(t: AthenaTest, kind: string): number {
  return (t.engine.ctx.db.prepare('SELECT count(*) AS n FROM records WHERE practice_id = ? AND kind = ?').get(PRACTICE, kind) as { n: number }).n
}

export async function sandboxPatientIds(sb: AthenaSandbox): Promise<string[]> {
  // Every patient, through the sandbox's own API (a search per department, paged).
  const tok = await sandboxToken(sb)
  const ids = new Set<string>()
  for (const dept of [1, 21, 62, 150]) {
    let url: string | null = `/v1/${sb.practiceId}/patients?departmentid=${dept}&limit=5000`
    while (url) {
      const res = await fetch(`${sb.url}${url}`, { headers: { Authorization: `Bearer ${tok}` } })
      const body = (await res.json()) as { patients: { patientid: string }[]; next?: string }
      for (const p of body.patients) ids.add(p.patientid)
      url = body.next ?? null
    }
  }
  return [...ids].sort()
}

export async function sandboxToken(sb: AthenaSandbox): Promise<string> {
  const res = await fetch(`${sb.url}/oauth2/v1/token`, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(`${sb.clientId}:${sb.clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'athena/service/Athenanet.MDP.*' }),
  })
  return ((await res.json()) as { access_token: string }).access_token
}

export async function sandboxGet<T = any>(sb: AthenaSandbox, path: string): Promise<T> {
  const tok = await sandboxToken(sb)
  const res = await fetch(`${sb.url}/v1/${sb.practiceId}${path}`, { headers: { Authorization: `Bearer ${tok}` } })
  return (await res.json()) as T
}

/** Open slots of department 1 far enough ahead for the practice's min-hours rule. */
export async function futureOpenSlots(a: AthenaTest, n: number): Promise<any[]> {
  const r = await a.call<any>('athena.openSlots', { practiceId: PRACTICE, departmentId: '1', reasonId: '-1', bypassScheduleChecks: true, limit: 200 })
  const future = r.slots.filter((s: any) => Date.parse(s.startUtc) > Date.now() + 86_400_000)
  if (future.length < n) throw new Error(`the sandbox has ${future.length} open slots ahead, the test needs ${n}`)
  return future.slice(0, n)
}

/** The first active sandbox patient of department 1 (its athena id). */
export async function someSandboxPatient(a: AthenaTest, index = 0): Promise<string> {
  const body = await sandboxGet<{ patients: { patientid: string }[] }>(a.sb, '/patients?departmentid=1&status=active&limit=5')
  return body.patients[index]!.patientid
}
