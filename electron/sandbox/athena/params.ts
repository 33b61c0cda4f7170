/**
 * Request parameters as athena reads them: names case-insensitive (its `next` links echo them
 * upper-cased, L), values from the query string and/or the form body, multi-values either
 * repeated or comma-separated (H). Blank values count as absent.
 */
import { invalidData, missingFields } from './errors'
import { parseDate, dayNumber } from './time'

export class Params {
  private readonly byName = new Map<string, string[]>()
  /** Original names and values in arrival order, for echoing into `next` links. */
  readonly ordered: Array<[string, string]> = []

  add(name: string, value: string): void {
    this.ordered.push([name, value])
    const key = name.toLowerCase()
    const list = this.byName.get(key)
    if (list) list.push(value)
    else this.byName.set(key, [value])
  }

  static from(...sources: Array<URLSearchParams | Record<string, string> | undefined>): Params {
    const p = new Params()
    for (const src of sources) {
      if (!src) continue
      const entries = src instanceof URLSearchParams ? src.entries() : Object.entries(src)
      for (const [k, v] of entries) p.add(k, v)
    }
    return p
  }

  /** First non-blank value, trimmed. */
  get(name: string): string | undefined {
    for (const v of this.byName.get(name.toLowerCase()) ?? []) {
      const t = v.trim()
      if (t !== '') return t
    }
    return undefined
  }

  has(name: string): boolean {
    return this.get(name) !== undefined
  }

  /** Repeated keys and comma lists merged: `providerid=1,2&providerid=3` → ['1','2','3']. */
  list(name: string, separator: RegExp = /,/): string[] {
    const out: string[] = []
    for (const v of this.byName.get(name.toLowerCase()) ?? []) {
      for (const part of v.split(separator)) {
        const t = part.trim()
        if (t !== '') out.push(t)
      }
    }
    return out
  }

  /** Integer list; a non-integer member is "The data provided is invalid." */
  intList(name: string): number[] {
    return this.list(name).map((v) => {
      if (!/^-?\d+$/.test(v)) throw invalidData(`Expecting format integer for ${name}, but value is ${v}`)
      return Number(v)
    })
  }

  int(name: string): number | undefined {
    const v = this.get(name)
    if (v === undefined) return undefined
    if (!/^-?\d+$/.test(v)) throw invalidData(`Expecting format integer for ${name}, but value is ${v}`)
    return Number(v)
  }

  /** athena takes true/false and, on older endpoints, 1/0 and Y/N (M). */
  bool(name: string, fallback = false): boolean {
    const v = this.get(name)?.toLowerCase()
    if (v === undefined) return fallback
    if (['true', '1', 'y', 'yes'].includes(v)) return true
    if (['false', '0', 'n', 'no'].includes(v)) return false
    throw invalidData(`Expecting format boolean for ${name}, but value is ${v}`)
  }

  /** `MM/DD/YYYY` → day number; other shapes are rejected the way athena does. */
  day(name: string): number | undefined {
    const v = this.get(name)
    if (v === undefined) return undefined
    const ymd = parseDate(v)
    if (!ymd) throw invalidData(`Expecting format date, but value is ${v}`)
    return dayNumber(ymd)
  }

  require(...names: string[]): void {
    const missing = names.filter((n) => !this.has(n))
    if (missing.length) throw missingFields(missing)
  }
}
