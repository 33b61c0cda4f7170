/**
 * Shared helpers for the athenaNet sandbox tests: a manual Clock (time only moves when a test
 * says so), a sandbox starter with test-friendly limits, and thin fetch wrappers that speak the
 * sandbox's wire format (form bodies, Bearer tokens).
 */
import type { Clock } from '../../../electron/engine/core/clock'
import { startAthenaSandbox, type AthenaSandbox, type AthenaSandboxOptions } from '../../../electron/sandbox/athena'

export class ManualClock implements Clock {
  private mono = 0
  private readonly waiters: Array<{ at: number; resolve: () => void }> = []

  constructor(private wall: number) {}

  now(): number {
    return this.wall
  }

  monotonic(): number {
    return this.mono
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ at: this.mono + ms, resolve })
    })
  }

  /** Sleeps waiting for the clock to move (lets a test see that a latency fault is in effect). */
  get pendingSleeps(): number {
    return this.waiters.length
  }

  advance(ms: number): void {
    this.wall += ms
    this.mono += ms
    for (const w of this.waiters.filter((x) => x.at <= this.mono)) {
      this.waiters.splice(this.waiters.indexOf(w), 1)
      w.resolve()
    }
  }

  /** Moves wall time to `epochMs` (monotonic moves by the same amount). */
  set(epochMs: number): void {
    this.advance(epochMs - this.wall)
  }
}

/** Monday 2 June 2025, 15:00 UTC = 11:00 in Boston (EDT): a fixed "now" for deterministic data. */
export const T0 = Date.UTC(2025, 5, 2, 15, 0, 0)

export const PRACTICE = 195900
export const MDP = 'athena/service/Athenanet.MDP.*'

export interface Started {
  sb: AthenaSandbox
  clock: ManualClock
}

/** Unlimited QPS and token requests unless a test asks otherwise, so unrelated tests never throttle. */
export async function start(opts: AthenaSandboxOptions = {}): Promise<Started> {
  const clock = (opts.clock as ManualClock | undefined) ?? new ManualClock(T0)
  const sb = await startAthenaSandbox({ patientCount: 200, qps: 0, tokenRequestsPerMinute: 0, ...opts, clock })
  return { sb, clock }
}

export function basicAuth(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
}

export async function requestToken(sb: AthenaSandbox, scope = MDP): Promise<Response> {
  return fetch(`${sb.url}/oauth2/v1/token`, {
    method: 'POST',
    headers: { Authorization: basicAuth(sb.clientId, sb.clientSecret) },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  })
}

export async function token(sb: AthenaSandbox, scope = MDP): Promise<string> {
  const res = await requestToken(sb, scope)
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { access_token: string }).access_token
}

export interface ApiResponse<T = any> {
  status: number
  headers: Headers
  text: string
  json: T
}

type ParamValue = string | number | boolean | Array<string | number>

function toSearch(params: Record<string, ParamValue> = {}): URLSearchParams {
  const s = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) for (const x of v) s.append(k, String(x))
    else s.append(k, String(v))
  }
  return s
}

/**
 * Calls `/v1/{practice}{path}` (or an absolute path starting with `/v1/`). GET and DELETE put
 * params in the query string; POST and PUT send them form-encoded, as athena expects.
 */
export async function api<T = any>(
  sb: AthenaSandbox,
  tok: string | null,
  method: string,
  path: string,
  params: Record<string, ParamValue> = {},
): Promise<ApiResponse<T>> {
  const full = path.startsWith('/v1/') ? path : `/v1/${PRACTICE}${path}`
  const qs = toSearch(params)
  const withQuery = method === 'GET' || method === 'DELETE'
  const sep = full.includes('?') ? '&' : '?'
  const url = `${sb.url}${full}${withQuery && [...qs].length ? sep + qs.toString() : ''}`
  const res = await fetch(url, {
    method,
    headers: tok ? { Authorization: `Bearer ${tok}` } : {},
    body: withQuery ? undefined : qs,
  })
  const text = await res.text()
  let json: any = undefined
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json }
}

export async function admin<T = any>(sb: AthenaSandbox, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${sb.url}/__sandbox/${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, json: (await res.json()) as T }
}

/** MM/DD/YYYY of `epochMs + days` in US Eastern. */
export function easternDate(epochMs: number, days = 0): string {
  const d = new Date(epochMs + days * 86_400_000)
  const f = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit' })
  return f.format(d)
}

/** MM/DD/YYYY HH:MM:SS in US Eastern. */
export function easternStamp(epochMs: number): string {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/New_York',
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })
  return f.format(new Date(epochMs)).replace(',', '')
}
