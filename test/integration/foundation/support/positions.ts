/** Line and column (1-based) where `needle` first occurs in `text`, computed independently of the engine's JSON locator. */
export function positionOfNeedle(text: string, needle: string, from = 0): { line: number; column: number } {
  const at = text.indexOf(needle, from)
  if (at < 0) throw new Error(`"${needle}" not found`)
  const before = text.slice(0, at)
  const line = before.split('\n').length
  const column = at - (before.lastIndexOf('\n') + 1) + 1
  return { line, column }
}
