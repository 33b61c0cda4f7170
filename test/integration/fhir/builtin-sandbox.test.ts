/**
 * `npm run serve`'s built-in sandbox practice comes with a FHIR connection to the in-process
 * sandbox and subscriptions to it, so a change made in the sandbox shows up in the console with no
 * configuration.
 */
import { describe, expect, it } from 'vitest'
import { createAthenaModule } from '../../../electron/engine/connectors/athena'
import { athenaState } from '../../../electron/engine/connectors/athena'
import { createFhirModule, fhirState, SANDBOX_TOPICS } from '../../../electron/engine/connectors/fhir'
import { openTestEngine, waitFor } from '../foundation/support/harness'

describe('built-in sandbox practice, FHIR side', () => {
  it('seeds a FHIR connection with subscriptions; a sandbox change arrives by push', async () => {
    const t = await openTestEngine({ modules: [createAthenaModule({ sandbox: { patientCount: 40 } }), createFhirModule({ tickMs: 100 })] })
    try {
      const conns = await t.call<any[]>('connections.list', { practiceId: 'sandbox' })
      expect(conns.map((c) => c.kind).sort()).toEqual(['athena-rest', 'fhir-r4'])
      const test = await t.call<any>('connections.test', { id: 'sandbox-fhir' })
      expect(test.ok).toBe(true)
      await waitFor(() => fhirState(t.engine.ctx).repo.subscriptions(['sandbox']).filter((s) => s.state === 'active').length === SANDBOX_TOPICS.length, 'the sandbox subscriptions', 30_000)
      const sb = athenaState(t.engine.ctx).sandbox.sandbox!
      const subs = await t.call<any[]>('fhir.subscriptions.list', { practiceId: 'sandbox' })
      const patientUpdate = subs.find((s) => s.topic === 'Patient.update')
      const sent = await t.call<any>('fhir.subscriptions.sendTest', { practiceId: 'sandbox', id: patientUpdate.id })
      expect(sent.eventIds).toHaveLength(1)
      await sb.fhir.push.idle()
      await waitFor(() => (t.engine.ctx.db.prepare("SELECT status FROM transactions WHERE connector = 'fhir' AND control_id = ?").get(sent.eventIds[0]) as { status: string } | undefined)?.status === 'done', 'the test notification to be processed', 30_000)
    } finally {
      await t.stop()
    }
  })
})
