import { createHmac } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { systemClock } from '../../../electron/engine/core/clock'
import { api, MDP, PRACTICE, start, token, type Started } from './helpers'

let s: Started | undefined
let hook: Server | undefined
afterEach(async () => {
  await s?.sb.close()
  s = undefined
  await new Promise<void>((r) => (hook ? hook.close(() => r()) : r()))
  hook = undefined
})

const FHIR_SCOPES = 'system/Patient.read system/Encounter.read system/Observation.read system/DocumentReference.read system/Binary.read system/Appointment.read system/SubscriptionTopic.read system/Subscription.read system/Subscription.write'
const PRACTICE_PARAM = `Organization/a-1.Practice-${PRACTICE}`

async function fhir(tok: string | null, method: string, path: string, body?: { form?: Record<string, string>; json?: unknown }, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const url = path.startsWith('http') ? path : `${s!.sb.fhirBase}${path}`
  const h: Record<string, string> = { Accept: 'application/fhir+json', ...headers }
  if (tok) h.Authorization = `Bearer ${tok}`
  let payload: string | undefined
  if (body?.form) {
    h['Content-Type'] = 'application/x-www-form-urlencoded'
    payload = new URLSearchParams(body.form).toString()
  } else if (body?.json !== undefined) {
    h['Content-Type'] = 'application/fhir+json'
    payload = JSON.stringify(body.json)
  }
  const res = await fetch(url, { method, headers: h, body: payload })
  const text = await res.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = text
  }
  return { status: res.status, json, headers: res.headers }
}

describe('sandbox FHIR R4 (/fhir/r4)', () => {
  it('serves the CapabilityStatement and SMART configuration without a token, everything else only with one', async () => {
    s = await start()
    const meta = await fhir(null, 'GET', '/metadata')
    expect(meta.status).toBe(200)
    expect(meta.json).toMatchObject({ resourceType: 'CapabilityStatement', id: 'ah-r4-base', fhirVersion: '4.0.1' })
    const obs = meta.json.rest[0].resource.find((r: any) => r.type === 'Observation')
    expect(obs.interaction.map((i: any) => i.code)).toEqual(['read', 'search-type'])
    const smart = await fhir(null, 'GET', '/.well-known/smart-configuration')
    expect(smart.json.token_endpoint).toBe(`${s.sb.url}/oauth2/v1/token`)
    const anon = await fhir(null, 'GET', `/Patient/a-${PRACTICE}.E-1`)
    expect(anon.status).toBe(401)
    expect(anon.json.resourceType).toBeUndefined()
    const noScope = await fhir(await token(s.sb), 'GET', `/Patient/a-${PRACTICE}.E-1`)
    expect(noScope.status).toBe(403)
    expect(noScope.json.resourceType).toBe('OperationOutcome')
  })

  it('shows the same person as /v1 under athena ids, with the athenaNet identifier and ah-practice', async () => {
    s = await start()
    const tok = await token(s.sb, `${MDP} ${FHIR_SCOPES}`)
    const v1 = await api(s.sb, tok, 'GET', '/patients/1005')
    const p = await fhir(tok, 'GET', `/Patient/a-${PRACTICE}.E-1005`)
    expect(p.status).toBe(200)
    expect(p.json.name[0].family).toBe(v1.json[0].lastname)
    expect(p.json.identifier[0]).toEqual({ system: `urn:athenahealth:athenanet:patient:${PRACTICE}`, value: '1005' })
    expect(p.json.extension[0].valueReference.reference).toBe(PRACTICE_PARAM)
    expect(p.json.meta.lastUpdated).toMatch(/^\d{4}-\d{2}-\d{2}T/)
    expect((await fhir(tok, 'GET', '/Patient/1005')).status).toBe(404)
  })

  it('sends the language as BCP-47: the 2-letter code where ISO 639-1 has one, not athenaNet\'s 3-letter code', async () => {
    s = await start()
    const tok = await token(s.sb, `${MDP} ${FHIR_SCOPES}`)
    const TWO: Record<string, string> = { eng: 'en', spa: 'es', zho: 'zh', vie: 'vi', tgl: 'tl', ara: 'ar', fra: 'fr', hat: 'ht', kor: 'ko', rus: 'ru', por: 'pt', hin: 'hi', som: 'so', nav: 'nv', jpn: 'ja' }
    const seen = new Set<string>()
    for (let id = 1001; id <= 1040; id++) {
      const v1 = (await api(s.sb, tok, 'GET', `/patients/${id}`)).json[0]
      const p = (await fhir(tok, 'GET', `/Patient/a-${PRACTICE}.E-${id}`)).json
      const coding = p.communication?.[0]?.language.coding[0]
      if (!v1.language6392code) {
        expect(coding).toBeUndefined()
        continue
      }
      expect(coding, `patient ${id}`).toEqual({ system: 'urn:ietf:bcp:47', code: TWO[v1.language6392code] })
      seen.add(v1.language6392code)
    }
    expect(seen.size).toBeGreaterThan(1)
  })

  it('enforces ah-practice and the required search combinations with 400 OperationOutcome', async () => {
    s = await start()
    const tok = await token(s.sb, `${MDP} ${FHIR_SCOPES}`)
    const noPractice = await fhir(tok, 'GET', `/Patient?_id=a-${PRACTICE}.E-1005`)
    expect(noPractice.status).toBe(400)
    expect(noPractice.json.issue[0].details.text).toMatch(/ah-practice/)
    const onlyBirthdate = await fhir(tok, 'GET', `/Patient?birthdate=1980&ah-practice=${encodeURIComponent(PRACTICE_PARAM)}`)
    expect(onlyBirthdate.status).toBe(400)
    expect(onlyBirthdate.json.issue[0].details.text).toMatch(/family\+birthdate/)
    const obsNoPatient = await fhir(tok, 'GET', `/Observation?category=vital-signs&ah-practice=${encodeURIComponent(PRACTICE_PARAM)}`)
    expect(obsNoPatient.status).toBe(400)
    const v1 = await api(s.sb, tok, 'GET', '/patients/1005')
    const byPost = await fhir(tok, 'POST', '/Patient/_search', { form: { family: v1.json[0].lastname, birthdate: v1.json[0].dob.replace(/(\d\d)\/(\d\d)\/(\d{4})/, '$3-$1-$2'), 'ah-practice': PRACTICE_PARAM } })
    expect(byPost.status).toBe(200)
    expect(byPost.json.entry.map((e: any) => e.resource.id)).toContain(`a-${PRACTICE}.E-1005`)
  })

  it('pages with _count and cursor; next links carry the search and reach every match exactly once', async () => {
    s = await start()
    const tok = await token(s.sb, `${MDP} ${FHIR_SCOPES}`)
    const first = await fhir(tok, 'GET', `/Observation?patient=a-${PRACTICE}.E-1005&_count=3&ah-practice=${encodeURIComponent(PRACTICE_PARAM)}`)
    expect(first.status).toBe(200)
    const total = first.json.total as number
    expect(total).toBeGreaterThan(3)
    const seen: string[] = first.json.entry.map((e: any) => e.resource.id)
    let next = first.json.link.find((l: any) => l.relation === 'next')?.url
    while (next) {
      expect(next.startsWith(s.sb.fhirBase)).toBe(true)
      expect(next).toMatch(/cursor=/)
      const page = await fhir(tok, 'GET', next)
      seen.push(...page.json.entry.map((e: any) => e.resource.id))
      next = page.json.link.find((l: any) => l.relation === 'next')?.url
    }
    expect(seen.length).toBe(total)
    expect(new Set(seen).size).toBe(total)
  })

  it('is read-only for clinical resources (405) unless fhirWrites is on; then it validates and creates', async () => {
    s = await start()
    const tok = await token(s.sb, `${MDP} ${FHIR_SCOPES} system/Observation.write`)
    const bp = { resourceType: 'Observation', status: 'final', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }], code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, subject: { reference: `Patient/a-${PRACTICE}.E-1005` }, effectiveDateTime: '2025-06-02T10:00:00Z', valueQuantity: { value: 120, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } }
    const refused = await fhir(tok, 'POST', '/Observation', { json: bp })
    expect(refused.status).toBe(405)
    expect(refused.json.resourceType).toBe('OperationOutcome')
    s.sb.fhir.setWrites(true)
    const bad = await fhir(tok, 'POST', '/Observation', { json: { ...bp, status: 'bogus' } })
    expect(bad.status).toBe(422)
    const created = await fhir(tok, 'POST', '/Observation', { json: bp })
    expect(created.status).toBe(201)
    const back = await fhir(tok, 'GET', `/Observation?patient=a-${PRACTICE}.E-1005&code=8480-6&_count=1000&ah-practice=${encodeURIComponent(PRACTICE_PARAM)}`)
    expect(back.json.entry.map((e: any) => e.resource.id)).toContain(created.json.id)
  })

  it('serves DocumentReference content through Binary', async () => {
    s = await start()
    const tok = await token(s.sb, `${MDP} ${FHIR_SCOPES}`)
    const up = await api(s.sb, tok, 'POST', '/patients/1005/documents', { documentsubclass: 'CLINICALDOCUMENT_CONSULTNOTE', departmentid: 1, attachmentcontents: Buffer.from('hello consult').toString('base64'), contenttype: 'text/plain' })
    expect(up.status).toBe(200)
    const docs = await fhir(tok, 'GET', `/DocumentReference?patient=a-${PRACTICE}.E-1005&ah-practice=${encodeURIComponent(PRACTICE_PARAM)}`)
    const doc = docs.json.entry.map((e: any) => e.resource).find((r: any) => r.id === `a-${PRACTICE}.document-${up.json.documentid}`)
    const bin = await fhir(tok, 'GET', `/${doc.content[0].attachment.url}`)
    expect(Buffer.from(bin.json.data, 'base64').toString()).toBe('hello consult')
  })

  it('pushes a /v1 change to a subscription as athena does: id-only bundle, X-Hub-Signature over the raw bytes; retries, then dead-letters', async () => {
    s = await start({ clock: systemClock, fhirRetryWindowMs: 600, fhirRetryBaseMs: 50 })
    const got: Array<{ raw: Buffer; sig: string | undefined }> = []
    let answer = 200
    hook = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        got.push({ raw: Buffer.concat(chunks), sig: req.headers['x-hub-signature'] as string | undefined })
        res.writeHead(answer).end()
      })
    })
    await new Promise<void>((r) => hook!.listen(0, '127.0.0.1', () => r()))
    const endpoint = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`
    const tok = await token(s.sb, `${MDP} ${FHIR_SCOPES}`)
    const topics = await fhir(tok, 'GET', '/SubscriptionTopic')
    expect(topics.json.entry.map((e: any) => e.resource.id)).toContain('Patient.update')
    const body = {
      resourceType: 'Subscription',
      meta: { profile: ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription'] },
      status: 'requested',
      reason: 'test',
      criteria: `${s.sb.fhirBase}/SubscriptionTopic/Patient.update`,
      _criteria: { extension: [{ url: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-filter-criteria', valueString: `ah-practice=${PRACTICE_PARAM}` }] },
      channel: { type: 'rest-hook', endpoint, payload: 'application/fhir+json', _payload: { extension: [{ url: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-payload-content', valueCode: 'id-only' }] } },
    }
    const created = await fhir(tok, 'POST', '/Subscription', { json: body }, { 'X-Hub-Secret': 'topsecret' })
    expect(created.status).toBe(201)
    expect(created.json.status).toBe('active')
    expect((await fhir(tok, 'POST', '/Subscription', { json: { ...body, status: 'active' } })).status).toBe(400)

    await api(s.sb, tok, 'PUT', '/patients/1005', { email: 'new@example.org' })
    await s.sb.fhir.push.idle()
    expect(got).toHaveLength(1)
    expect(got[0]!.sig).toBe(`sha256=${createHmac('sha256', 'topsecret').update(got[0]!.raw).digest('hex')}`)
    const bundle = JSON.parse(got[0]!.raw.toString())
    expect(bundle.type).toBe('history')
    expect(bundle.entry[0].resource.resourceType).toBe('SubscriptionStatus')
    expect(bundle.entry[0].resource.notificationEvent[0].focus.reference).toBe(`Patient/a-${PRACTICE}.E-1005`)
    expect(bundle.entry[1].resource.resourceType).toBe('AuditEvent')

    s.sb.fhir.setPushFaults({ duplicate: 1, statusShape: 'parameters', badSignature: 1 })
    await api(s.sb, tok, 'PUT', '/patients/1006', { email: 'x@example.org' })
    await s.sb.fhir.push.idle()
    expect(got).toHaveLength(3)
    expect(JSON.parse(got[1]!.raw.toString()).entry[0].resource.resourceType).toBe('Parameters')
    expect(got[1]!.sig).not.toBe(`sha256=${createHmac('sha256', 'topsecret').update(got[1]!.raw).digest('hex')}`)

    s.sb.fhir.setPushFaults({ drop: 1, statusShape: 'resource' })
    await api(s.sb, tok, 'PUT', '/patients/1007', { email: 'y@example.org' })
    await s.sb.fhir.push.idle()
    expect(got).toHaveLength(3)
    expect(s.sb.fhir.push.counters.dropped).toBe(1)

    answer = 503
    await api(s.sb, tok, 'PUT', '/patients/1008', { email: 'z@example.org' })
    await s.sb.fhir.push.idle()
    expect(got.length).toBeGreaterThan(4)
    expect(s.sb.fhir.push.deadLetters).toHaveLength(1)

    const list = await fhir(tok, 'GET', '/Subscription')
    expect(list.json.total).toBe(1)
    expect((await fhir(tok, 'DELETE', `/Subscription/${created.json.id}`)).status).toBe(204)
    expect((await fhir(tok, 'GET', '/Subscription')).json.total).toBe(0)
  })
})
