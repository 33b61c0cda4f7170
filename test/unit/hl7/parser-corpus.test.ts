import { isDeepStrictEqual } from 'node:util'
import { describe, expect, it } from 'vitest'
import { isAppError } from '../../../shared/errors'
import { Hl7ParseError, parseHl7, parseHl7Batch, serializeStructure, splitSegmentLines } from '../../../electron/engine/connectors/hl7'
import { cpuMs, invalidFiles, validFiles } from './corpus-files'

/** Generous guard (CPU ms, see cpuMs) against pathological (e.g. quadratic) parsing; real parses take microseconds. */
const GUARD_MS = 2000

function timed<T>(fn: () => T): { result?: T; error?: unknown; ms: number } {
  const t0 = cpuMs()
  try {
    const result = fn()
    return { result, ms: cpuMs() - t0 }
  } catch (error) {
    return { error, ms: cpuMs() - t0 }
  }
}

const valid = validFiles()
const invalid = invalidFiles()

describe('HL7 corpus: valid files', () => {
  it('walks a non-trivial corpus', () => {
    expect(valid.length).toBeGreaterThan(150)
    expect(invalid.length).toBeGreaterThan(10)
  })

  it.each(valid.map((f) => [`${f.folder}/${f.name}`, f] as const))('%s parses and routes on MSH-9', (_label, f) => {
    const batch = parseHl7Batch(f.bytes)
    expect(batch.messages.length).toBeGreaterThan(0)
    for (const m of batch.messages) {
      if (f.folder === 'ACK') expect(m.code).toBe('ACK')
      else if (f.folder !== 'BATCH') expect(`${m.code}_${m.trigger}`).toBe(f.folder)
      expect(m.header.id).toBe('MSH')
    }
  })

  it.each(valid.filter((f) => f.folder === 'BATCH').map((f) => [f.name, f] as const))('BATCH %s: message count matches MSH and trailer counts', (_label, f) => {
    const batch = parseHl7Batch(f.bytes)
    const lines = splitSegmentLines(f.bytes.toString('utf8'))
    const mshCount = lines.filter((l) => l.startsWith('MSH')).length
    expect(batch.messages.length).toBe(mshCount)
    expect(batch.groups.reduce((n, g) => n + g.messages.length, 0)).toBe(mshCount)
    expect(batch.groups.filter((g) => g.header).length).toBe(lines.filter((l) => l.startsWith('BHS')).length)
    // Every trailer count either matches or is reported (and strict mode refuses the file).
    const mismatches: string[] = []
    for (const g of batch.groups) {
      const declared = g.trailer?.value(1)
      if (declared !== undefined && Number(declared) !== g.messages.length) mismatches.push('BTS')
    }
    const fts = batch.fileTrailer?.value(1)
    if (fts !== undefined && Number(fts) !== batch.groups.length) mismatches.push('FTS')
    expect(batch.warnings.map((w) => w.reason)).toEqual(mismatches.map(() => 'batch_count_mismatch'))
    if (mismatches.length > 0) expect(() => parseHl7Batch(f.bytes, { strict: true })).toThrow(Hl7ParseError)
    if (lines[0]?.startsWith('FHS')) expect(batch.fileHeader?.id).toBe('FHS')
  })

  it.each(valid.map((f) => [`${f.folder}/${f.name}`, f] as const))('%s round-trips parse → serialize → parse', (_label, f) => {
    for (const m of parseHl7Batch(f.bytes).messages) {
      const model = m.toStructure()
      // Unedited serialization: own delimiters, CR terminators.
      const text = m.toString()
      expect(text.includes('\n')).toBe(false)
      expect(text.endsWith('\r')).toBe(true)
      expect(isDeepStrictEqual(parseHl7(text).toStructure(), model)).toBe(true)
      // Re-encoding every decoded leaf must reproduce the same decoded model.
      const reencoded = serializeStructure(model, m.delimiters)
      const again = parseHl7(reencoded)
      expect(again.delimiters).toEqual(m.delimiters)
      expect(isDeepStrictEqual(again.toStructure(), model)).toBe(true)
    }
  })
})

describe('HL7 corpus: _invalid files', () => {
  it.each(invalid.map((f) => [f.name, f] as const))('%s yields a typed error in strict mode, never a hang', (_label, f) => {
    const strict = timed(() => parseHl7Batch(f.bytes, { strict: true }))
    expect(strict.ms).toBeLessThan(GUARD_MS)
    expect(strict.error).toBeInstanceOf(Hl7ParseError)
    const e = strict.error as Hl7ParseError
    expect(['parse_error', 'unsupported_message']).toContain(e.code)
    expect(e.details).toMatchObject({ reason: e.reason, hl7ErrorCode: e.hl7ErrorCode })

    // The tolerant parse either refuses with the same typed error or accepts with what it tolerated on record.
    const runs: (() => unknown)[] = [() => parseHl7Batch(f.bytes), () => parseHl7(f.bytes), () => parseHl7(f.bytes.toString('latin1'))]
    for (const run of runs) {
      const r = timed(run)
      expect(r.ms).toBeLessThan(GUARD_MS)
      if (r.error !== undefined) expect(isAppError(r.error)).toBe(true)
    }
  })

  it('rejects the specific defects for the reasons the corpus documents', () => {
    const reasonOf = (name: string, strict = false): string | undefined => {
      const f = invalid.find((x) => x.name.includes(name))
      if (!f) throw new Error(`corpus file ${name} missing`)
      const r = timed(() => parseHl7Batch(f.bytes, { strict }))
      return (r.error as Hl7ParseError | undefined)?.reason
    }
    expect(reasonOf('missing_msh-2')).toBe('invalid_encoding_characters')
    expect(reasonOf('missing_msh-9')).toBe('missing_message_type')
    expect(reasonOf('missing_msh-10')).toBeUndefined()
    expect(reasonOf('missing_msh-10', true)).toBe('missing_control_id')
    expect(reasonOf('MSH2-three-chars')).toBe('invalid_encoding_characters')
    expect(reasonOf('ORU_R01-PDF')).toBe('invalid_segment_id')
    expect(reasonOf('invalid-missing-msh')).toBe('segment_outside_message')
    expect(reasonOf('segment-header-length')).toBe('invalid_segment_id')
    expect(reasonOf('wrong-version')).toBe('unsupported_version')
    expect(reasonOf('sample_bad_batch')).toBe('segment_outside_message')
    expect(reasonOf('sample_bad_file2')).toBe('unexpected_segment')
    expect(reasonOf('trailing-empty-fields')).toBeUndefined()
    expect(reasonOf('trailing-empty-fields', true)).toBe('trailing_delimiters')
  })

  it('keeps the missing MSH-10 on record as a warning when tolerated', () => {
    const f = invalid.find((x) => x.name.includes('missing_msh-10')) as (typeof invalid)[number]
    const m = parseHl7(f.bytes)
    expect(m.controlId).toBe('')
    expect(m.warnings.map((w) => w.reason)).toEqual(['missing_control_id'])
  })
})
