/** A broken MSH-2 is reported as MSH-2, never as a character-set problem of MSH-18 read with the wrong separators. */
import { describe, expect, it } from 'vitest'
import { charsetForBytes, decodeWith, parseHl7 } from '../../../electron/engine/connectors/hl7'

function fault(text: string): { code: string; field: unknown; message: string } {
  const b = Buffer.from(text, 'latin1')
  try {
    parseHl7(decodeWith(b, charsetForBytes(b).charset))
  } catch (e) {
    const x = e as { code: string; message: string; details?: { field?: unknown } }
    return { code: x.code, field: x.details?.field, message: x.message }
  }
  throw new Error('parsed')
}

describe('MSH-2 before MSH-18', () => {
  it.each([
    ['empty MSH-2', 'MSH||APP|FAC|R|RF|20260101||ADT^A04|C1|P|2.5.1|||||USA|UNICODE UTF-8\rPID|1\r'],
    ['two encoding characters', 'MSH|^~|APP|FAC|R|RF|20260101||ADT^A04|C2|P|2.5.1|||||USA|8859/1\rPID|1\r'],
    ['MSH-2 split by a field separator (every later field shifted: MSH-17 is read as MSH-18)', 'MSH|^~|\\&|APP|FAC|R|RF|20260101||ADT^A04|C5|P|2.5.1|||||USA|UNICODE UTF-8\rPID|1\r'],
    ['a repeated encoding character', 'MSH|^^\\&|APP|FAC|R|RF|20260101||ADT^A04|C3|P|2.5.1|||||USA|UNICODE UTF-8\rPID|1\r'],
  ])('%s is reported as MSH-2', (_n, text) => {
    const f = fault(text)
    expect(f.field).toBe(2)
    expect(f.message).toMatch(/^MSH-2/)
  })

  it('a good MSH-2 with an unknown MSH-18 is still an MSH-18 problem', () => {
    expect(fault('MSH|^~\\&|APP|FAC|R|RF|20260101||ADT^A04|C4|P|2.5.1|||||USA|KLINGON\rPID|1\r')).toMatchObject({ code: 'unsupported_message', field: 18 })
  })
})
