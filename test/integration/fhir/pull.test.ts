/**
 * The FHIR connector against the sandbox over real HTTP: one token carrying both scope sets, the
 * connectivity test with the CapabilityStatement, pulls by id / identifier / name + birth date and
 * clinical data with paging (each resource a transaction, mapped into records that are the same
 * records the athenaNet connector makes), PHI kept out of the API log, foreign next links refused,
 * injected 429/5xx retried, and writes routed by capability (athena: /v1 vitals; --fhir-writes:
 * FHIR create) with invalid resources not sent.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { athenaState } from '../../../electron/engine/connectors/athena'
import { DEFAULT_FHIR_SCOPES } from '../../../shared/config'
import { fhir, patientRecord, PRACTICE, startFhirTest, txRows, type FhirTest } from './support'

let f: FhirTest | undefined
let other: Server | undefined
afterEach(async () => {
  await f?.stop()
  f = undefined
  await new Promise<void>((r) => (other ? other.close(() => r()) : r()))
  other = undefined
})

describe('FHIR client and pulls against the sandbox', () => {
  it('tests connectivity (dns → tls → token with both scope sets → metadata → search) and keeps the capabilities', async () => {
    f = await startFhirTest()
    const r = await f.call<any>('connections.test', { id: f.fhirConnectionId })
    expect(r.steps.map((s: any) => [s.step, s.ok])).toEqual([['dns', true], ['tls', true], ['token', true], ['metadata', true], ['search', true]])
    const caps = await f.call<any>('fhir.capabilities', { practiceId: PRACTICE })
    const obs = caps.resources.find((x: any) => x.type === 'Observation')
    expect(obs.interactions).toEqual(['read', 'search-type'])
    expect(obs.requiredCombos).toEqual([['patient'], ['_id']])
    expect(caps.resources.find((x: any) => x.type === 'Patient').searchParams).toEqual(expect.arrayContaining(['identifier', 'family', 'birthdate', 'ah-practice', 'cursor']))
    // By connection: the same statement; a connection that is not this practice's FHIR connection is not found.
    expect(await f.call<any>('fhir.capabilities', { practiceId: PRACTICE, connectionId: f.fhirConnectionId })).toEqual(caps)
    await expect(f.call('fhir.capabilities', { practiceId: PRACTICE, connectionId: f.athenaConnectionId })).rejects.toThrow(/not_found/)
    // One token for both: the FHIR connection's token also works on /v1.
    const tok = await fhir(f).runtime.entry(PRACTICE).tokens.getToken()
    const v1 = await fetch(`${f.sb.url}/v1/195900/ping`, { headers: { Authorization: `Bearer ${tok}` } })
    expect(v1.status).toBe(200)
  })

  it('pulls a patient by id, identifier and name + birth date into one record shared with the athenaNet connector, and clinical data page by page', async () => {
    f = await startFhirTest()
    // The athenaNet connector imports the patient first: FHIR must land on the same record.
    await f.call('athena.importPatient', { practiceId: PRACTICE, patientId: '1005' })
    await f.settled()
    const before = patientRecord(f, '1005')
    expect(before).not.toBeNull()

    const byId = await f.call<any>('fhir.pull.patient', { practiceId: PRACTICE, id: 'a-195900.E-1005' })
    expect(byId.stored).toBe(1)
    await f.settled()
    const rec = patientRecord(f, '1005')
    expect(rec.id).toBe(before.id)
    expect(rec.externalIds).toEqual(expect.arrayContaining([{ system: 'athena', value: '1005' }, { system: 'fhir', value: 'a-195900.E-1005' }]))
    const again = await f.call<any>('fhir.pull.patient', { practiceId: PRACTICE, identifier: 'urn:athenahealth:athenanet:patient:195900|1005' })
    expect(again).toMatchObject({ resources: 1, duplicates: 1, stored: 0 })
    const byName = await f.call<any>('fhir.pull.patient', { practiceId: PRACTICE, family: rec.data.last_name, birthdate: rec.data.date_of_birth })
    expect(byName.resources).toBeGreaterThanOrEqual(1)

    const clinical = await f.call<any>('fhir.pull.clinical', { practiceId: PRACTICE, patientId: 'a-195900.E-1005' })
    expect(clinical.pages).toBeGreaterThan(3)
    await f.settled()
    const failed = txRows(f).filter((r) => r.status !== 'done')
    expect(failed).toEqual([])
    const obs = f.engine.ctx.db.prepare("SELECT count(*) AS n FROM records WHERE practice_id = ? AND kind = 'observation' AND patient_ref = ?").get(PRACTICE, rec.id) as { n: number }
    const fhirObs = txRows(f, "connector = 'fhir' AND message_type = 'Observation'").length
    expect(obs.n).toBe(fhirObs)
    // Vitals carry the athenaNet key the /v1 chart sync uses, so both land on one record.
    const vital = f.engine.ctx.db.prepare("SELECT value FROM external_ids WHERE practice_id = ? AND kind = 'observation' AND system = 'athena' AND value LIKE '1005:vital:%' LIMIT 1").get(PRACTICE)
    expect(vital).toBeDefined()

    // The API log never holds PHI: searches go as POST _search, paths are templates.
    const log = athenaState(f.engine.ctx).runtime.apiLog.list({ practiceId: PRACTICE, limit: 500 })
    const fhirCalls = log.filter((l: any) => l.endpoint.startsWith('/fhir/r4'))
    expect(fhirCalls.some((l: any) => l.endpoint === '/fhir/r4/Patient/_search')).toBe(true)
    for (const l of fhirCalls) expect(l.path).not.toContain(rec.data.last_name)
  })

  it('refuses a next link to another origin', async () => {
    other = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/fhir+json' })
      res.end(JSON.stringify({ resourceType: 'Bundle', type: 'searchset', entry: [], link: [{ relation: 'next', url: 'http://evil.example/fhir/r4/Patient?cursor=x' }] }))
    })
    await new Promise<void>((r) => other!.listen(0, '127.0.0.1', () => r()))
    const port = (other.address() as AddressInfo).port
    f = await startFhirTest({ fhir: { baseUrl: `http://127.0.0.1:${port}/fhir/r4`, tokenUrl: null, practiceContext: false } })
    // The token comes from the sandbox; the search from the other server.
    const entry = fhir(f).runtime.entry(PRACTICE)
    const client = new (entry.client.constructor as any)({ ...(entry.client as any).o, tokens: { getToken: async () => 't', invalidate: () => undefined } })
    const pages = client.pages('Patient', [['_id', 'x']])
    await pages.next()
    await expect(pages.next()).rejects.toMatchObject({ code: 'remote_rejected', details: { reason: 'foreign_link' } })
  })

  it('retries injected 429 and 5xx on reads and loses nothing', async () => {
    f = await startFhirTest({ sandbox: { retryAfter: true } })
    f.sb.setFaults({ errorRate: 0.4, errorStatuses: [429, 500, 503], seed: 7 })
    const r = await f.call<any>('fhir.pull.clinical', { practiceId: PRACTICE, patientId: 'a-195900.E-1005' })
    expect(f.sb.stats().faults.errors).toBeGreaterThan(0)
    f.sb.resetFaults()
    const tok = await fhir(f).runtime.entry(PRACTICE).tokens.getToken()
    const all = await fetch(`${f.sb.fhirBase}/Observation?patient=a-195900.E-1005&_count=1000&ah-practice=Organization/a-1.Practice-195900`, { headers: { Authorization: `Bearer ${tok}` } })
    const enc = await fetch(`${f.sb.fhirBase}/Encounter?patient=a-195900.E-1005&_count=1000&ah-practice=Organization/a-1.Practice-195900`, { headers: { Authorization: `Bearer ${tok}` } })
    const docs = await fetch(`${f.sb.fhirBase}/DocumentReference?patient=a-195900.E-1005&_count=1000&ah-practice=Organization/a-1.Practice-195900`, { headers: { Authorization: `Bearer ${tok}` } })
    const total = ((await all.json()) as any).total + ((await enc.json()) as any).total + ((await docs.json()) as any).total
    expect(r.resources).toBe(total)
    expect(new Set(r.txIds).size).toBe(total)
  })

  it('writes a vital sign through athenaNet /v1 when the CapabilityStatement refuses Observation create, through FHIR when it allows it, and never sends an invalid one', async () => {
    f = await startFhirTest({ fhir: { scopes: [...DEFAULT_FHIR_SCOPES, 'system/Observation.write'] } })
    await f.call('fhir.pull.patient', { practiceId: PRACTICE, id: 'a-195900.E-1005' })
    await f.settled()
    const patient = patientRecord(f, '1005')
    const ctx = f.engine.ctx
    const obs = ctx.records.upsert({ practiceId: PRACTICE, kind: 'observation', ids: [{ system: 'studio', value: 'bp-1' }], patientRef: patient.id, data: { category: 'vital', code: '8480-6', value: 132, unit: 'mmHg', status: 'final', observed_at: '2025-06-02T10:00:00Z' } })
    const w1 = await f.call<any>('fhir.write', { practiceId: PRACTICE, recordId: obs.id })
    expect(w1).toMatchObject({ path: 'athena-v1', status: 'sent' })
    expect(w1.why).toMatch(/does not allow Observation create \(read, search-type\)/)
    const vitals = await fetch(`${f.sb.url}/v1/195900/chart/1005/vitals?departmentid=1`, { headers: { Authorization: `Bearer ${await fhir(f).runtime.entry(PRACTICE).tokens.getToken()}` } })
    const bp = ((await vitals.json()) as any).vitals.find((v: any) => v.key === 'BLOODPRESSURE')
    expect(bp.readings.flat().some((r: any) => r.clinicalelementid === 'VITALS.BLOODPRESSURE.SYSTOLIC' && r.value === '132')).toBe(true)

    f.sb.fhir.setWrites(true)
    await f.call('fhir.capabilities', { practiceId: PRACTICE, refresh: true })
    const w2 = await f.call<any>('fhir.write', { practiceId: PRACTICE, recordId: obs.id })
    expect(w2).toMatchObject({ path: 'fhir', status: 'sent' })
    expect(w2.resourceId).toBeTruthy()

    const bad = ctx.records.upsert({ practiceId: PRACTICE, kind: 'observation', ids: [{ system: 'studio', value: 'bp-2' }], patientRef: patient.id, data: { category: 'vital', code: '8480-6', value: 'high', unit: 'mmHg', status: 'final', observed_at: '2025-06-02T10:00:00Z' } })
    const w3 = await f.call<any>('fhir.write', { practiceId: PRACTICE, recordId: bad.id })
    expect(w3.status).toBe('invalid')
    expect(w3.issues.map((i: any) => i.path)).toContain('Observation.valueQuantity.value')
  })
})
