/**
 * Sandbox-only admin API (JSON in, JSON out), for demos and for tests that drive the sandbox as a
 * separate process. Not part of athenaNet; no auth, which is why the server binds to loopback by
 * default.
 *   GET  /__sandbox/faults            current faults
 *   POST /__sandbox/faults            merge faults (body: Faults)
 *   POST /__sandbox/reset             clear faults and counters; {"data":true} also re-seeds
 *   GET  /__sandbox/stats             request counts, throttling, record counts
 *   POST /__sandbox/simulate-changes  {"count":n} random staff edits
 *   GET  /__sandbox/info              endpoints, credentials and limits in force
 */
import type { ServerResponse } from 'node:http'
import type { Faults } from './faults'
import type { SandboxServer } from './server'
import { sendAdmin } from './wire'

function parseJson(body: Buffer): Record<string, unknown> | null {
  if (body.length === 0) return {}
  try {
    const v: unknown = JSON.parse(body.toString('utf8'))
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null
  } catch {
    return null
  }
}

export function handleAdmin(s: SandboxServer, method: string, path: string, query: URLSearchParams, body: Buffer, res: ServerResponse): void {
  const route = `${method} ${path.replace(/\/+$/, '')}`
  const json = parseJson(body)
  if (json === null) return sendAdmin(res, 400, { error: 'Body must be a JSON object.' })
  switch (route) {
    case 'GET /__sandbox/faults':
      return sendAdmin(res, 200, s.faults.state())
    case 'POST /__sandbox/faults':
      return sendAdmin(res, 200, s.faults.set(json as Faults))
    case 'POST /__sandbox/reset':
      s.reset(json.data === true || query.get('data') === 'true')
      return sendAdmin(res, 200, { reset: true, faults: s.faults.state(), records: s.world.store.counts() })
    case 'GET /__sandbox/stats':
      return sendAdmin(res, 200, s.stats())
    case 'POST /__sandbox/simulate-changes': {
      const n = Number(json.count ?? query.get('count') ?? 10)
      if (!Number.isFinite(n) || n < 0 || n > 100_000) return sendAdmin(res, 400, { error: 'count must be a number between 0 and 100000.' })
      return sendAdmin(res, 200, s.simulate(n))
    }
    case 'GET /__sandbox/info': {
      const c = s.cfg
      return sendAdmin(res, 200, {
        practiceId: c.practiceId,
        clientId: c.clients[0]!.clientId,
        tokenUrl: '/oauth2/v1/token',
        apiBase: `/v1/${c.practiceId}`,
        limits: {
          qps: c.qps,
          dailyQuota: c.dailyQuota,
          tokenLifetimeSeconds: c.tokenLifetimeSeconds,
          tokenRequestsPerMinute: c.tokenRequestsPerMinute,
          throttleStatus: c.throttleStatus,
          retryAfter: c.retryAfter,
          quotaHeaders: c.quotaHeaders,
        },
      })
    }
    default:
      return sendAdmin(res, 404, { error: `No sandbox admin route ${route}.` })
  }
}
