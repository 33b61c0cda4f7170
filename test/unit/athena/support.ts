/**
 * Deterministic collaborators for the athenaNet client's unit tests: a virtual clock whose sleeps
 * advance time instantly (and are recorded), a seeded random source, and a scripted fetch.
 */
import type { Clock } from '../../../electron/engine/core/clock'
import { mulberry32 } from '../../support/prng'

export class VirtualClock implements Clock {
  mono = 0
  readonly sleeps: number[] = []
  constructor(public wall = Date.UTC(2025, 5, 2, 15, 0, 0)) {}
  now(): number {
    return this.wall
  }
  monotonic(): number {
    return this.mono
  }
  advance(ms: number): void {
    this.mono += ms
    this.wall += ms
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    this.sleeps.push(ms)
    this.advance(Math.max(0, ms))
    return Promise.resolve()
  }
}

/** A seeded PRNG (mulberry32), so distributions are reproducible. */
export const seeded = (seed = 42): (() => number) => mulberry32(seed)

export interface Scripted {
  status: number
  body?: unknown
  headers?: Record<string, string>
  /** Throw this instead of answering (network errors). */
  error?: Error
}

export interface SeenRequest {
  url: string
  method: string
  headers: Record<string, string>
  body: string | null
}

/** A fetch that answers from a script per URL pattern (first match; the last entry repeats). */
export function scriptedFetch(routes: Array<{ match: RegExp; answers: Scripted[] }>): typeof fetch & { seen: SeenRequest[] } {
  const seen: SeenRequest[] = []
  const f = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input)
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]))
    const body = init?.body === undefined || init.body === null ? null : typeof init.body === 'string' ? init.body : init.body instanceof URLSearchParams ? init.body.toString() : Buffer.from(init.body as Uint8Array).toString('utf8')
    seen.push({ url, method: init?.method ?? 'GET', headers, body })
    const route = routes.find((r) => r.match.test(url))
    if (!route) return new Response(JSON.stringify({ error: 'An unknown API path was called' }), { status: 404 })
    const a = route.answers.length > 1 ? route.answers.shift()! : route.answers[0]!
    if (a.error) throw a.error
    const text = a.body === undefined ? '' : typeof a.body === 'string' ? a.body : JSON.stringify(a.body)
    return new Response(text, { status: a.status, headers: { 'content-type': typeof a.body === 'string' ? 'text/html' : 'application/json', ...a.headers } })
  }) as typeof fetch & { seen: SeenRequest[] }
  f.seen = seen
  return f
}

export const TOKEN_OK: Scripted = { status: 200, body: { access_token: 'tok-1', token_type: 'Bearer', expires_in: 3600, scope: 'athena/service/Athenanet.MDP.*' } }
