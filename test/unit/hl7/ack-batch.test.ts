import { describe, expect, it } from 'vitest'
import { buildAck, buildAckBatch, parseHl7, parseHl7Batch } from '../../../electron/engine/connectors/hl7'
import { fixedClock } from './corpus-files'

const clock = fixedClock(Date.UTC(2024, 0, 2, 3, 4, 5))
const msg = (control: string) => parseHl7(`MSH|^~\\&|SAPP|SFAC|RAPP|RFAC|20240101||ADT^A04|${control}|P|2.5.1\rPID|1||42\r`)
const acks = [buildAck(msg('M1'), { code: 'AA', clock }), buildAck(msg('M2'), { code: 'AE', text: 'PID-7 is not a date', clock })]
const BHS = 'BHS|^~\\&|SAPP^1.2^ISO|SFAC|RAPP|RFAC|20240101||||BATCH-7'
const FHS = 'FHS|^~\\&|FAPP|FFAC|FRAPP|FRFAC|20240101||||FILE-3'

describe('buildAckBatch', () => {
  it('answers a BHS batch: sender and receiver swapped, BHS-12 naming the received BHS-11, the ACKs in order, BTS-1 counting them', () => {
    const out = buildAckBatch({ header: { raw: BHS } }, acks, clock)
    const lines = out.split('\r')
    expect(lines.at(-1)).toBe('') // every segment ends in CR
    const bhs = lines[0]!.split('|')
    expect(bhs.slice(0, 2)).toEqual(['BHS', '^~\\&'])
    expect(bhs.slice(2, 6)).toEqual(['RAPP', 'RFAC', 'SAPP^1.2^ISO', 'SFAC'])
    expect(bhs[6]).toBe('20240102030405+0000')
    expect(bhs[10]).toMatch(/^[0-9A-Z]{16}$/) // a control id of its own
    expect(bhs[11]).toBe('BATCH-7')
    expect(lines.at(-2)).toBe('BTS|2')
    const parsed = parseHl7Batch(out, { strict: true })
    expect(parsed.fileHeader).toBeUndefined()
    expect(parsed.messages.map((m) => [m.get('MSA-1'), m.get('MSA-2')])).toEqual([
      ['AA', 'M1'],
      ['AE', 'M2'],
    ])
    expect(parsed.messages[1]!.get('MSA-3') ?? parsed.messages[1]!.get('ERR-8')).toBe('PID-7 is not a date')
  })

  it('wraps the batch in FHS … FTS when the received one had a file header, FHS-12 naming FHS-11', () => {
    const out = buildAckBatch({ fileHeader: { raw: FHS }, header: { raw: BHS } }, acks, clock)
    const lines = out.split('\r').filter(Boolean)
    expect(lines[0]!.split('|').slice(2, 6)).toEqual(['FRAPP', 'FRFAC', 'FAPP', 'FFAC'])
    expect(lines[0]!.split('|')[11]).toBe('FILE-3')
    expect(lines[1]!.split('|')[11]).toBe('BATCH-7')
    expect(lines.slice(-2)).toEqual(['BTS|2', 'FTS|1'])
    const parsed = parseHl7Batch(out, { strict: true })
    expect(parsed.groups).toHaveLength(1)
    expect(parsed.messages).toHaveLength(2)
  })

  it('a file header alone still gets a BHS (from the file header) inside the FHS', () => {
    const lines = buildAckBatch({ fileHeader: { raw: FHS } }, acks.slice(0, 1), clock).split('\r').filter(Boolean)
    expect(lines.map((l) => l.slice(0, 3))).toEqual(['FHS', 'BHS', 'MSH', 'MSA', 'BTS', 'FTS'])
    expect(lines[1]!.split('|')[11]).toBe('FILE-3')
    expect(lines.at(-2)).toBe('BTS|1')
  })

  it("keeps the sender's field separator and encoding characters, and never echoes a control character", () => {
    const odd = 'BHS#^~\\&#SAPP#SF\x0bAC#RAPP#RFAC#20240101####B1'
    const lines = buildAckBatch({ header: { raw: odd } }, [], clock).split('\r').filter(Boolean)
    expect(lines).toHaveLength(2)
    const f = lines[0]!.split('#')
    expect(f.slice(0, 2)).toEqual(['BHS', '^~\\&'])
    expect(f[4]).toBe('SAPP')
    expect([...f[5]!].every((ch) => ch.charCodeAt(0) >= 0x20)).toBe(true)
    expect(f[11]).toBe('B1')
    expect(lines[1]).toBe('BTS#0')
  })

  it('with no header to answer (messages back to back) uses the default delimiters', () => {
    const out = buildAckBatch({}, acks, clock)
    expect(out.startsWith('BHS|^~\\&|')).toBe(true)
    expect(out.endsWith('BTS|2\r')).toBe(true)
  })

  it('does not double the CR of an ACK that already ends with one', () => {
    const out = buildAckBatch({ header: { raw: BHS } }, acks.map((a) => (a.endsWith('\r') ? a : `${a}\r`)), clock)
    expect(out).not.toContain('\r\r')
  })
})
