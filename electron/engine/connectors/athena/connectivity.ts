/**
 * Connectivity test of an athenaNet connection, step by step with times: DNS (the API host
 * resolves), TLS (a verified handshake; "not applicable" for the plain-HTTP local sandbox), token
 * (client credentials accepted), ping (`GET /v1/{practiceid}/ping` answers pong — the cheapest call
 * that proves the practice is reachable with these credentials). The first failing step stops the
 * test; its error is shown as data.
 */
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { connect } from 'node:tls'
import type { ConnectivityResult, ConnectivityStep } from '../../../../shared/api/connections'
import { AppError, toErrorData } from '../../../../shared/errors'
import type { ConnectivityTester, EngineContext } from '../../core/engine-context'
import { readOne } from './client/response'
import { resolveBaseUrl } from './environments'
import type { AthenaRuntime } from './runtime'

const STEP_TIMEOUT_MS = 10_000

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let t: NodeJS.Timeout
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new AppError('timeout', `${what} did not finish within ${STEP_TIMEOUT_MS / 1000} s.`)), STEP_TIMEOUT_MS)
    }),
  ])
}

/** Runs named steps in order, timing each; a failing step records its error as data. */
export function stepRunner(ctx: EngineContext, steps: ConnectivityStep[]): (name: string, fn: () => Promise<string>) => Promise<boolean> {
  return async (name, fn) => {
    const t0 = ctx.clock.monotonic()
    try {
      const detail = await fn()
      steps.push({ step: name, ok: true, durationMs: Math.round((ctx.clock.monotonic() - t0) * 10) / 10, detail })
      return true
    } catch (e) {
      const err = toErrorData(e instanceof AppError ? e : new AppError('network_error', (e as Error)?.message ?? 'failed'))
      steps.push({ step: name, ok: false, durationMs: Math.round((ctx.clock.monotonic() - t0) * 10) / 10, error: { code: err.code, message: err.message, retryable: err.retryable } })
      return false
    }
  }
}

/** DNS: the host resolves (an IP address needs no lookup). */
export async function dnsStep(url: URL): Promise<string> {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (isIP(host)) return `${host} is an IP address (no lookup needed)`
  const addrs = await withTimeout(lookup(host, { all: true }), 'DNS lookup')
  return `${host} → ${addrs.map((a) => a.address).join(', ')}`
}

/** TLS: a verified handshake ("not applicable" for plain-HTTP local sandboxes). */
export function tlsStep(u: URL): Promise<string> {
  if (u.protocol === 'http:') return Promise.resolve('not applicable: http (local sandbox)')
  const port = Number(u.port || 443)
  return withTimeout(
    new Promise<string>((resolve, reject) => {
      // Certificate verification stays on (API-10): an untrusted certificate fails this step.
      const socket = connect({ host: u.hostname, port, servername: u.hostname, timeout: STEP_TIMEOUT_MS }, () => {
        const cert = socket.getPeerCertificate()
        const detail = `${socket.getProtocol() ?? 'TLS'}, certificate for ${cert?.subject?.CN ?? u.hostname}, valid until ${cert?.valid_to ?? '?'}`
        socket.end()
        resolve(detail)
      })
      socket.on('error', (e: NodeJS.ErrnoException) =>
        reject(new AppError(/CERT|SSL|SELF_SIGNED|VERIFY/i.test(e.code ?? '') ? 'tls_error' : 'network_error', `TLS handshake failed (${e.code ?? e.name}).`)),
      )
    }),
    'TLS handshake',
  )
}

export function athenaConnectivityTester(ctx: EngineContext, runtime: AthenaRuntime): ConnectivityTester {
  return async (conn) => {
    const steps: ConnectivityStep[] = []
    const at = ctx.clock.now()
    const step = stepRunner(ctx, steps)
    const done = (): ConnectivityResult => ({ connectionId: conn.id, name: conn.name, kind: conn.kind, ok: steps.every((s) => s.ok), steps, at })

    let url: URL | null = null
    const ok =
      (await step('dns', async () => {
        const cfg = runtime.configOf(conn)
        url = new URL(resolveBaseUrl(cfg, runtime.sandboxUrl))
        return dnsStep(url)
      })) &&
      (await step('tls', () => tlsStep(url!))) &&
      (await step('token', async () => {
        const entry = runtime.entry(conn.practiceId, conn.id)
        const before = entry.tokens.state()
        await entry.tokens.getToken(AbortSignal.timeout(STEP_TIMEOUT_MS * 3))
        const after = entry.tokens.state()
        const secs = Math.round((after.expiresInMs ?? 0) / 1000)
        return before.hasToken ? `cached token, valid for ${secs} s more` : `new token, valid for ${secs} s`
      })) &&
      (await step('ping', async () => {
        const client = runtime.client(conn.practiceId, conn.id)
        const res = await client.get('/ping', undefined, { timeoutMs: STEP_TIMEOUT_MS })
        const body = readOne<Record<string, unknown>>(res.body)
        if (!body || String(body.pong) !== 'true') throw new AppError('remote_error', 'athenaNet answered /ping without pong.')
        return `pong from practice ${client.athenaPracticeId} (request ${res.requestId})`
      }))
    void ok
    return done()
  }
}
