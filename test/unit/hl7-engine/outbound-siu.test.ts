/** Outbound SIU: which event a record change is, and the message built from mapped fields. */
import { describe, expect, it } from 'vitest'
import { parseHl7 } from '../../../electron/engine/connectors/hl7'
import { eventFor } from '../../../electron/engine/connectors/hl7-engine/outbound/outbound-service'
import { peerText } from '../../../electron/engine/connectors/hl7-engine/outbound/outbound-handler'
import { buildSiu, zoneOffsetMinutes } from '../../../electron/engine/connectors/hl7-engine/outbound/siu-builder'

const header = { sendingApplication: 'PS', sendingFacility: 'SAND|BOX', receivingApplication: 'ATHENA', receivingFacility: '', version: '2.5.1' }

describe('eventFor', () => {
  it('S12 for a new appointment, S14 for a change, S15 for a cancellation, nothing otherwise', () => {
    expect(eventFor('create', null, { status: 'scheduled' })).toBe('S12')
    expect(eventFor('create', null, { status: 'cancelled' })).toBeNull()
    expect(eventFor('update', { status: 'scheduled' }, { status: 'scheduled', start_time: 'x' })).toBe('S14')
    expect(eventFor('update', { status: 'scheduled' }, { status: 'cancelled' })).toBe('S15')
    expect(eventFor('update', { status: 'cancelled' }, { status: 'cancelled', notes: 'x' })).toBeNull()
    expect(eventFor('update', { status: 'cancelled' }, { status: 'scheduled' })).toBe('S14')
    expect(eventFor('delete', { status: 'scheduled' }, null)).toBeNull()
  })
})

describe('buildSiu', () => {
  it('writes the MSH from the destination, SCH-1 from the record, mapped fields escaped, in SIU segment order', () => {
    const at = Date.parse('2026-06-10T14:30:00Z')
    const text = buildSiu({
      event: 'S14',
      controlId: 'CTRL1',
      at,
      timeZone: 'America/New_York',
      header,
      placerId: '42',
      fields: { 'SCH-2.1': 'EXT-9', 'SCH-7.2': 'Knee | pain ^ follow-up', 'SCH-25.1': 'Booked', 'PID-3.1': 'M1', 'PID-5.1': "O'BRIEN", 'AIL-3.1': 'CLINIC', 'SCH-9': 30, 'NTE-3': null },
    })
    const m = parseHl7(text)
    expect(m.segments.map((s) => s.id)).toEqual(['MSH', 'SCH', 'PID', 'RGS', 'AIL'])
    expect(m.messageType).toBe('SIU^S14')
    expect(m.structure).toBe('SIU_S14')
    expect(m.controlId).toBe('CTRL1')
    expect(m.get('MSH-4')).toBe('SAND|BOX')
    expect(m.get('MSH-7')).toBe('20260610103000-0400')
    expect(m.get('SCH-1.1')).toBe('42')
    expect(m.get('SCH-1.2')).toBe('PS')
    expect(m.get('SCH-7.2')).toBe('Knee | pain ^ follow-up')
    expect(m.get('SCH-9')).toBe('30')
    expect(m.get('RGS-2')).toBe('U')
    expect(m.get('AIL-2')).toBe('U')
    expect(text.endsWith('\r')).toBe(true)
  })

  it('cancellations mark the resources deleted', () => {
    const m = parseHl7(buildSiu({ event: 'S15', controlId: 'C', at: 0, timeZone: 'UTC', header, placerId: '1', fields: { 'AIP-3.1': 'DR1' } }))
    expect(m.segments.map((s) => s.id)).toEqual(['MSH', 'SCH', 'PID', 'RGS', 'AIP'])
    expect(m.get('AIP-2')).toBe('D')
  })

  it('zone offsets follow DST', () => {
    expect(zoneOffsetMinutes(Date.parse('2026-01-10T12:00:00Z'), 'America/Chicago')).toBe(-360)
    expect(zoneOffsetMinutes(Date.parse('2026-07-10T12:00:00Z'), 'America/Chicago')).toBe(-300)
    expect(zoneOffsetMinutes(0, 'Not/AZone')).toBe(0)
  })
})

describe('peerText', () => {
  it("is the peer's MSA-3, else its first ERR text, bounded", () => {
    expect(peerText({ code: 'AE', accepted: false, controlId: 'C', text: 'locked', errors: [], ackControlId: 'A', messageType: 'ACK', version: '2.5' })).toBe('locked')
    expect(peerText({ code: 'AR', accepted: false, controlId: 'C', errors: [{ code: '207', codeText: 'Application internal error' }], ackControlId: 'A', messageType: 'ACK', version: '2.5' })).toBe('Application internal error')
    expect(peerText({ code: 'AE', accepted: false, controlId: 'C', text: 'x'.repeat(500), errors: [], ackControlId: 'A', messageType: 'ACK', version: '2.5' })).toHaveLength(301)
    expect(peerText(undefined)).toBe('')
  })
})
