/**
 * Response writing. athena's backend is Perl: its JSON escapes `/` as `\/` (M), which a client
 * must parse as ordinary JSON; the sandbox emits the same bytes so naive string matching fails here
 * too rather than in production.
 */
import type { ServerResponse } from 'node:http'

export function athenaJson(body: unknown): string {
  // In JSON text `/` can only occur inside strings, so a global replace is exact.
  return JSON.stringify(body).replace(/\//g, '\\/')
}

export function send(res: ServerResponse, status: number, body: unknown, contentType?: string, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v)
  if (typeof body === 'string' && contentType) {
    res.writeHead(status, { 'Content-Type': `${contentType}; charset=utf-8` })
    res.end(body)
    return
  }
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' })
  res.end(athenaJson(body))
}

/** Plain JSON for the sandbox's own admin API. */
export function sendAdmin(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify(body))
}
