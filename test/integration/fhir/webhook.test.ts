/**
 * The webhook receiver over real HTTP: athena's three signed sample notifications verified byte
 * for byte (signatures from the reference), and what is refused without storing anything (a
 * changed byte, a missing trailing newline, no signature, a malformed body, an unknown
 * subscription or practice, an oversize body); duplicates deduplicated by event id. The
 * subscription job is kept off (its tick an hour away): these subscriptions exist only here.
 */
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { sign } from '../../../electron/engine/connectors/fhir/subscriptions/signature'
import { fhir, PRACTICE, startFhirTest, txRows, type FhirTest } from './support'

const SECRET = 'SecretHashKeyForConsumer1'
const SAMPLES = [
  { file: 'appointment', sub: '62865e96-3fe4-3f6f-b476-b8eb87b90892', sig: 'sha256=a7cd1196b24559701f2fb699a364845c16d3a920455abf047042eb650e2c3563', event: '0901fb5b-6858-33f2-994f-6680c0c6aadb' },
  { file: 'patient', sub: 'b9f6db63-4883-41bb-9fef-97372cbd3fcd', sig: 'sha256=74c46018cd75fc09c7176a6ed3c98606230f826d27ae770d34a9fe4031354da7', event: 'ead73c9e-ab6e-4db5-9b73-1f73cb243682' },
  { file: 'order', sub: '62865e96-3fe4-3f6f-b476-b8eb87b90892', sig: 'sha256=f528cc71a3e0032482465fc4b55cda0f63d230e2072cbfdceb8c2feaf6a91838', event: 'b594cd05-74e6-4b5e-9205-c618667ebf75' },
]
const bytes = (name: string): Buffer => readFileSync(`test/corpus/fhir/Bundle/athenahealth__${name}-notification.json`)

let f: FhirTest | undefined
afterEach(async () => {
  await f?.stop()
  f = undefined
})

/** Subscriptions as athena's samples name them, with the samples' secret in the keychain. */
async function withSampleSubscriptions(t: FhirTest): Promise<string> {
  const { repo, subscriptions, webhooks } = fhir(t)
  const ctx = t.engine.ctx
  for (const remote of [...new Set(SAMPLES.map((s) => s.sub))]) {
    const id = repo.createSubscription(PRACTICE, t.fhirConnectionId, remote.startsWith('b9') ? 'Patient.update' : 'Appointment.schedule', 'https://example.org/hook', null, ctx.clock.now())
    repo.updateSubscription(id, { remoteId: remote, state: 'active' }, ctx.clock.now())
    await ctx.secrets.set(subscriptions.secretName(id), SECRET)
  }
  subscriptions.hooks!.secretsChanged(PRACTICE)
  return webhooks.listenerOf(PRACTICE)!.url
}

const post = (url: string, body: Buffer | string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json', ...headers }, body: typeof body === 'string' ? body : new Uint8Array(body) })

describe('webhook receiver', () => {
  it("verifies athena's signed sample notifications byte for byte, stores each event before 2xx, and deduplicates", async () => {
    f = await startFhirTest({ webhook: { topics: [] }, module: { tickMs: 3_600_000 } })
    const url = await withSampleSubscriptions(f)
    for (const s of SAMPLES) {
      const raw = bytes(s.file)
      expect(sign(SECRET, raw)).toBe(s.sig)
      const res = await post(url, raw, { 'X-Hub-Signature': s.sig })
      expect(res.status, s.file).toBe(200)
      expect(((await res.json()) as any).resourceType).toBe('OperationOutcome')
    }
    f.engine.ctx.pipeline.drainInbox()
    const rows = txRows(f)
    expect(rows.map((r) => r.message_type)).toEqual(['notification Appointment.schedule', 'notification Patient.update', 'notification Order.signoff'])
    expect(rows.map((r) => r.channel)).toEqual(['urn:athenahealth:athenanet:appointment:195900|2', 'Patient/a-195900.E-1', 'urn:athenahealth:athenanet:order:195900|157479'])
    // Again: the same events, nothing new.
    expect((await post(url, bytes('patient'), { 'X-Hub-Signature': SAMPLES[1]!.sig })).status).toBe(200)
    f.engine.ctx.pipeline.drainInbox()
    expect(txRows(f)).toHaveLength(3)
    await f.settled()
    // The order topic has no re-read here; the patient and appointment no longer exist in the sandbox: nothing is created from an event alone.
    expect(txRows(f).map((r) => r.status)).toEqual(['done', 'done', 'done'])
    expect(JSON.parse(txRows(f)[2].response).skipped).toMatch(/no re-read/)
    const c = fhir(f).repo.countersToday(PRACTICE, SAMPLES[1]!.sub, Date.now())
    expect(c).toMatchObject({ deliveries: 2, events: 1, duplicates: 1 })
  })

  it('refuses bad signatures (401), malformed bodies (400), unknown subscriptions and practices (404) and oversize bodies (413), storing nothing', async () => {
    f = await startFhirTest({ webhook: { topics: [], maxBodyBytes: 64 * 1024 }, module: { tickMs: 3_600_000 } })
    const url = await withSampleSubscriptions(f)
    const raw = bytes('patient')
    const flipped = Buffer.from(raw)
    flipped[100] = flipped[100]! ^ 1
    expect((await post(url, flipped, { 'X-Hub-Signature': SAMPLES[1]!.sig })).status).toBe(401)
    expect((await post(url, raw.subarray(0, raw.length - 1), { 'X-Hub-Signature': SAMPLES[1]!.sig })).status).toBe(401)
    expect((await post(url, raw)).status).toBe(401)
    expect((await post(url, raw, { 'X-Hub-Signature': SAMPLES[1]!.sig.replace('sha256=', 'sha1=') })).status).toBe(401)
    const notBundle = Buffer.from('{"resourceType":"Patient"}')
    expect((await post(url, notBundle, { 'X-Hub-Signature': sign(SECRET, notBundle) })).status).toBe(400)
    const otherSub = Buffer.from(raw.toString('utf8').replaceAll('b9f6db63-4883-41bb-9fef-97372cbd3fcd', '00000000-0000-0000-0000-000000000000'))
    expect((await post(url, otherSub, { 'X-Hub-Signature': sign(SECRET, otherSub) })).status).toBe(404)
    expect((await post(url.replace(/\/acme$/, '/nobody'), raw, { 'X-Hub-Signature': SAMPLES[1]!.sig })).status).toBe(404)
    expect((await post(url, Buffer.alloc(70 * 1024, 32), { 'X-Hub-Signature': SAMPLES[1]!.sig })).status).toBe(413)
    // The status check's probe is signed with the engine's own key: reachable, and neither stored nor counted.
    for (let i = 0; i < 2; i++) expect(await f.call<any>('fhir.webhook.status', { practiceId: PRACTICE })).toMatchObject({ reachable: true, reachability: 'reachable (this receiver answered a signed probe)' })
    // A request only claiming to be the probe is a delivery like any other: refused and counted.
    const fakeProbe = Buffer.from('{"resourceType":"Parameters","parameter":[{"name":"probe","valueString":"x"}]}')
    expect((await post(url, fakeProbe, { 'X-Hub-Signature': sign('guessed', fakeProbe), 'X-PSC-Probe': '1' })).status).toBe(401)
    f.engine.ctx.pipeline.drainInbox()
    expect(txRows(f)).toEqual([])
    await new Promise((r) => setTimeout(r, 50))
    const c = fhir(f).repo.countersToday(PRACTICE, '-', Date.now())
    expect(c).toMatchObject({ bad_signatures: 5, malformed: 2, unknown: 2, deliveries: 0 })
  })
})
