/**
 * Connectivity test of a FHIR connection: DNS → TLS → token (with the FHIR scopes) → metadata
 * (the CapabilityStatement, kept for the Connections page and the write checks) → one search
 * (Patient with a required combination that matches nothing, so no PHI comes back). The first
 * failing step stops the test; its error is shown as data.
 */
import type { ConnectivityResult, ConnectivityStep } from '../../../../shared/api/connections'
import type { ConnectivityTester, EngineContext } from '../../core/engine-context'
import { dnsStep, stepRunner, tlsStep } from '../athena/connectivity'
import { summarizeCapabilities, type CapabilitySummary } from './client/capabilities'
import type { FhirRuntime } from './runtime'
import type { FhirRepo } from './store/fhir-repo'

export async function refreshCapabilities(ctx: EngineContext, rt: FhirRuntime, repo: FhirRepo, practiceId: string, connectionId?: string): Promise<CapabilitySummary> {
  const entry = rt.entry(practiceId, connectionId)
  const s = summarizeCapabilities(await entry.client.metadata(), ctx.clock.now())
  repo.setState(entry.connection.id, 'capabilities', s, ctx.clock.now())
  return s
}

export function fhirConnectivityTester(ctx: EngineContext, rt: FhirRuntime, repo: FhirRepo): ConnectivityTester {
  return async (conn) => {
    const steps: ConnectivityStep[] = []
    const at = ctx.clock.now()
    const step = stepRunner(ctx, steps)
    let url: URL | null = null
    await ((await step('dns', async () => {
      url = new URL(rt.baseUrlOf(rt.configOf(conn)))
      return dnsStep(url)
    })) &&
      (await step('tls', () => tlsStep(url!))) &&
      (await step('token', async () => {
        const entry = rt.entry(conn.practiceId, conn.id)
        await entry.tokens.getToken(AbortSignal.timeout(30_000))
        const st = entry.tokens.state()
        return `token for ${entry.config.scopes.filter((s) => s.startsWith('system/')).length} FHIR scope(s), valid for ${Math.round((st.expiresInMs ?? 0) / 1000)} s`
      })) &&
      (await step('metadata', async () => {
        const s = await refreshCapabilities(ctx, rt, repo, conn.practiceId, conn.id)
        return `FHIR ${s.fhirVersion ?? '?'} (${s.id ?? 'CapabilityStatement'}), ${s.resources.length} resource types; read-only: ${s.resources.filter((r) => !r.interactions.includes('create')).length}`
      })) &&
      (await step('search', async () => {
        const b = await rt.client(conn.practiceId, conn.id).search('Patient', [['_id', 'a-0.E-0']], { count: 1 })
        return `Patient search answered a Bundle (${b.total ?? b.entry?.length ?? 0} match)`
      })))
    const out: ConnectivityResult = { connectionId: conn.id, name: conn.name, kind: conn.kind, ok: steps.every((s) => s.ok), steps, at }
    return out
  }
}
