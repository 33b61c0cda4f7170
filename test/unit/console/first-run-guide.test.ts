import { describe, expect, it } from 'vitest'
import type { Connection } from '../../../shared/api/connections'
import type { SyncState } from '../../../shared/api/athena'
import type { Practice } from '../../../shared/api/practices'
import { guideProgress, isRealConnection } from '../../../renderer/src/pages/dashboard/first-run'

const practice = (id: string, builtin: boolean): Practice => ({
  id,
  name: id,
  athenaPracticeId: null,
  environment: builtin ? 'sandbox' : 'preview',
  timeZone: 'America/New_York',
  settings: { unknownPatientRule: 'create', phoneCountry: 'US' } as Practice['settings'],
  builtin,
  createdAt: 0,
  updatedAt: 0,
})
const conn = (kind: Connection['kind'], config: Record<string, unknown> = {}, practiceId = 'sandbox'): Connection => ({
  id: `${kind}-1`, practiceId, kind, name: kind, enabled: true, config, secrets: {}, createdAt: 0, updatedAt: 0,
})
const stream = (over: Partial<SyncState>): SyncState => ({
  practiceId: 'sandbox', stream: 'patients', status: 'idle', mode: null, startedAt: null, finishedAt: null, updatedAt: 0,
  calls: 0, pages: 0, records: 0, duplicates: 0, errorCode: null, errorMessage: null, lastSuccessAt: null, ...over,
} as SyncState)

const sandbox = practice('sandbox', true)
const own = practice('downtown', false)

describe('first-run guide', () => {
  it('counts only connections that leave the built-in sandbox as real', () => {
    expect(isRealConnection(conn('athena-rest', { environment: 'sandbox' }), sandbox)).toBe(false)
    expect(isRealConnection(conn('fhir-r4', { preset: 'sandbox' }), sandbox)).toBe(false)
    expect(isRealConnection(conn('hl7-inbound'), sandbox)).toBe(false)
    expect(isRealConnection(conn('folder'), sandbox)).toBe(false)
    expect(isRealConnection(conn('athena-rest', { environment: 'preview' }), sandbox)).toBe(true)
    expect(isRealConnection(conn('fhir-r4', { preset: 'production' }), sandbox)).toBe(true)
    expect(isRealConnection(conn('sftp'), sandbox)).toBe(true)
    expect(isRealConnection(conn('hl7-inbound', {}, 'downtown'), own)).toBe(true)
  })

  it('ticks each step from the state it names, and nothing from nothing', () => {
    const none = { lanes: [], streams: [], connections: [{ practice: sandbox, items: [conn('athena-rest', { environment: 'sandbox' })] }], errorQueueOpened: false }
    expect(guideProgress(none)).toEqual({ hl7: false, sync: false, errorQueue: false, realConnection: false })
    // Outbound HL7 or FHIR traffic is not the test message; a running or failed sync is not a finished
    // one, nor is an incremental run (those also start on their own).
    const other = {
      ...none,
      lanes: [{ connector: 'hl7', channel: 'orders', direction: 'out' as const, lastReceivedAt: 1 }, { connector: 'fhir', channel: 'Patient', direction: 'in' as const, lastReceivedAt: 1 }],
      streams: [stream({ status: 'running', mode: 'full' }), stream({ stream: 'appointments', status: 'done', mode: 'incremental', lastSuccessAt: 5 }), stream({ stream: 'reference', status: 'error', mode: 'full' })],
    }
    expect(guideProgress(other)).toEqual({ hl7: false, sync: false, errorQueue: false, realConnection: false })
    const all = {
      lanes: [{ connector: 'hl7', channel: 'adt-in', direction: 'in' as const, lastReceivedAt: 1 }],
      streams: [stream({ stream: 'reference', status: 'done', mode: 'full', lastSuccessAt: 5 })],
      connections: [{ practice: sandbox, items: [] }, { practice: own, items: [conn('hl7-inbound', {}, 'downtown')] }],
      errorQueueOpened: true,
    }
    expect(guideProgress(all)).toEqual({ hl7: true, sync: true, errorQueue: true, realConnection: true })
  })
})
