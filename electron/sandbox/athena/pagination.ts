/**
 * List envelope `{<plural>: [...], totalcount, next, previous}` (M). `next`/`previous` are relative
 * URLs including `/v1/{practiceid}`, echoing the original parameters with upper-cased names and
 * the new offset (M, captured fixtures), e.g. `/v1/195900/patients?LASTNAME=Rivera&limit=2&offset=2`.
 */
import type { RequestContext } from './context'
import { invalidData } from './errors'

export interface Limits {
  defaultLimit: number
  maxLimit: number
}

/** Most endpoints: default 1500, max 5000 (H doc text). */
export const STANDARD_LIMITS: Limits = { defaultLimit: 1500, maxLimit: 5000 }
/** /appointments/open and several chart lists: default 1000, max 10000 (H doc text). */
export const LARGE_LIMITS: Limits = { defaultLimit: 1000, maxLimit: 10000 }

export function readPaging(ctx: RequestContext, limits: Limits): { limit: number; offset: number; limitGiven: boolean } {
  const rawLimit = ctx.params.int('limit')
  const offset = ctx.params.int('offset') ?? 0
  if (offset < 0) throw invalidData(`Expecting a non-negative offset, but value is ${offset}`)
  // Over-large limits are clamped rather than rejected (athena's behaviour here is U).
  const limit = rawLimit === undefined || rawLimit <= 0 ? limits.defaultLimit : Math.min(rawLimit, limits.maxLimit)
  return { limit, offset, limitGiven: rawLimit !== undefined && rawLimit > 0 }
}

export function pageLink(ctx: RequestContext, offset: number, limit: number, limitGiven: boolean): string {
  const parts: string[] = []
  for (const [name, value] of ctx.params.ordered) {
    const lower = name.toLowerCase()
    if (lower === 'limit' || lower === 'offset') continue
    parts.push(`${encodeURIComponent(name.toUpperCase())}=${encodeURIComponent(value)}`)
  }
  if (limitGiven) parts.push(`limit=${limit}`)
  parts.push(`offset=${offset}`)
  return `${ctx.path}?${parts.join('&')}`
}

/** `totalcount` as the `listTotalcount` option says (a number by default; M). */
export function withTotalcount(ctx: RequestContext, body: Record<string, unknown>, n: number): Record<string, unknown> {
  if (ctx.cfg.listTotalcount !== 'absent') body.totalcount = ctx.cfg.listTotalcount === 'string' ? String(n) : n
  return body
}

export function envelope<T>(ctx: RequestContext, key: string, items: T[], limits: Limits, render: (item: T) => unknown = (i) => i): Record<string, unknown> {
  const { limit, offset, limitGiven } = readPaging(ctx, limits)
  const page = items.slice(offset, offset + limit)
  const out = withTotalcount(ctx, { [key]: page.map(render) }, items.length)
  if (offset + limit < items.length) out.next = pageLink(ctx, offset + limit, limit, limitGiven)
  if (offset > 0) out.previous = pageLink(ctx, Math.max(0, offset - limit), limit, limitGiven)
  return out
}
