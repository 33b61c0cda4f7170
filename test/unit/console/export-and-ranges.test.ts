import { describe, expect, it } from 'vitest'
import type { TxSummary } from '../../../shared/api/transactions'
import { csvCell, csvHeader, csvRows, exportFileName, jsonChunk, jsonEnd } from '../../../renderer/src/components/console/export-format'
import { bucketCount, fromLocalInput, resolveRange, toLocalInput } from '../../../renderer/src/components/console/time-presets'
import { fromSaved, toSaved, toTxFilter, EMPTY_FILTER } from '../../../renderer/src/pages/transactions/log-filter'

const tx = (o: Partial<TxSummary> = {}): TxSummary => ({
  id: 7, practiceId: 'p', connector: 'hl7', channel: 'adt-in', direction: 'in', messageType: 'ADT^A08', status: 'error', attempts: 1,
  receivedAt: Date.UTC(2026, 10, 25, 8, 0, 0), updatedAt: 0, durationMs: 3, controlId: 'C1', mrn: 'M1', patientId: null, appointmentId: null,
  errorCode: 'validation_error', errorMessage: 'PID-7 is not a date, "really"', errorRetryable: false, triageState: 'new', ...o,
})

describe('CSV export', () => {
  it('neutralises cells a spreadsheet would run as formulas', () => {
    for (const s of ['=HYPERLINK("x")', '+1', '-2+3', '@SUM(A1)', '\tx', '\rx']) expect(csvCell(s).replace(/^"/, '').startsWith("'")).toBe(true)
    expect(csvCell('plain')).toBe('plain')
    expect(csvCell(-5)).toBe('-5')
    expect(csvCell(null)).toBe('')
  })

  it('quotes commas, quotes and line breaks', () => {
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('say "hi"')).toBe('"say ""hi"""')
    expect(csvCell('=1,2')).toBe('"\'=1,2"')
    expect(csvCell('two\nlines')).toBe('"two\nlines"')
  })

  it('writes a header and one CRLF line per transaction', () => {
    expect(csvHeader().startsWith('id,received_at,practice,connector,interface,direction,message_type,control_id,mrn')).toBe(true)
    expect(csvRows([tx(), tx({ id: 8, mrn: '=cmd' })])).toBe(
      '7,2026-11-25T08:00:00.000Z,p,hl7,adt-in,in,ADT^A08,C1,M1,,,error,1,3,validation_error,"PID-7 is not a date, ""really""",new\r\n' +
        "8,2026-11-25T08:00:00.000Z,p,hl7,adt-in,in,ADT^A08,C1,'=cmd,,,error,1,3,validation_error,\"PID-7 is not a date, \"\"really\"\"\",new\r\n",
    )
  })

  it('builds one JSON array from chunks', () => {
    const text = jsonChunk([tx(), tx({ id: 8 })], true) + jsonChunk([tx({ id: 9 })], false) + jsonEnd(false)
    expect((JSON.parse(text) as { id: number }[]).map((x) => x.id)).toEqual([7, 8, 9])
    expect(JSON.parse(jsonEnd(true))).toEqual([])
    expect(exportFileName('sandbox', 'csv', new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe('transactions-sandbox-2026-01-02T03-04-05.csv')
  })
})

describe('time ranges and buckets', () => {
  const now = Date.UTC(2026, 10, 25, 12)
  it('resolves presets at the moment of use', () => {
    expect(resolveRange({ preset: '1h' }, now)).toEqual({ from: now - 3_600_000 })
    expect(resolveRange({ preset: 'all' }, now)).toEqual({})
    expect(resolveRange({ preset: 'custom', from: 5 }, now)).toEqual({ from: 5 })
  })
  it('round-trips datetime-local values', () => {
    const ms = new Date(2026, 10, 25, 9, 30).getTime()
    expect(fromLocalInput(toLocalInput(ms))).toBe(ms)
    expect(fromLocalInput('')).toBeUndefined()
  })
  it('picks round bucket sizes near the target count', () => {
    expect(bucketCount(3_600_000)).toBe(60)
    expect(bucketCount(86_400_000)).toBe(48)
    expect(bucketCount(7 * 86_400_000)).toBe(28)
    expect(bucketCount(30 * 86_400_000)).toBe(60)
  })
})

describe('log filter', () => {
  it('maps to the engine filter and to a saved search, and back', () => {
    const f = { ...EMPTY_FILTER, q: ' M1 ', statuses: ['error' as const], connector: 'hl7', channel: 'adt-in', range: { preset: '24h' as const } }
    expect(toTxFilter('p', f, 1_000_000_000)).toEqual({ practiceId: 'p', q: 'M1', statuses: ['error'], connector: 'hl7', channel: 'adt-in', from: 1_000_000_000 - 86_400_000 })
    expect(toSaved(f)).toEqual({ q: 'M1', statuses: ['error'], connector: 'hl7', channel: 'adt-in', range: '24h' })
    expect(fromSaved(toSaved(f))).toEqual({ ...f, q: 'M1' })
    expect(toSaved({ ...f, range: { preset: 'custom', from: 1, to: 2 } }).range).toBeUndefined()
  })
})
