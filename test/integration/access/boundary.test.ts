/**
 * Practice boundaries, proved over the whole contract through the real HTTP transport.
 *
 * Two practices hold data of every kind the console shows: transactions (received over real
 * MLLP listeners, some failing into error groups), records, connections, saved searches, alert
 * rules and notifications, mapping samples, API-log rows, break-glass sessions, people, audit
 * entries, engine log lines. Everything of practice B carries the marker "bravo".
 *
 * - Every method of the contract has an entry in INPUTS (a new method fails the first test until
 *   someone decides how it is called and scoped).
 * - Alice, practice admin of A only, calls every read method with A's inputs (and the lists with
 *   no practice at all) and gets zero "bravo" anywhere in any answer; the SSE stream carries
 *   A's events and none of B's.
 * - Every method that names B (its id, a row of it) is refused as not_found, and the refusal is
 *   audited.
 * - Every method that needs a permission is refused (forbidden) to a person who holds every
 *   permission on every practice but that one.
 */
import { connect } from 'node:net'
import { CLAIM_SETTINGS } from '../files/billing-support'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { contract, PERMISSIONS, type Method } from '../../../shared/api'
import { hl7Runtime } from '../../../electron/engine/connectors/hl7-engine'
import { methodRules } from '../../../electron/engine/access/method-access'
import { BUILTIN_ROLES } from '../../../electron/engine/access/roles'
import { adtMessage, openAccessEngine, PASSWORD, type AccessEngine, type HttpClient } from './support'

interface Fixture {
  txA: number
  txB: number
  errA: number
  connA: string
  connB: string
  savedA: string
  savedB: string
  ruleA: string
  ruleB: string
  noteA: string
  noteB: string
  channelA: string
  channelB: string
  sampleA: number
  sampleB: number
  bgB: string
  personB: string
  alice: string
  apiA: number
  apiB: number
}

type P = 'alpha' | 'bravo'
/** A valid input naming practice `p` (or one of its rows). `read`: the method only reads. */
type Entry = { read: boolean; input: (p: P, f: Fixture) => unknown; names?: false }

const KEY = 'hl7.adt.patient.in'
const pick = <T,>(p: P, a: T, b: T): T => (p === 'alpha' ? a : b)
const practice = (read: boolean, extra: Record<string, unknown> = {}): Entry => ({ read, input: (p) => ({ practiceId: p, ...extra }) })
const noPractice = (read: boolean, input: unknown = {}): Entry => ({ read, input: () => input, names: false })
const override = { baseKey: KEY }

const INPUTS: Record<Method, Entry> = {
  'system.status': noPractice(true),
  'system.ping': noPractice(true),

  'practices.list': noPractice(true),
  'practices.get': { read: true, input: (p) => ({ id: p }) },
  'practices.create': noPractice(false, { id: 'charlie', name: 'Charlie' }),
  'practices.update': { read: false, input: (p) => ({ id: p, name: 'Renamed' }) },
  'practices.usage': { read: true, input: (p) => ({ id: p }) },
  'practices.delete': { read: false, input: (p) => ({ id: p, confirm: p }) },

  'connections.list': practice(true),
  'connections.lastTests': practice(true),
  'connections.create': practice(false, { kind: 'hl7-inbound', name: 'x-in', config: { host: '127.0.0.1', port: 0 } }),
  'connections.update': { read: false, input: (p, f) => ({ id: pick(p, f.connA, f.connB), kind: 'hl7-inbound', name: 'adt-in', config: { host: '127.0.0.1', port: 0 } }) },
  'connections.delete': { read: false, input: (p, f) => ({ id: pick(p, f.connA, f.connB) }) },
  'connections.setSecret': { read: false, input: (p, f) => ({ id: pick(p, f.connA, f.connB), field: 'password', value: 'x' }) },
  'connections.clearSecret': { read: false, input: (p, f) => ({ id: pick(p, f.connA, f.connB), field: 'password' }) },
  'connections.test': { read: false, input: (p, f) => ({ id: pick(p, f.connA, f.connB) }) },
  'connections.testAll': practice(false),

  'transactions.list': practice(true),
  'transactions.get': { read: true, input: (p, f) => ({ id: pick(p, f.txA, f.txB) }) },
  'transactions.payload': { read: true, input: (p, f) => ({ id: pick(p, f.txA, f.txB), stage: 'raw' }) },
  'transactions.reprocess': { read: false, input: (p, f) => ({ ids: [pick(p, f.txA, f.txB)] }) },
  'transactions.editAndReprocess': { read: false, input: (p, f) => ({ id: pick(p, f.txA, f.txB), raw: 'MSH|x', reason: 'fix' }) },
  'transactions.discard': { read: false, input: (p, f) => ({ ids: [pick(p, f.txA, f.txB)], reason: 'not needed' }) },
  'transactions.counts': practice(true),

  'audit.list': practice(true),
  'audit.export': practice(true),
  'audit.verify': noPractice(true),
  'audit.alerts': noPractice(true),
  'audit.acknowledgeAlert': noPractice(false, { id: 'none' }),
  'audit.acceptBreak': noPractice(false, { reason: 'investigated: IT ticket 4411' }),
  'system.settings': noPractice(true),
  'system.saveSettings': noPractice(false, {}),
  'retention.runs': noPractice(true),
  'retention.pruneNow': noPractice(false),
  'backups.list': noPractice(true),
  'backups.create': noPractice(false),
  'config.export': { read: true, input: (p) => ({ practiceIds: [p] }), names: false },
  'config.import': noPractice(false, { json: '{}', dryRun: true }),

  'mappings.sets': practice(true),
  'mappings.get': practice(true, { key: KEY }),
  'mappings.effective': practice(true, { key: KEY, override: null }),
  'mappings.saveDraft': practice(false, { key: KEY, override }),
  'mappings.discardDraft': practice(false, { key: KEY }),
  'mappings.preview': { read: false, input: (p, f) => ({ practiceId: p, key: KEY, override: null, sample: { id: pick(p, f.sampleA, f.sampleB) } }) },
  'mappings.runTests': practice(false, { key: KEY, override: null }),
  'mappings.testFromSample': { read: false, input: (p, f) => ({ practiceId: p, key: KEY, override: null, sample: { id: pick(p, f.sampleA, f.sampleB) }, name: 't' }) },
  'mappings.publish': practice(false, { key: KEY, comment: 'c' }),
  'mappings.versions': practice(true, { key: KEY }),
  'mappings.diff': practice(true, { key: KEY, from: 'live', to: 'live' }),
  'mappings.rollback': practice(false, { key: KEY, version: 0 }),
  'mappings.export': practice(true, { key: KEY }),
  'mappings.import': practice(false, { key: KEY, json: '{}' }),
  'mappings.codeMapExport': practice(true, { key: KEY, override: null, map: 'sex' }),
  'mappings.codeMapImport': practice(false, { key: KEY, override: null, map: 'sex', csv: 'from,to\n', mode: 'merge' }),
  'mappings.samples.list': practice(true),
  'mappings.samples.add': practice(false, { name: 's', text: 'MSH|^~\\&|A' }),
  'mappings.samples.remove': { read: false, input: (p, f) => ({ practiceId: p, id: pick(p, f.sampleA, f.sampleB) }) },
  'mappings.samples.sources': practice(true),
  'mappings.samples.browse': practice(true, { source: 'transactions' }),
  'mappings.samples.import': { read: false, input: (p, f) => ({ practiceId: p, source: 'transactions', id: String(pick(p, f.txA, f.txB)) }) },
  'mappings.samples.tree': { read: true, input: (p, f) => ({ practiceId: p, key: KEY, sample: { id: pick(p, f.sampleA, f.sampleB) } }) },
  'mappings.samples.reveal': { read: true, input: (p, f) => ({ practiceId: p, id: pick(p, f.sampleA, f.sampleB), reason: 'check' }) },
  'mappings.misses': practice(true),
  'mappings.addMissEntry': practice(false, { key: KEY, map: 'sex', value: 'Q', to: 'U' }),
  'mappings.reprocessMisses': practice(false, { key: KEY, map: 'sex', value: 'Q' }),
  'mappings.dismissMiss': practice(false, { key: KEY, map: 'sex', value: 'Q' }),

  'dashboard.summary': practice(true, { from: 0, to: Date.parse('2030-01-01') }),
  'dashboard.lanes': practice(true),
  'dashboard.beginExport': { read: true, input: (p) => ({ filter: { practiceId: p }, format: 'csv' }) },

  'errors.groups': practice(true),
  'errors.plan': { read: true, input: (p) => ({ selection: { kind: 'filter', filter: { practiceId: p } }, action: 'reprocess' }) },
  'errors.reprocess': { read: false, input: (p, f) => ({ selection: { kind: 'ids', ids: [pick(p, f.txA, f.txB)] }, upToId: 1_000_000 }) },
  'errors.discard': { read: false, input: (p, f) => ({ selection: { kind: 'ids', ids: [pick(p, f.txA, f.txB)] }, upToId: 1_000_000, reason: 'not needed' }) },
  'errors.triage': { read: false, input: (p) => ({ selection: { kind: 'filter', filter: { practiceId: p } }, state: 'investigating' }) },
  'errors.preview': { read: true, input: (p, f) => ({ id: pick(p, f.errA, f.txB), raw: 'MSH|^~\\&|A' }) },

  'inspector.view': { read: true, input: (p, f) => ({ id: pick(p, f.txA, f.txB) }) },
  'inspector.reveal': { read: true, input: (p, f) => ({ id: pick(p, f.txA, f.txB), stage: 'raw', path: 'PID-5' }) },
  'inspector.settings': noPractice(true),
  'inspector.saveSettings': noPractice(false, { revealReason: 'optional' }),

  'savedSearches.list': practice(true),
  'savedSearches.save': practice(false, { name: 'n', filter: {} }),
  'savedSearches.delete': { read: false, input: (p, f) => ({ id: pick(p, f.savedA, f.savedB) }) },

  'alerts.rules': practice(true),
  'alerts.saveRule': { read: false, input: (p, f) => ({ id: pick(p, f.ruleA, f.ruleB), practiceId: p, name: 'r', kind: 'error_count' }) },
  'alerts.deleteRule': { read: false, input: (p, f) => ({ id: pick(p, f.ruleA, f.ruleB) }) },
  'alerts.evaluate': practice(true),
  'alerts.notifications': practice(true),
  'alerts.markRead': { read: false, input: (p, f) => ({ ids: [pick(p, f.noteA, f.noteB)] }) },

  'athena.sync': practice(false, { what: 'reference' }),
  'athena.syncStatus': practice(true),
  'athena.searchPatients': practice(true, { lastName: 'Doe' }),
  'athena.bestMatch': practice(true, { firstName: 'Jane', lastName: 'Doe', dob: '1980-01-01' }),
  'athena.importPatient': practice(false, { patientId: '1' }),
  'athena.createPatient': practice(false, { firstName: 'J', lastName: 'D', dob: '1980-01-01', departmentId: '1' }),
  'athena.updatePatient': practice(false, { recordId: 1 }),
  'athena.referenceData': practice(true, { kind: 'department' }),
  'athena.openSlots': practice(true, { departmentId: '1', reasonId: '-1' }),
  'athena.bookedAppointments': practice(true, { departmentId: '1', startDate: '2026-03-01', endDate: '2026-03-02' }),
  'athena.createSlots': practice(false, { departmentId: '1', providerId: '1', date: '2026-03-03', times: ['09:00'], appointmentTypeId: '1' }),
  'athena.book': practice(false, { appointmentId: '1', patientId: '1', reasonId: '1' }),
  'athena.cancel': practice(false, { appointmentId: '1', patientId: '1' }),
  'athena.reschedule': practice(false, { appointmentId: '1', newAppointmentId: '2', patientId: '1' }),
  'athena.pushAppointment': practice(false, { recordId: 1, action: 'book' }),
  'athena.uploadDocument': practice(false, { patientId: '1', departmentId: '1', documentSubclass: 'CLINICALDOCUMENT', filename: 'a.pdf', contentBase64: 'AA==' }),
  'athena.apiLog.list': practice(true),
  'athena.apiLog.endpoints': practice(true),
  'athena.apiLog.export': practice(true),
  'athena.apiLog.get': { read: true, input: (p, f) => ({ practiceId: p, id: pick(p, f.apiA, f.apiB) }) },
  'athena.usage': practice(true),
  'athena.usageAll': noPractice(true),
  'athena.circuit': practice(false, { state: 'auto' }),

  'hl7.listeners': practice(true),
  'hl7.destinations': practice(true),
  'hl7.sendTest': { read: false, input: (p, f) => ({ id: pick(p, f.connA, f.connB) }) },
  'hl7.tryInterface': noPractice(true, { message: 'MSH|^~\\&|A|B|C|D|20260101||ADT^A08|1|P|2.5.1' }),
  'hl7.supportedTypes': noPractice(true),

  'logs.tail': practice(true),

  'auth.state': noPractice(true),
  'auth.setup': noPractice(false, { username: 'x', displayName: 'x', password: 'x' }),
  'auth.signIn': noPractice(false, { username: 'x', password: 'x' }),
  'auth.signOut': noPractice(false),
  'auth.reauthenticate': noPractice(false, { password: 'x' }),
  'auth.oidcBegin': noPractice(false),
  'auth.oidcFinish': noPractice(false, { callbackUrl: 'http://127.0.0.1/cb?code=x&state=y' }),
  'auth.oidcLoopbackFinish': noPractice(false, { state: 'y' }),
  'account.changePassword': noPractice(false, { current: 'x', next: 'y' }),
  'account.totpBegin': noPractice(false, { password: 'x' }),
  'account.totpConfirm': noPractice(false, { code: '123456' }),
  'account.totpDisable': noPractice(false, { password: 'x' }),
  'account.sessions': noPractice(true),
  'account.revokeSession': noPractice(false, { id: 'none' }),

  'people.list': practice(true),
  'people.invite': { read: false, input: (p) => ({ username: 'newbie', displayName: 'New', grants: [{ practiceId: p, roleId: 'viewer' }] }) },
  'people.update': { read: false, input: (p, f) => ({ id: pick(p, f.alice, f.personB), displayName: 'X' }) },
  'people.setGrants': { read: false, input: (p, f) => ({ id: f.personB, practiceIds: [p], grants: [] }) },
  'people.setStatus': { read: false, input: (p, f) => ({ id: pick(p, f.alice, f.personB), status: 'active' }) },
  'people.resetSecondFactor': { read: false, input: (p, f) => ({ id: pick(p, f.alice, f.personB) }) },
  'people.resetPassword': { read: false, input: (p, f) => ({ id: pick(p, f.alice, f.personB) }) },
  'people.sessions': { read: true, input: (p, f) => ({ id: pick(p, f.alice, f.personB) }) },
  'people.revokeSession': { read: false, input: (p, f) => ({ id: pick(p, f.alice, f.personB), sessionId: 'none' }) },
  'roles.list': noPractice(true),
  'roles.save': noPractice(false, { name: 'Custom', permissions: ['msg.view_meta'] }),
  'roles.delete': noPractice(false, { id: 'custom' }),

  'breakglass.start': practice(false, { reasonCategory: 'treatment', reason: 'a patient in the waiting room needs it', password: PASSWORD }),
  'breakglass.stop': noPractice(false, { id: 'none' }),
  'breakglass.list': practice(true),
  'breakglass.review': { read: false, input: (_p, f) => ({ id: f.bgB, note: 'reviewed' }) },

  'fhir.capabilities': practice(true),
  'fhir.pull.patient': practice(false, { id: 'a-1.E-1' }),
  'fhir.pull.clinical': practice(false, { patientId: 'a-1.E-1' }),
  'fhir.pull.panel': practice(false),
  'fhir.pull.reference': practice(false),
  'fhir.write': practice(false, { recordId: 1 }),
  'fhir.topics': practice(true),
  'fhir.subscriptions.list': practice(true),
  'fhir.subscriptions.renew': practice(false, { id: 1 }),
  'fhir.subscriptions.delete': practice(false, { id: 1 }),
  'fhir.subscriptions.sync': practice(false),
  'fhir.subscriptions.sendTest': practice(false, { id: 1 }),
  'fhir.webhook.status': practice(true),
  'fhir.reconcile': practice(false),

  'files.kinds': noPractice(true),
  'files.jobs.list': practice(true),
  'files.jobs.create': { read: false, input: (p, f) => ({ practiceId: p, name: 'nightly', config: { connectionId: pick(p, f.connA, f.connB), direction: 'inbound', kind: 'demographics' } }) },
  'files.jobs.update': { read: false, input: (p, f) => ({ id: 'none', practiceId: p, name: 'nightly', config: { connectionId: pick(p, f.connA, f.connB), direction: 'inbound', kind: 'demographics' } }) },
  'files.jobs.delete': practice(false, { id: 'none' }),
  'files.jobs.run': practice(false, { id: 'none' }),
  'files.jobs.runs': practice(true, { id: 'none' }),
  'files.list': practice(true),
  'files.report': { read: true, input: (p, f) => ({ practiceId: p, txId: pick(p, f.txA, f.txB) }) },
  'files.reportCsv': { read: true, input: (p, f) => ({ practiceId: p, txId: pick(p, f.txA, f.txB) }) },
  'files.identity': { read: false, input: (p, f) => ({ connectionId: pick(p, f.connA, f.connB) }) },
  'files.trustIdentity': { read: false, input: (p, f) => ({ connectionId: pick(p, f.connA, f.connB), fingerprint: 'SHA256:' + 'A'.repeat(43) }) },
  'files.changes': practice(true),
  'files.decideChanges': practice(false, { ids: [1], decision: 'reject' }),

  'matching.worklist': practice(true),
  'matching.pair': practice(true, { id: 1 }),
  'matching.resolve': practice(false, { id: 1, action: 'not_duplicate' }),
  'matching.undo': practice(false, { id: 1 }),
  'matching.exportCsv': practice(true),

  'billing.settings': practice(true),
  'billing.saveSettings': practice(false, { settings: CLAIM_SETTINGS }),
  'billing.previewClaims': practice(true),
  'billing.generateClaims': practice(false),
  'billing.resubmitClaim': practice(false, { claimId: 1, frequency: '8' }),
  'billing.claims': practice(true),
  'billing.claimFiles': practice(true),
  'billing.claimFileContent': practice(true, { id: 1 }),
  'billing.importRemittance': practice(false, { fileName: 'era.835', content: 'ISA*' }),
  'billing.importDeposits': practice(false, { fileName: 'deposits.csv', content: 'date,amount,trace\n' }),
  'billing.remittances': practice(true),
  'billing.remittanceClaims': practice(true, { remittanceId: 1 }),
  'billing.deposits': practice(true),
  'billing.reconciliation': practice(true, { from: '2026-01-01', to: '2026-01-31' }),
  'billing.exportReconciliation': practice(true, { from: '2026-01-01', to: '2026-01-31' }),

  'appointments.batchSettings': practice(true),
  'appointments.saveBatchSettings': practice(false, { settings: {} }),
  'appointments.importFile': practice(false, { fileName: 'schedule.csv', content: 'appointment_id\n', wait: false }),
  'appointments.runs': practice(true),
  'appointments.runRows': practice(true, { runId: 1 }),
  'appointments.runReportCsv': practice(true, { runId: 1 }),
  'appointments.conflicts': practice(true),
  'appointments.conflict': practice(true, { id: 1 }),
  'appointments.resolveConflict': practice(false, { id: 1, resolution: 'ours' }),
  'appointments.held': practice(true),
  'appointments.retryHeld': practice(false),
  'appointments.export': practice(true, { from: '2026-01-01', to: '2026-01-31' }),

  'patients.links': practice(true),
  'patients.undoLink': practice(false, { id: 1 }),
  'errors.advice': noPractice(true),
  'alerts.kinds': noPractice(true),
  'alerts.channels': practice(true),
  'alerts.saveChannel': { read: false, input: (p, f) => ({ id: pick(p, f.channelA, f.channelB), practiceId: p, name: 'pager', kind: 'webhook', config: { url: 'https://example.test/hook' } }) },
  'alerts.deleteChannel': { read: false, input: (p, f) => ({ id: pick(p, f.channelA, f.channelB) }) },
  'alerts.testChannel': { read: false, input: (p, f) => ({ id: pick(p, f.channelA, f.channelB) }) },
  'alerts.deliveries': practice(true),
}

let t: AccessEngine
let fx: Fixture
let alice: HttpClient

function frame(port: number, body: string): Promise<string> {
  return new Promise((res, rej) => {
    const s = connect(port, '127.0.0.1', () => s.write(Buffer.concat([Buffer.from([0x0b]), Buffer.from(body, 'latin1'), Buffer.from([0x1c, 0x0d])])))
    let got = Buffer.alloc(0)
    s.on('data', (d) => {
      got = Buffer.concat([got, d])
      if (got.includes(0x1c)) {
        s.end()
        res(got.toString('latin1'))
      }
    })
    s.on('error', rej)
  })
}

async function seed(p: P): Promise<{ tx: number; err: number; conn: string; saved: string; rule: string; note: string; sample: number; channel: string; api: number }> {
  const up = p.toUpperCase()
  await t.internal('practices.create', { id: p, name: p === 'alpha' ? 'Alpha Family Medicine' : 'Bravo Marker Clinic' })
  const conn = await t.internal<{ id: string }>('connections.create', { practiceId: p, kind: 'hl7-inbound', name: `${p}-adt-in`, config: { host: '127.0.0.1', port: 0 } })
  const port = hl7Runtime(t.engine.ctx)!.listeners.find(p, `${p}-adt-in`)!.port
  await frame(port, adtMessage({ control: `${up}CTL1`, mrn: `${up}MRN1`, last: `${up}PATIENT` }))
  // An impossible date of birth fails mapping: an error group with this practice's rows.
  await frame(port, adtMessage({ control: `${up}CTL2`, mrn: `${up}MRN2`, last: `${up}PATIENT` }).replace('19800101', '19801399'))
  await t.engine.ctx.pipeline.idle(60_000)
  t.engine.ctx.pipeline.drainInbox()
  const rows = t.engine.ctx.db.prepare('SELECT id, status FROM transactions WHERE practice_id = ? ORDER BY id').all(p) as { id: number; status: string }[]
  const saved = await t.internal<{ id: string }>('savedSearches.save', { practiceId: p, name: `${p} search`, filter: { q: `${up}MRN1` } })
  const rule = await t.internal<{ id: string }>('alerts.saveRule', { practiceId: p, name: `${p} errors`, kind: 'error_count', threshold: 1, windowMinutes: 43200 })
  const notes = await t.internal<{ id: string }[]>('alerts.evaluate', { practiceId: p })
  const channel = await t.internal<{ id: string }>('alerts.saveChannel', { practiceId: p, name: `${p} pager`, kind: 'webhook', config: { url: `https://${p}.example.test/hook` } })
  const sample = await t.internal<{ id: number }>('mappings.samples.add', { practiceId: p, name: `${p} sample`, text: adtMessage({ control: `${up}SAMPLE`, mrn: `${up}MRN9`, last: `${up}SAMPLEPATIENT` }) })
  const api = t.engine.ctx.db
    .prepare(`INSERT INTO athena_api_calls (at, practice_id, connection_id, method, endpoint, path, status, outcome, latency_ms, attempt, request_id) VALUES (?, ?, NULL, 'GET', ?, ?, 200, 'ok', 5, 1, ?)`)
    .run(t.clock.now(), p, `/${p}/patients`, `/v1/${p}/patients`, `${p}-req`)
  t.engine.ctx.db
    .prepare('INSERT INTO athena_api_call_detail (call_id, request_headers, request_body, response_headers, response_body) VALUES (?, ?, NULL, ?, ?)')
    .run(api.lastInsertRowid, '{}', '{}', JSON.stringify({ patients: [{ patientid: `${p}-1` }] }))
  return { tx: rows[0].id, err: rows.find((r) => r.status === 'error')!.id, conn: conn.id, saved: saved.id, rule: rule.id, note: notes[0].id, sample: sample.id, channel: channel.id, api: Number(api.lastInsertRowid) }
}

beforeAll(async () => {
  t = await openAccessEngine({ access: { stepUpMinutes: 600 } })
  const a = await seed('alpha')
  const b = await seed('bravo')
  // Someone who works only in bravo, with a break-glass session there that ended.
  const bob = await t.person('bravouser', [{ practiceId: 'bravo', roleId: 'viewer' }])
  await t.internal('roles.save', { id: 'oncall', name: 'On-call viewer', permissions: ['msg.view_meta', 'breakglass.invoke'] })
  await t.internal('people.setGrants', { id: bob.personId, practiceIds: ['bravo'], grants: [{ practiceId: 'bravo', roleId: 'oncall' }] })
  const bg = await bob.ok<{ id: string }>('breakglass.start', { practiceId: 'bravo', reasonCategory: 'treatment', reason: 'bravo patient at the front desk', password: PASSWORD })
  await bob.ok('breakglass.stop', { id: bg.id })
  const al = await t.person('alice', [{ practiceId: 'alpha', roleId: 'practice_admin' }])
  alice = al
  fx = { txA: a.tx, txB: b.tx, errA: a.err, connA: a.conn, connB: b.conn, savedA: a.saved, savedB: b.saved, ruleA: a.rule, ruleB: b.rule, noteA: a.note, noteB: b.note, channelA: a.channel, channelB: b.channel, sampleA: a.sample, sampleB: b.sample, bgB: bg.id, personB: bob.personId, alice: al.personId, apiA: a.api, apiB: b.api }
  // The engine log has lines about both practices.
  expect(t.logs.some((l) => l.includes('"practiceId":"bravo"'))).toBe(true)
}, 180_000)
afterAll(async () => {
  await t?.close()
})

describe('the contract walk', () => {
  it('every method of the contract has an entry (a new method must say how it is called and scoped)', () => {
    expect(Object.keys(contract).filter((m) => !(m in INPUTS))).toEqual([])
  })

  it('as a person granted only practice A, no read method answers anything of practice B', async () => {
    const leaks: string[] = []
    let answered = 0
    for (const [m, e] of Object.entries(INPUTS) as [Method, Entry][]) {
      if (!e.read) continue
      const calls = [e.input('alpha', fx)]
      // Lists also without a practice: then they cover every practice the caller may see.
      const i = calls[0] as Record<string, unknown>
      if (i && typeof i === 'object' && 'practiceId' in i) {
        const { practiceId: _drop, ...rest } = i
        if (contract[m].input.safeParse(rest).success) calls.push(rest)
      }
      for (const input of calls) {
        const r = await alice.call(m, input)
        const text = JSON.stringify(r).toLowerCase()
        if (text.includes('bravo')) leaks.push(`${m} ${JSON.stringify(input)} → ${text.slice(text.indexOf('bravo') - 120, text.indexOf('bravo') + 60)}`)
        if (r.ok) answered++
      }
    }
    expect(leaks).toEqual([])
    // The walk is real: most reads answered (the rest fail for reasons of their own, e.g. no athenaNet connection).
    expect(answered).toBeGreaterThan(60)
  })

  it("practice A's data is there (the walk would be empty otherwise)", async () => {
    const list = await alice.ok<{ items: { practiceId: string; mrn: string }[] }>('transactions.list', {})
    expect(list.items.map((x) => x.practiceId)).toEqual(expect.arrayContaining(['alpha']))
    expect(new Set(list.items.map((x) => x.practiceId))).toEqual(new Set(['alpha']))
    expect((await alice.ok<{ id: string }[]>('practices.list')).map((p) => p.id)).toEqual(['alpha'])
  })

  it('every method that names practice B or one of its rows is refused as not found, and audited', async () => {
    const wrong: string[] = []
    for (const [m, e] of Object.entries(INPUTS) as [Method, Entry][]) {
      if (e.names === false || contract[m].permission === 'public' || contract[m].permission === 'session') continue
      const r = await alice.call(m, e.input('bravo', fx))
      if (r.ok || r.error.code !== 'not_found' || /bravo/i.test(r.error.message)) wrong.push(`${m} → ${JSON.stringify(r).slice(0, 200)}`)
    }
    expect(wrong).toEqual([])
    const denied = await t.internal<{ targetId: string; practiceId: string; personId: string }[]>('audit.list', { action: 'access.denied', practiceId: 'bravo', limit: 1000 })
    expect(denied.filter((d) => d.personId === fx.alice).length).toBeGreaterThan(50)
  })

  it("the event stream carries A's events and none of B's", async () => {
    const stream = await alice.events()
    expect(stream.status).toBe(200)
    const portOf = (p: P) => hl7Runtime(t.engine.ctx)!.listeners.find(p, `${p}-adt-in`)!.port
    await frame(portOf('bravo'), adtMessage({ control: 'BRAVOCTL3', mrn: 'BRAVOMRN3', last: 'BRAVOPATIENT' }))
    await t.internal('practices.update', { id: 'bravo', name: 'Bravo Marker Clinic 2' })
    await t.internal('alerts.evaluate', { practiceId: 'bravo' })
    await frame(portOf('alpha'), adtMessage({ control: 'ALPHACTL3', mrn: 'ALPHAMRN3', last: 'ALPHAPATIENT' }))
    await t.internal('practices.update', { id: 'alpha', name: 'Alpha Family Medicine' })
    const until = Date.now() + 30_000
    while (!stream.events.some((e) => e.name === 'practices.changed') && Date.now() < until) await new Promise((r) => setTimeout(r, 50))
    await t.engine.ctx.pipeline.idle(60_000)
    // The stream's batches go out on a timer: wait for alpha's transaction event (bravo's frame went
    // first, so a leak of bravo's would be there by then), then a little more for stragglers.
    while (!stream.events.some((e) => e.name === 'transactions.changed') && Date.now() < until) await new Promise((r) => setTimeout(r, 50))
    await new Promise((r) => setTimeout(r, 300))
    stream.stop()
    expect(stream.events.some((e) => e.name === 'practices.changed' && (e.data as { id: string }).id === 'alpha')).toBe(true)
    expect(stream.events.some((e) => e.name === 'transactions.changed')).toBe(true)
    expect(JSON.stringify(stream.events).toLowerCase()).not.toContain('bravo')
  })
})

describe('deny by default', () => {
  it('every method that needs a permission is refused to someone holding every other permission on every practice', async () => {
    await t.internal('roles.save', { id: 'probe', name: 'Probe', permissions: ['msg.view_meta'] })
    const prober = await t.person('prober', [{ practiceId: '*', roleId: 'probe' }])
    const wrong: string[] = []
    let checked = 0
    for (const [m, e] of Object.entries(INPUTS) as [Method, Entry][]) {
      const needed = contract[m].permission
      if (needed === 'public' || needed === 'session') continue
      const others = PERMISSIONS.filter((p) => p !== needed && p !== 'public' && p !== 'session')
      await t.internal('roles.save', { id: 'probe', name: 'Probe', permissions: others })
      const r = await prober.call(m, e.input('alpha', fx))
      checked++
      if (r.ok || r.error.code !== 'forbidden') wrong.push(`${m} (${needed}) → ${JSON.stringify(r).slice(0, 160)}`)
    }
    expect(wrong).toEqual([])
    expect(checked).toBeGreaterThan(90)
    const denied = await t.internal<{ permission: string; personId: string; outcome: string }[]>('audit.list', { action: 'access.denied', limit: 1000 })
    expect(new Set(denied.filter((d) => d.personId === prober.personId).map((d) => d.permission)).size).toBeGreaterThan(10)
  })

  it('each shipped role granted on practice A: what it lacks is refused, the reads it holds are never refused', async () => {
    // Only each rule's scope is read here; the lookups are never called.
    const none = () => null
    const scopes = methodRules({ transactions: () => [], connection: none, savedSearch: none, alertRule: none, alertChannel: none, notifications: () => [], breakGlass: none })
    const wrong: string[] = []
    let refused = 0
    let answered = 0
    for (const [i, r] of BUILTIN_ROLES.entries()) {
      const who = await t.person(`rolewalk${i}`, [{ practiceId: 'alpha', roleId: r.id }])
      for (const [m, e] of Object.entries(INPUTS) as [Method, Entry][]) {
        const needed = contract[m].permission
        // The one break-glass session of the fixture is B's: asked from A it is not found, whoever asks.
        if (needed === 'public' || needed === 'session' || m === 'breakglass.review') continue
        // Installation-wide methods need the permission on every practice: a grant on A is not enough.
        const allowed = r.permissions.includes(needed) && scopes[m].scope !== 'global'
        // Writes the role may make are not run: they would change the fixture for the tests after this one.
        if (allowed && !e.read) continue
        const res = await who.call(m, e.input('alpha', fx))
        const forbidden = !res.ok && res.error.code === 'forbidden'
        if (forbidden === allowed) wrong.push(`${r.id} ${m} (${needed}, ${allowed ? 'held' : 'not held'}) → ${JSON.stringify(res).slice(0, 160)}`)
        if (forbidden) refused++
        else answered++
      }
    }
    expect(wrong).toEqual([])
    expect(refused).toBeGreaterThan(300)
    expect(answered).toBeGreaterThan(150)
  })

  it('public methods are only the sign-in ones', () => {
    const pub = Object.entries(contract).filter(([, d]) => d.permission === 'public').map(([m]) => m)
    expect(pub.sort()).toEqual(['auth.oidcBegin', 'auth.oidcFinish', 'auth.oidcLoopbackFinish', 'auth.setup', 'auth.signIn', 'auth.state'])
  })
})
