/**
 * The webhook bench's load generator, run as its own process (child_process.fork from
 * fhir.bench.ts), so building, signing and timing deliveries never shares an event loop with the
 * receiver it measures. Told a URL, a secret, a rate and a count over IPC; sends signed id-only
 * notifications on a fixed schedule (open loop: a slow answer does not slow the sender) and
 * answers with each delivery's time to the response and its status.
 */
import { randomUUID } from 'node:crypto'
import { sign } from '../../electron/engine/connectors/fhir/subscriptions/signature'

export interface LoadRequest {
  url: string
  secret: string
  subscription: string
  rate: number
  count: number
  /** Focus patients are a-195900.E-{first…first+patients-1}. */
  patients: number
}

export interface LoadResult {
  /** ms from the request to the response, 2xx only. */
  ackMs: number[]
  statuses: Record<string, number>
  seconds: number
  /** Deliveries sent one by one before the timed run (connections open, code warm), not in the figures. */
  warmup: number
}

const WARMUP = 20

function body(req: LoadRequest, i: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      resourceType: 'Bundle',
      type: 'history',
      entry: [
        {
          resource: {
            resourceType: 'SubscriptionStatus',
            type: 'event-notification',
            status: 'active',
            subscription: { reference: `Subscription/${req.subscription}` },
            topic: 'https://api.platform.athenahealth.com/fhir/r4/SubscriptionTopic/Patient.update',
            notificationEvent: [{ id: randomUUID(), timestamp: new Date().toISOString(), focus: { reference: `Patient/a-195900.E-${1001 + (i % req.patients)}` } }],
          },
        },
      ],
    }),
  )
}

async function run(req: LoadRequest): Promise<LoadResult> {
  const ackMs: number[] = []
  const statuses: Record<string, number> = {}
  const inflight: Promise<void>[] = []
  for (let i = 0; i < WARMUP; i++) {
    const raw = body(req, i)
    await fetch(req.url, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json', 'X-Hub-Signature': sign(req.secret, raw) }, body: new Uint8Array(raw) }).then((r) => r.arrayBuffer())
  }
  const start = performance.now()
  for (let i = 0; i < req.count; i++) {
    const wait = start + (i * 1000) / req.rate - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    const raw = body(req, i)
    const headers = { 'Content-Type': 'application/fhir+json', 'X-Hub-Signature': sign(req.secret, raw) }
    const t0 = performance.now()
    inflight.push(
      fetch(req.url, { method: 'POST', headers, body: new Uint8Array(raw), signal: AbortSignal.timeout(10_000) }).then(
        async (res) => {
          await res.arrayBuffer()
          if (res.ok) ackMs.push(performance.now() - t0)
          statuses[res.status] = (statuses[res.status] ?? 0) + 1
        },
        // A reset socket or a timeout: counted, not timed.
        (e: unknown) => {
          const k = (e as Error).name === 'TimeoutError' ? 'timeout' : 'network'
          statuses[k] = (statuses[k] ?? 0) + 1
        },
      ),
    )
  }
  await Promise.all(inflight)
  return { ackMs, statuses, seconds: (performance.now() - start) / 1000, warmup: WARMUP }
}

process.on('message', (req: LoadRequest) => {
  run(req).then(
    (r) => process.send!(r),
    (e: unknown) => process.send!({ error: String(e) }),
  )
})
