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
 *   GET/POST /__sandbox/fhir/faults   FHIR push faults (duplicate, reorder, batch, drop, delayMs, badSignature, statusShape)
 *   POST /__sandbox/fhir/writes       {"on":true} accept FHIR creates/updates like a generic R4 server
 *   POST /__sandbox/fhir/trigger      {"topic":"Encounter.signoff","id":1100123} emit an event
 *   GET  /__sandbox/fhir/deliveries   push attempts, counters and dead letters
 *   POST /__sandbox/fhir/redeliver    replay the dead letters
 *   POST /__sandbox/jwks              {"clientId","jwks"} register a private_key_jwt client
 */
import type { ServerResponse } from 'node:http'
import type { Faults } from './faults'
import type { PushFaults } from './fhir/push'
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
    case 'GET /__sandbox/fhir/faults':
      return sendAdmin(res, 200, s.fhir.push.faults)
    case 'POST /__sandbox/fhir/faults':
      return sendAdmin(res, 200, s.fhir.setPushFaults(json as PushFaults))
    case 'POST /__sandbox/fhir/writes':
      s.fhir.setWrites(json.on === true)
      return sendAdmin(res, 200, { fhirWrites: json.on === true })
    case 'POST /__sandbox/fhir/trigger': {
      if (typeof json.topic !== 'string' || typeof json.id !== 'number') return sendAdmin(res, 400, { error: 'topic (string) and id (number) are required.' })
      return sendAdmin(res, 200, { eventIds: s.trigger(json.topic, json.id) })
    }
    case 'GET /__sandbox/fhir/deliveries':
      return sendAdmin(res, 200, { counters: s.fhir.push.counters, deliveries: s.fhir.push.log.slice(-200), deadLetters: s.fhir.push.deadLetters.map(({ events: _e, ...d }) => d) })
    case 'POST /__sandbox/fhir/redeliver':
      return sendAdmin(res, 200, { redelivered: s.fhir.push.redeliverDeadLetters() })
    case 'POST /__sandbox/jwks': {
      const jwks = json.jwks as { keys?: unknown } | undefined
      if (typeof json.clientId !== 'string' || !Array.isArray(jwks?.keys)) return sendAdmin(res, 400, { error: 'clientId and jwks {keys:[...]} are required.' })
      s.cfg.jwtClients = [...s.cfg.jwtClients.filter((c) => c.clientId !== json.clientId), { clientId: json.clientId, jwks: jwks as { keys: Array<Record<string, unknown>> } }]
      return sendAdmin(res, 200, { registered: json.clientId })
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
