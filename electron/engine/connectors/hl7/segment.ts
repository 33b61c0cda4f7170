/**
 * One segment, kept as its raw line and split only when a field is first read: most messages
 * are routed and stored after reading a handful of fields, so splitting everything up front
 * would be wasted work (and the benchmark goal depends on not doing it).
 */
import { AppError } from '../../../../shared/errors'
import type { Hl7Delimiters } from './delimiters'
import { decodeEscapes, encodeEscapes, type HexDecoder } from './escape'

export interface Hl7Context {
  readonly delimiters: Hl7Delimiters
  /** Decodes \Xhh\ bytes in the message's MSH-18 charset. */
  hexDecoder: HexDecoder
}

/** Segments whose fields 1 and 2 are the separator and the encoding characters. */
export function isHeaderSegmentId(id: string): boolean {
  return id === 'MSH' || id === 'FHS' || id === 'BHS'
}

/** The nth (1-based) part of `s` split on `sep`, without building an array; undefined if absent. */
export function nthPart(s: string, sep: string, n: number): string | undefined {
  let start = 0
  for (let k = 1; k < n; k++) {
    const i = s.indexOf(sep, start)
    if (i < 0) return undefined
    start = i + 1
  }
  const end = s.indexOf(sep, start)
  if (end < 0) return start === 0 ? s : s.slice(start)
  return s.slice(start, end)
}

function joinTrimmed(parts: string[], sep: string): string {
  let n = parts.length
  while (n > 1 && parts[n - 1] === '') n--
  return n === parts.length ? parts.join(sep) : parts.slice(0, n).join(sep)
}

function pad(parts: string[], n: number): void {
  while (parts.length < n) parts.push('')
}

/** HL7's explicit null: the sender asks the receiver to delete the value. */
export const HL7_NULL = '""'

export class Hl7Segment {
  readonly id: string
  readonly isHeader: boolean
  private line: string | undefined
  private parts: string[] | undefined

  constructor(
    line: string,
    readonly ctx: Hl7Context,
  ) {
    this.id = line.slice(0, 3)
    this.isHeader = isHeaderSegmentId(this.id)
    this.line = line
  }

  get delimiters(): Hl7Delimiters {
    return this.ctx.delimiters
  }

  /** The segment text without terminator, rebuilt after edits. */
  get raw(): string {
    if (this.line === undefined) this.line = this.build()
    return this.line
  }

  /** Field list indexed by field number (index 0 is the segment id). */
  private fields(): string[] {
    if (this.parts) return this.parts
    const line = this.line as string
    const fs = this.ctx.delimiters.field
    if (this.isHeader) {
      const split = line.split(fs)
      const f: string[] = [this.id, fs, split[1] ?? '']
      for (let i = 2; i < split.length; i++) f.push(split[i] as string)
      this.parts = f
    } else {
      this.parts = line.split(fs)
    }
    return this.parts
  }

  private build(): string {
    const f = this.fields()
    const fs = this.ctx.delimiters.field
    if (this.isHeader) return this.id + fs + (f[2] ?? '') + (f.length > 3 ? fs + f.slice(3).join(fs) : '')
    return f.join(fs)
  }

  /** Highest field number present (trailing empty fields included, as written). */
  get fieldCount(): number {
    return this.fields().length - 1
  }

  /** Raw text of field `n` ('' when absent). */
  field(n: number): string {
    return this.fields()[n] ?? ''
  }

  /** Raw repetitions of field `n`; [] when the field is empty. MSH-1/MSH-2 never split. */
  repetitions(n: number): string[] {
    const f = this.field(n)
    if (f === '') return []
    if (this.isHeader && n <= 2) return [f]
    return f.split(this.ctx.delimiters.repetition)
  }

  /**
   * Raw text at the addressed level: the whole field (all repetitions) when neither repetition
   * nor component is given, else the repetition, component or subcomponent. Undefined when empty.
   */
  rawAt(field: number, rep?: number, comp?: number, sub?: number): string | undefined {
    let v: string | undefined = this.fields()[field]
    if (v === undefined || v === '') return undefined
    if (this.isHeader && field <= 2) return (rep ?? 1) === 1 && (comp ?? 1) === 1 && (sub ?? 1) === 1 ? v : undefined
    const d = this.ctx.delimiters
    if (rep !== undefined || comp !== undefined || sub !== undefined) v = nthPart(v, d.repetition, rep ?? 1)
    if (v !== undefined && (comp !== undefined || sub !== undefined)) v = nthPart(v, d.component, comp ?? 1)
    if (v !== undefined && sub !== undefined) v = nthPart(v, d.subcomponent, sub)
    return v === '' ? undefined : v
  }

  /**
   * Decoded leaf value; missing coordinates default to 1, as HAPI's Terser does (so `MSH-9` reads
   * the message code). Undefined when empty, absent or the HL7 null `""` (see isNull).
   */
  value(field: number, rep = 1, comp = 1, sub = 1): string | undefined {
    const raw = this.leaf(field, rep, comp, sub)
    if (raw === undefined || raw === '' || raw === HL7_NULL) return undefined
    if (this.isHeader && field <= 2) return raw
    return decodeEscapes(raw, this.ctx.delimiters, this.ctx.hexDecoder)
  }

  /** True when the addressed value is HL7's explicit null `""` (delete the stored value). */
  isNull(field: number, rep = 1, comp = 1, sub = 1): boolean {
    return this.leaf(field, rep, comp, sub) === HL7_NULL
  }

  private leaf(field: number, rep: number, comp: number, sub: number): string | undefined {
    const f = this.fields()[field]
    if (f === undefined || f === '') return undefined
    if (this.isHeader && field <= 2) return rep === 1 && comp === 1 && sub === 1 ? f : undefined
    const d = this.ctx.delimiters
    const r = nthPart(f, d.repetition, rep)
    if (r === undefined) return undefined
    const c = nthPart(r, d.component, comp)
    if (c === undefined) return undefined
    return nthPart(c, d.subcomponent, sub)
  }

  /**
   * Decoded component/subcomponent of one raw repetition of `field` (as returned by
   * repetitions()). Lets callers walk repetitions once instead of re-scanning per index, which
   * would be quadratic on a field with thousands of repetitions.
   */
  valueIn(field: number, rawRepetition: string, comp = 1, sub = 1): string | undefined {
    let raw: string | undefined
    if (this.isHeader && field <= 2) raw = comp === 1 && sub === 1 ? rawRepetition : undefined
    else {
      const d = this.ctx.delimiters
      const c = nthPart(rawRepetition, d.component, comp)
      raw = c === undefined ? undefined : nthPart(c, d.subcomponent, sub)
    }
    if (raw === undefined || raw === '' || raw === HL7_NULL) return undefined
    if (this.isHeader && field <= 2) return raw
    return decodeEscapes(raw, this.ctx.delimiters, this.ctx.hexDecoder)
  }

  /** Decoded values of every non-empty repetition (component/subcomponent default 1). */
  values(field: number, comp = 1, sub = 1): string[] {
    const out: string[] = []
    for (const r of this.repetitions(field)) {
      const v = this.valueIn(field, r, comp, sub)
      if (v !== undefined) out.push(v)
    }
    return out
  }

  /** Writes `value` escaped for this message's delimiters. */
  set(field: number, value: string, rep?: number, comp?: number, sub?: number): void {
    this.setRaw(field, encodeEscapes(value, this.ctx.delimiters), rep, comp, sub)
  }

  /**
   * Writes already-encoded text at the addressed level (repetition defaults to 1 once a component
   * is given; with neither, the whole field is replaced). Text that would spill into a higher
   * level (a field separator inside a component, a line break anywhere) is refused.
   */
  setRaw(field: number, raw: string, rep?: number, comp?: number, sub?: number): void {
    if (!Number.isInteger(field) || field < 1) throw new AppError('invalid_input', 'HL7 field numbers start at 1')
    if (this.isHeader && field <= 2) {
      throw new AppError('invalid_input', `${this.id}-${field} holds the delimiters and cannot be set`)
    }
    const d = this.ctx.delimiters
    const forbidden = ['\r', '\n', d.field]
    if (rep !== undefined || comp !== undefined || sub !== undefined) forbidden.push(d.repetition)
    if (comp !== undefined || sub !== undefined) forbidden.push(d.component)
    if (sub !== undefined) forbidden.push(d.subcomponent)
    for (const ch of forbidden) {
      if (raw.includes(ch)) throw new AppError('invalid_input', `Raw HL7 text for ${this.id}-${field} contains a delimiter of an enclosing level`)
    }
    const f = this.fields()
    pad(f, field + 1)
    if (rep === undefined && comp === undefined && sub === undefined) {
      f[field] = raw
    } else {
      const reps = (f[field] as string).split(d.repetition)
      const r = rep ?? 1
      pad(reps, r)
      if (comp === undefined && sub === undefined) {
        reps[r - 1] = raw
      } else {
        const comps = (reps[r - 1] as string).split(d.component)
        const c = comp ?? 1
        pad(comps, c)
        if (sub === undefined) {
          comps[c - 1] = raw
        } else {
          const subs = (comps[c - 1] as string).split(d.subcomponent)
          pad(subs, sub)
          subs[sub - 1] = raw
          comps[c - 1] = joinTrimmed(subs, d.subcomponent)
        }
        reps[r - 1] = joinTrimmed(comps, d.component)
      }
      f[field] = joinTrimmed(reps, d.repetition)
    }
    const min = this.isHeader ? 3 : 1
    while (f.length > min + 1 && f[f.length - 1] === '') f.pop()
    this.line = undefined
  }

  /** Every field decoded into repetitions → components → subcomponents (for comparisons and tools). */
  toStructure(): string[][][][] {
    const f = this.fields()
    const d = this.ctx.delimiters
    const out: string[][][][] = [[[[this.id]]]]
    for (let n = 1; n < f.length; n++) {
      const raw = f[n] as string
      if (this.isHeader && n <= 2) {
        out.push([[[raw]]])
        continue
      }
      out.push(
        raw.split(d.repetition).map((r) =>
          r.split(d.component).map((c) => c.split(d.subcomponent).map((s) => decodeEscapes(s, d, this.ctx.hexDecoder))),
        ),
      )
    }
    return out
  }
}
