/**
 * A parsed HL7 v2 message: the text as received, its delimiters, and lazily split segments.
 * Reads go through HL7 paths (see path.ts); writes escape values with the message's own
 * delimiters and serialization uses CR segment terminators.
 */
import { AppError } from '../../../../shared/errors'
import type { Hl7Delimiters } from './delimiters'
import type { Hl7Warning } from './parse-error'
import { parseHl7Path, type Hl7Path } from './path'
import { Hl7Segment, type Hl7Context } from './segment'

export class Hl7Message {
  /** The text this message was parsed from (for batch members: its segment lines joined by CR). */
  readonly raw: string
  private readonly list: Hl7Segment[]
  private readonly ctx: Hl7Context
  /** What a tolerant parse accepted but strict mode would refuse (e.g. an empty MSH-10). */
  readonly warnings: readonly Hl7Warning[]

  /** Internal: use parseHl7 / parseHl7Batch. `segments[0]` must be the MSH. */
  constructor(raw: string, segments: Hl7Segment[], ctx: Hl7Context, warnings: readonly Hl7Warning[] = []) {
    this.raw = raw
    this.list = segments
    this.ctx = ctx
    this.warnings = warnings
  }

  get delimiters(): Hl7Delimiters {
    return this.ctx.delimiters
  }

  get segments(): readonly Hl7Segment[] {
    return this.list
  }

  get header(): Hl7Segment {
    return this.list[0] as Hl7Segment
  }

  /** MSH-9.1, e.g. ADT. */
  get code(): string {
    return this.header.value(9) ?? ''
  }

  /** MSH-9.2, e.g. A01; for v2.1 senders that leave it out of MSH-9, EVN-1. */
  get trigger(): string {
    return this.header.value(9, 1, 2) ?? this.segment('EVN')?.value(1) ?? ''
  }

  /** MSH-9.3 message structure, e.g. ADT_A01 (absent before v2.3.1). */
  get structure(): string | undefined {
    return this.header.value(9, 1, 3)
  }

  /** `ADT^A01`, or just the code when there is no trigger (plain ACKs). */
  get messageType(): string {
    const t = this.trigger
    return t ? `${this.code}^${t}` : this.code
  }

  get controlId(): string {
    return this.header.value(10) ?? ''
  }

  get processingId(): string | undefined {
    return this.header.value(11)
  }

  /** MSH-12.1, e.g. 2.5.1. */
  get version(): string {
    return this.header.value(12) ?? ''
  }

  /** MSH-15 / MSH-16 (table 0155); either being set means enhanced acknowledgment mode. */
  get acceptAckType(): string | undefined {
    return this.header.value(15)
  }

  get applicationAckType(): string | undefined {
    return this.header.value(16)
  }

  /** MSH-18, first repetition. */
  get charsetName(): string | undefined {
    return this.header.value(18)
  }

  /** The `n`th (1-based) segment with this id. */
  segment(id: string, n = 1): Hl7Segment | undefined {
    let seen = 0
    for (const s of this.list) {
      if (s.id === id && ++seen === n) return s
    }
    return undefined
  }

  segmentsNamed(id: string): Hl7Segment[] {
    return this.list.filter((s) => s.id === id)
  }

  /** Decoded value at `path`, or undefined when absent, empty or the HL7 null `""`. */
  get(path: string): string | undefined {
    const p = parseHl7Path(path)
    const seg = this.segment(p.segment, p.segmentIndex ?? 1)
    return seg?.value(p.field, p.repetition ?? 1, p.component ?? 1, p.subcomponent ?? 1)
  }

  /** Undecoded text at the addressed level (whole field when no repetition/component is given). */
  getRaw(path: string): string | undefined {
    const p = parseHl7Path(path)
    const seg = this.segment(p.segment, p.segmentIndex ?? 1)
    return seg?.rawAt(p.field, p.repetition, p.component, p.subcomponent)
  }

  /**
   * Decoded values over every repetition, and over every occurrence of the segment when the path
   * names none (`OBX-5` reads all OBX segments; `OBX[2]-5` only the second). Empty values are skipped.
   */
  getAll(path: string): string[] {
    const p = parseHl7Path(path)
    const segs = p.segmentIndex !== undefined ? [this.segment(p.segment, p.segmentIndex)] : this.segmentsNamed(p.segment)
    const out: string[] = []
    for (const s of segs) {
      if (!s) continue
      if (p.repetition !== undefined) {
        const v = s.value(p.field, p.repetition, p.component ?? 1, p.subcomponent ?? 1)
        if (v !== undefined) out.push(v)
      } else {
        for (const v of s.values(p.field, p.component ?? 1, p.subcomponent ?? 1)) out.push(v)
      }
    }
    return out
  }

  /** True when the value at `path` is HL7's explicit null `""`. */
  isNull(path: string): boolean {
    const p = parseHl7Path(path)
    const seg = this.segment(p.segment, p.segmentIndex ?? 1)
    return seg?.isNull(p.field, p.repetition ?? 1, p.component ?? 1, p.subcomponent ?? 1) ?? false
  }

  /** Sets the value at `path`, escaping it; appends the segment if it is the next occurrence. */
  set(path: string, value: string): void {
    const p = parseHl7Path(path)
    this.segmentForWrite(p).set(p.field, value, p.repetition, p.component, p.subcomponent)
  }

  /** Sets already-encoded HL7 text at `path` (refused if it would spill into an enclosing level). */
  setRaw(path: string, raw: string): void {
    const p = parseHl7Path(path)
    this.segmentForWrite(p).setRaw(p.field, raw, p.repetition, p.component, p.subcomponent)
  }

  private segmentForWrite(p: Hl7Path): Hl7Segment {
    const n = p.segmentIndex ?? 1
    const existing = this.segment(p.segment, n)
    if (existing) return existing
    if (p.segment === 'MSH' || p.segment === 'FHS' || p.segment === 'BHS') {
      throw new AppError('invalid_input', `Cannot add a ${p.segment} segment by path`)
    }
    if (n !== this.segmentsNamed(p.segment).length + 1) {
      throw new AppError('invalid_input', `Cannot set ${p.segment}[${n}]: the message has fewer ${p.segment} segments`)
    }
    const seg = new Hl7Segment(p.segment, this.ctx)
    this.list.push(seg)
    return seg
  }

  /**
   * A view of the header plus the segments at positions [from, to) (0-based, the MSH being 0), as a
   * message of its own: e.g. one patient's group of an ORU that reports on several patients. The
   * segments are shared with this message, so the view is for reading.
   */
  slice(from: number, to = this.list.length): Hl7Message {
    const segments = [this.header, ...this.list.slice(Math.max(1, from), to)]
    return new Hl7Message(segments.map((s) => s.raw).join('\r'), segments, this.ctx, this.warnings)
  }

  /** The message in its own delimiters with CR segment terminators (trailing CR included). */
  toString(): string {
    let out = ''
    for (const s of this.list) out += s.raw + '\r'
    return out
  }

  /** Every segment fully decoded: [segment][field][repetition][component][subcomponent]. */
  toStructure(): string[][][][][] {
    return this.list.map((s) => s.toStructure())
  }
}
