/**
 * X12 segments as plain data, read with `x12-parser` (delimiters from the ISA header) and written
 * by our own small writer (no npm package writes HIPAA X12 we could trust more than ~60 lines).
 * An element is its components: `SVC*HC:99213*...` → elements[0] = ['HC', '99213'].
 */
import { Readable } from 'node:stream'
import { X12parser } from 'x12-parser'
import { AppError } from '../../../../../shared/errors'

export interface X12Segment {
  id: string
  /** elements[0] is element 01; each is its components (a simple element has one). */
  elements: string[][]
}

export interface X12Delimiters {
  element: string
  component: string
  repetition: string
  segment: string
}

export const DEFAULT_DELIMITERS: X12Delimiters = { element: '*', component: ':', repetition: '^', segment: '~' }

/** Element `n` (1-based) of a segment, component `c` (1-based), '' when absent. */
export function el(seg: X12Segment | undefined, n: number, c = 1): string {
  return seg?.elements[n - 1]?.[c - 1] ?? ''
}

/** The ISA header fixes the delimiters: element separator at byte 3, ISA16 the component, the terminator right after it. */
export function delimitersOf(text: string): X12Delimiters {
  if (!text.startsWith('ISA') || text.length < 106) {
    throw new AppError('parse_error', 'Not an X12 interchange: the file does not start with a complete ISA segment (106 characters).', { retryable: false })
  }
  const d = { element: text[3], repetition: text[82], component: text[104], segment: text[105] } as X12Delimiters
  if (new Set([d.element, d.component, d.segment]).size !== 3 || /[A-Za-z0-9 ]/.test(d.element + d.component)) {
    throw new AppError('parse_error', 'The ISA header does not define distinct element, component and segment delimiters.', { retryable: false })
  }
  return d
}

/** Strips a UTF-8 BOM and leading blank lines so the ISA header sits at byte 0. */
export function normaliseX12(bytes: Buffer | string): string {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('latin1')
  return text.replace(/^\uFEFF|^\u00EF\u00BB\u00BF/, '').replace(/^\s+/, '')
}

/** Every segment of an interchange, in order (x12-parser's stream; one pass, no grouping). */
export async function readX12(bytes: Buffer | string): Promise<{ segments: X12Segment[]; delimiters: X12Delimiters }> {
  const text = normaliseX12(bytes)
  const delimiters = delimitersOf(text)
  const segments: X12Segment[] = []
  await new Promise<void>((resolve, reject) => {
    const parser = new X12parser('latin1')
    parser.on('data', (f: Record<string, string>) => {
      const seg = fromFormatted(f)
      if (seg.id !== '') segments.push(seg)
    })
    parser.on('error', (e) => reject(new AppError('parse_error', `The X12 file could not be read: ${(e as Error).message}`, { retryable: false })))
    parser.on('end', () => resolve())
    Readable.from([Buffer.from(text, 'latin1')]).pipe(parser)
  })
  return { segments, delimiters }
}

/** x12-parser's shape (`{name, '1': first component, '1-1': second, …}`) → ours. */
function fromFormatted(f: Record<string, string>): X12Segment {
  const elements: string[][] = []
  for (let i = 1; f[String(i)] !== undefined; i++) {
    const comps = [f[String(i)] as string]
    for (let c = 1; f[`${i}-${c}`] !== undefined; c++) comps.push(f[`${i}-${c}`] as string)
    elements.push(comps)
  }
  return { id: (f.name ?? '').trim(), elements }
}

/** Writes segments with the given delimiters; trailing empty elements and components are dropped, as X12 requires. */
export class X12Writer {
  private readonly out: string[] = []

  constructor(
    readonly delimiters: X12Delimiters = DEFAULT_DELIMITERS,
    private readonly lineBreaks = true,
  ) {}

  /** Appends a segment; returns how many segments were written so far. */
  seg(id: string, ...elements: Array<string | number | null | undefined | Array<string | number | null | undefined>>): number {
    const d = this.delimiters
    const parts = elements.map((e) => (Array.isArray(e) ? trimEnd(e.map((c) => this.clean(c))).join(d.component) : this.clean(e)))
    this.out.push([id, ...trimEnd(parts)].join(d.element) + d.segment)
    return this.out.length
  }

  /** The ISA segment, fixed width (every element padded), written verbatim. */
  raw(segment: string): void {
    this.out.push(segment + this.delimiters.segment)
  }

  get count(): number {
    return this.out.length
  }

  toString(): string {
    return this.out.join(this.lineBreaks ? '\n' : '') + (this.lineBreaks ? '\n' : '')
  }

  /** Delimiter characters never reach the file inside data (they would split it); they become spaces. */
  private clean(v: string | number | null | undefined): string {
    if (v === null || v === undefined) return ''
    const d = this.delimiters
    let s = String(v)
    for (const ch of [d.element, d.component, d.repetition, d.segment, '\r', '\n']) if (s.includes(ch)) s = s.split(ch).join(' ')
    return s.trim()
  }
}

function trimEnd(a: string[]): string[] {
  let n = a.length
  while (n > 0 && a[n - 1] === '') n--
  return a.slice(0, n)
}

/** "945.00" → 94500; X12 decimals (R) may have no dot, a leading minus, or a leading dot. */
export function toCents(v: string): number | null {
  const t = v.trim()
  if (!/^-?(\d+\.?\d*|\.\d+)$/.test(t)) return null
  return Math.round(Number(t) * 100)
}

/** 94500 → "945"; 9450 → "94.5" (X12 R: no trailing zeros needed). */
export function fromCents(c: number): string {
  const neg = c < 0
  const a = Math.abs(c)
  const whole = Math.floor(a / 100)
  const frac = a % 100
  const s = frac === 0 ? String(whole) : `${whole}.${String(frac).padStart(2, '0').replace(/0$/, '')}`
  return neg ? `-${s}` : s
}
