/**
 * A small JSON parser that remembers where every value starts, so configuration errors can say
 * "line 14, column 9" instead of "somewhere in practices[0].connections[1]". It accepts exactly
 * JSON (RFC 8259); on a syntax error it throws with the line and column.
 */
export interface Position {
  line: number
  column: number
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: Position,
  ) {
    super(`${message} at line ${position.line}, column ${position.column}`)
  }
}

export function parseJsonWithPositions(text: string): { value: unknown; positions: Map<string, Position> } {
  const positions = new Map<string, Position>()
  let i = 0
  const lineStarts = [0]
  for (let k = 0; k < text.length; k++) if (text.charCodeAt(k) === 10) lineStarts.push(k + 1)
  const pos = (offset: number): Position => {
    let lo = 0
    let hi = lineStarts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (lineStarts[mid] <= offset) lo = mid
      else hi = mid - 1
    }
    return { line: lo + 1, column: offset - lineStarts[lo] + 1 }
  }
  const fail = (msg: string): never => {
    throw new JsonSyntaxError(msg, pos(Math.min(i, text.length)))
  }
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++
  }
  const str = (): string => {
    i++ // opening quote
    let out = ''
    for (;;) {
      if (i >= text.length) fail('Unterminated string')
      const c = text[i]
      if (c === '"') {
        i++
        return out
      }
      if (c === '\\') {
        const e = text[i + 1]
        const map: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }
        if (e in map) {
          out += map[e]
          i += 2
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16))
          i += 6
        } else fail('Invalid escape in string')
        continue
      }
      if (c.charCodeAt(0) < 0x20) fail('Control character in string')
      out += c
      i++
    }
  }
  const value = (path: string): unknown => {
    ws()
    positions.set(path, pos(i))
    const c = text[i]
    if (c === '{') {
      i++
      const obj: Record<string, unknown> = Object.create(null) as Record<string, unknown>
      ws()
      if (text[i] === '}') {
        i++
        return { ...obj }
      }
      for (;;) {
        ws()
        if (text[i] !== '"') fail('Expected a property name in double quotes')
        const key = str()
        ws()
        if (text[i] !== ':') fail(`Expected ':' after "${key}"`)
        i++
        obj[key] = value(path ? `${path}.${key}` : key)
        ws()
        if (text[i] === ',') {
          i++
          continue
        }
        if (text[i] === '}') {
          i++
          return { ...obj }
        }
        fail("Expected ',' or '}'")
      }
    }
    if (c === '[') {
      i++
      const arr: unknown[] = []
      ws()
      if (text[i] === ']') {
        i++
        return arr
      }
      for (;;) {
        arr.push(value(`${path}[${arr.length}]`))
        ws()
        if (text[i] === ',') {
          i++
          continue
        }
        if (text[i] === ']') {
          i++
          return arr
        }
        fail("Expected ',' or ']'")
      }
    }
    if (c === '"') return str()
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 64))
    if (m && m[0].length > 0) {
      i += m[0].length
      return Number(m[0])
    }
    for (const [lit, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(lit, i)) {
        i += lit.length
        return v
      }
    }
    return fail(i >= text.length ? 'Unexpected end of input' : `Unexpected character '${c}'`)
  }
  const v = value('')
  ws()
  if (i < text.length) fail('Unexpected content after the end of the document')
  return { value: v, positions }
}

/** Position of a zod issue path (['practices', 0, 'id']) in the document, falling back to the nearest parent. */
export function positionOf(positions: Map<string, Position>, path: (string | number)[]): Position | null {
  for (let n = path.length; n >= 0; n--) {
    let key = ''
    for (const part of path.slice(0, n)) key = typeof part === 'number' ? `${key}[${part}]` : key ? `${key}.${part}` : String(part)
    const p = positions.get(key)
    if (p) return p
  }
  return null
}
