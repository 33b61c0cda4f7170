/** A value of a patient field as words: an address or an insurance (objects, possibly nested or listed) as its parts. */
export const show = (v: unknown): string => {
  if (v === null || v === undefined || v === '') return '—'
  if (typeof v !== 'object') return String(v)
  const parts = (Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)).map(show).filter((x) => x !== '—')
  return parts.length ? parts.join(', ') : '—'
}
