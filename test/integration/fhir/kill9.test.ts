/**
 * kill -9 of the engine right after a webhook 2xx: the notification was durable before the answer,
 * so after a restart it is processed — once.
 */
import { randomUUID } from 'node:crypto'
import { resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { sign } from '../../../electron/engine/connectors/fhir/subscriptions/signature'
import { startAthenaSandbox, type AthenaSandbox } from '../../../electron/sandbox/athena'
import { openChildDb, startEngineChild } from '../../support/engine-child'
import { randomKeyHex, tempDir, waitFor } from '../foundation/support/harness'

const CHILD = resolve('test/fixtures/fhir/engine-child.ts')

async function startChild(dataDir: string, keyHex: string, sandboxUrl: string): Promise<{ port: number; kill(): Promise<void>; stop(): Promise<void> }> {
  const c = await startEngineChild(dataDir, keyHex, { child: CHILD, args: [sandboxUrl] })
  return { port: c.port, kill: async () => void (c.proc.kill('SIGKILL'), await c.exited), stop: async () => void (c.proc.kill('SIGTERM'), await c.exited) }
}

let sb: AthenaSandbox | undefined
afterEach(async () => {
  await sb?.close()
  sb = undefined
})

describe('kill -9 right after a webhook 2xx', () => {
  it('processes the stored notification after the restart, exactly once', async () => {
    sb = await startAthenaSandbox({ patientCount: 30, qps: 0, tokenRequestsPerMinute: 0 })
    const dataDir = tempDir('ps-fhir-kill-')
    const key = randomKeyHex()
    let child = await startChild(dataDir, key, sb.url)
    // The re-read is slow, so processing cannot finish before the kill.
    sb.setFaults({ latency: { fixedMs: 5_000 } })
    const eventId = randomUUID()
    const body = Buffer.from(
      JSON.stringify({
        resourceType: 'Bundle',
        type: 'history',
        entry: [{ resource: { resourceType: 'SubscriptionStatus', type: 'event-notification', status: 'active', subscription: { reference: 'Subscription/kill-sub' }, topic: `${sb.fhirBase}/SubscriptionTopic/Patient.update`, notificationEvent: [{ id: eventId, timestamp: new Date().toISOString(), focus: { reference: 'Patient/a-195900.E-1005' } }] } }],
      }),
    )
    const res = await fetch(`http://127.0.0.1:${child.port}/fhir-webhook/acme`, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json', 'X-Hub-Signature': sign('kill-secret', body) }, body: new Uint8Array(body) })
    expect(res.status).toBe(200)
    await child.kill()
    sb.resetFaults()

    child = await startChild(dataDir, key, sb.url)
    try {
      const db = await openChildDb(dataDir, key)
      try {
        const row = await waitFor(() => {
          const r = db.prepare("SELECT id, status, attempts FROM transactions WHERE connector = 'fhir' AND control_id = ?").all(eventId) as Array<{ id: number; status: string; attempts: number }>
          return r.length === 1 && r[0]!.status === 'done' ? r : null
        }, 'the notification to be processed after the restart', 60_000)
        expect(row).toHaveLength(1)
        const changes = db.prepare("SELECT op FROM record_changes WHERE tx_id = ? AND kind = 'patient'").all(row[0]!.id) as Array<{ op: string }>
        expect(changes.map((c) => c.op)).toEqual(['create'])
        const ids = db.prepare("SELECT count(*) AS n FROM external_ids WHERE practice_id = 'acme' AND kind = 'patient' AND system = 'fhir' AND value = 'a-195900.E-1005'").get() as { n: number }
        expect(ids.n).toBe(1)
      } finally {
        db.close()
      }
    } finally {
      await child.stop()
    }
  })
})
