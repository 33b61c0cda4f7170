/**
 * Full patient sync of a 10,000-patient practice through the real athenaNet client and pipeline,
 * against the local sandbox over HTTP, with the same QPS limit on both sides and 5 % of API calls
 * failing (500/502/503). Prints achieved QPS / allowed QPS (goal ≥ 0.95), records lost (goal 0),
 * duplicates, throttling and retries, and how long storing and mapping took.
 *
 *   npx tsx test/bench/athena-sync.bench.ts [patients] [qps] [pageSize]
 *
 * Why small pages: athena's rate limit counts calls, not records. With athena's default page
 * (1500, max 5000) 10,000 patients are a dozen calls and never meet the limit, so the benchmark
 * asks for 25 per page — the same code path (page → durable transactions → cursor → next page,
 * departments in parallel) that a large practice or a small-maximum endpoint exercises, with
 * enough calls (≈ 400) that the client's pacing is what is measured.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAthenaModule } from '../../electron/engine/connectors/athena'
import { openEngine } from '../../electron/engine/core/engine'
import { createLogger } from '../../electron/engine/core/logger'
import { createFileStore } from '../../electron/engine/secrets/file-store'
import { startAthenaSandbox } from '../../electron/sandbox/athena'

const PATIENTS = Number(process.argv[2] ?? 10_000)
const QPS = Number(process.argv[3] ?? 20)
const PAGE = Number(process.argv[4] ?? 25)
const FAULT_RATE = 0.05

async function main(): Promise<void> {
  const t0 = performance.now()
  const sb = await startAthenaSandbox({ patientCount: PATIENTS, qps: QPS, tokenRequestsPerMinute: 5, seed: 2026 })
  const dataDir = mkdtempSync(join(tmpdir(), 'ps-athena-bench-'))
  const secrets = createFileStore({ file: join(dataDir, 'secrets.enc'), masterKey: Buffer.alloc(32, 7), location: 'bench' })
  const engine = await openEngine({ dataDir, secrets, logger: createLogger({ level: 'error', sinks: [] }), mode: 'headless', version: 'bench', operator: 'bench' }, [createAthenaModule()])
  await engine.start()
  const ctx = engine.ctx
  const actor = { actor: 'bench', transport: 'internal' as const }
  const call = async <T>(method: string, input: unknown): Promise<T> => {
    const r = await engine.dispatch(method, input, actor)
    if (!r.ok) throw new Error(`${method}: ${r.error.code} ${r.error.message}`)
    return r.value as T
  }
  try {
    ctx.practices.create({ id: 'bench', name: 'Bench', athenaPracticeId: String(sb.practiceId), environment: 'preview', timeZone: 'America/New_York', settings: { unknownPatientRule: 'create', phoneCountry: 'US' } }, 'bench')
    const conn = await call<{ id: string }>('connections.create', {
      practiceId: 'bench',
      kind: 'athena-rest',
      name: 'athena',
      config: { environment: 'preview', baseUrl: sb.url, clientId: sb.clientId, qps: QPS, burst: 1, pageSize: PAGE, syncConcurrency: 4, maxRetries: 6, backoffBaseMs: 250, backoffCapMs: 5000, retryBudgetMin: 50 },
    })
    await call('connections.setSecret', { id: conn.id, field: 'client_secret', value: sb.clientSecret })
    await call('athena.sync', { practiceId: 'bench', what: 'reference', mode: 'full', wait: true })
    console.log(`setup: sandbox with ${PATIENTS} patients + engine + reference data in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

    await fetch(`${sb.url}/__sandbox/reset`, { method: 'POST' }) // counters only; the token stays valid
    sb.setFaults({ errorRate: FAULT_RATE, errorStatuses: [500, 502, 503], seed: 11 })
    const s0 = performance.now()
    const state = await call<{ status: string; pages: number; records: number; duplicates: number; errorCode: string | null; errorMessage: string | null }>('athena.sync', { practiceId: 'bench', what: 'patients', mode: 'full', wait: true, waitMs: 30 * 60_000 })
    const fetchSeconds = (performance.now() - s0) / 1000
    const stats = sb.stats()
    sb.resetFaults()
    const apiCalls = stats.requests.total - (stats.requests.byEndpoint['POST /oauth2/v1/token'] ?? 0)
    const achieved = apiCalls / fetchSeconds

    const pending = () => (ctx.db.prepare(`SELECT count(*) AS n FROM transactions WHERE practice_id = 'bench' AND status IN ('received','queued','processing')`).get() as { n: number }).n
    while (pending() > 0) await new Promise((r) => setTimeout(r, 200))
    const totalSeconds = (performance.now() - s0) / 1000

    const local = (ctx.db.prepare(`SELECT value FROM external_ids WHERE practice_id = 'bench' AND kind = 'patient' AND system = 'athena'`).all() as { value: string }[]).map((r) => r.value)
    const localSet = new Set(local)
    const remote = new Set<string>()
    const tok = await (await fetch(`${sb.url}/oauth2/v1/token`, { method: 'POST', headers: { Authorization: `Basic ${Buffer.from(`${sb.clientId}:${sb.clientSecret}`).toString('base64')}` }, body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'athena/service/Athenanet.MDP.*' }) })).json()
    for (const d of [1, 21, 62, 150]) {
      for (let offset = 0; ; offset += 5000) {
        const body = (await (await fetch(`${sb.url}/v1/${sb.practiceId}/patients?departmentid=${d}&limit=5000&offset=${offset}`, { headers: { Authorization: `Bearer ${(tok as { access_token: string }).access_token}` } })).json()) as { patients: { patientid: string }[]; next?: string }
        for (const p of body.patients) remote.add(p.patientid)
        if (!body.next) break
      }
    }
    const lost = [...remote].filter((id) => !localSet.has(id)).length
    const records = (ctx.db.prepare(`SELECT count(*) AS n FROM records WHERE practice_id = 'bench' AND kind = 'patient'`).get() as { n: number }).n
    const errors = (ctx.db.prepare(`SELECT count(*) AS n FROM transactions WHERE practice_id = 'bench' AND status = 'error'`).get() as { n: number }).n
    const usage = await call<{ today: { throttled: number; retried: number } }>('athena.usage', { practiceId: 'bench' })

    const pct = (x: number) => `${(x * 100).toFixed(1)} %`
    console.log(`sync:     ${state.status}${state.errorCode ? ` (${state.errorCode}: ${state.errorMessage})` : ''}; ${state.pages} pages of ${PAGE}, ${state.records} patients stored, ${state.duplicates} already stored (patients listed by two departments)`)
    console.log(`calls:    ${apiCalls} API calls in ${fetchSeconds.toFixed(1)} s; injected faults ${stats.faults.errors} (${pct(stats.faults.errors / apiCalls)}), server 429s ${stats.throttled}, client retries ${usage.today.retried}`)
    console.log(`QPS:      achieved ${achieved.toFixed(2)} / allowed ${QPS} = ${(achieved / QPS).toFixed(3)}  (goal ≥ 0.95)`)
    console.log(`records:  athena ${remote.size}, Practice Studio ${records} (${localSet.size} distinct athena ids); lost ${lost} (goal 0), duplicates ${records - localSet.size}, failed transactions ${errors}`)
    console.log(`pipeline: all ${state.records} transactions mapped and applied ${totalSeconds.toFixed(1)} s after the sync began (${(state.records / totalSeconds).toFixed(0)} records/s end to end)`)
  } finally {
    await engine.stop()
    await sb.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
