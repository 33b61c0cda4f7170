/**
 * The FHIR connector's live state inside one engine: a client per `fhir-r4` connection, built on
 * the athena runtime's shared pieces — the rate-limit scope (API host + client id: FHIR and
 * athenaNet calls of one key spend one bucket, one daily quota, one retry budget and one
 * token-request gate), the practice's circuit breaker and the API log. Tokens come from the
 * athena client's TokenManager (HTTP Basic, or private_key_jwt signed with `jose` from a key in the
 * keychain).
 */
import { randomUUID } from 'node:crypto'
import { importPKCS8, SignJWT } from 'jose'
import { AppError } from '../../../../shared/errors'
import { deepFreeze } from '../../core/deep-freeze'
import { fhirConnectionConfigSchema, type FhirConnectionConfig } from '../../../../shared/config'
import type { EngineContext } from '../../core/engine-context'
import type { StoredConnection } from '../../practices/connections-repo'
import { TokenManager } from '../athena/client/token-manager'
import type { AthenaRuntime, Scope } from '../athena/runtime'
import { FhirClient, practiceParamFor } from './client/fhir-client'

/** H: athena's FHIR bases (reference fhir.md §1.1). */
export const FHIR_BASES = {
  preview: 'https://api.preview.platform.athenahealth.com/fhir/r4',
  production: 'https://api.platform.athenahealth.com/fhir/r4',
} as const

export interface FhirEntry {
  fingerprint: string
  client: FhirClient
  tokens: TokenManager
  scope: Scope
  config: FhirConnectionConfig
  connection: StoredConnection
  athenaPracticeId: string | null
}

export interface FhirRuntimeOptions {
  fetch?: typeof fetch
  random?: () => number
}

export class FhirRuntime {
  private readonly clients = new Map<string, FhirEntry>()
  private readonly parsed = new Map<string, { text: string; cfg: FhirConnectionConfig }>()
  private readonly tokenManagers = new Map<string, TokenManager>()
  readonly fetch: typeof fetch

  constructor(
    readonly ctx: EngineContext,
    readonly athena: AthenaRuntime,
    readonly opts: FhirRuntimeOptions = {},
  ) {
    this.fetch = opts.fetch ?? athena.fetch
  }

  connectionFor(practiceId: string, connectionId?: string | null): StoredConnection {
    this.ctx.practices.get(practiceId)
    if (connectionId) {
      const c = this.ctx.connections.get(connectionId)
      if (c.practiceId !== practiceId || c.kind !== 'fhir-r4') throw new AppError('not_found', `Connection "${connectionId}" is not a FHIR connection of practice "${practiceId}".`)
      return c
    }
    const c = this.ctx.connections.list(practiceId).find((x) => x.kind === 'fhir-r4' && x.enabled)
    if (!c) throw new AppError('not_found', `Practice "${practiceId}" has no enabled FHIR connection. Add one on the Connections page.`)
    return c
  }

  hasConnection(practiceId: string): boolean {
    return this.ctx.connections.list(practiceId).some((x) => x.kind === 'fhir-r4' && x.enabled)
  }

  /**
   * The connection's settings, parsed once per stored text: every delivery and every processed
   * notification asks, and the schema parse was ~0.2 ms of each (bench, README "Webhook receipt").
   * Frozen, since every caller shares it.
   */
  configOf(conn: StoredConnection): FhirConnectionConfig {
    const text = JSON.stringify(conn.config)
    const hit = this.parsed.get(conn.id)
    if (hit?.text === text) return hit.cfg
    const cfg = deepFreeze(fhirConnectionConfigSchema.parse(conn.config))
    this.parsed.set(conn.id, { text, cfg })
    return cfg
  }

  baseUrlOf(cfg: FhirConnectionConfig): string {
    if (cfg.baseUrl) return cfg.baseUrl.replace(/\/+$/, '')
    if (cfg.preset === 'sandbox') {
      if (!this.athena.sandboxUrl) throw new AppError('connection_refused', 'The local sandbox is not running.', { retryable: true })
      return `${this.athena.sandboxUrl}/fhir/r4`
    }
    if (cfg.preset === 'custom') throw new AppError('config_invalid', 'A custom FHIR server needs its base URL.', { retryable: false })
    return FHIR_BASES[cfg.preset]
  }

  tokenUrlOf(cfg: FhirConnectionConfig, baseUrl: string): string {
    return cfg.tokenUrl ?? `${new URL(baseUrl).origin}/oauth2/v1/token`
  }

  entry(practiceId: string, connectionId?: string | null): FhirEntry {
    const conn = this.connectionFor(practiceId, connectionId)
    if (!conn.enabled) throw new AppError('conflict', `Connection "${conn.name}" is disabled.`, { retryable: false })
    const practice = this.ctx.practices.get(practiceId)
    const cfg = this.configOf(conn)
    const baseUrl = this.baseUrlOf(cfg)
    const fingerprint = JSON.stringify([conn.updatedAt, conn.config, practice.athenaPracticeId, baseUrl])
    const cur = this.clients.get(conn.id)
    if (cur && cur.fingerprint === fingerprint) return cur
    const entry = this.build(practiceId, practice.athenaPracticeId, conn, cfg, baseUrl, fingerprint)
    this.clients.set(conn.id, entry)
    return entry
  }

  client(practiceId: string, connectionId?: string | null): FhirClient {
    return this.entry(practiceId, connectionId).client
  }

  private build(practiceId: string, athenaPracticeId: string | null, conn: StoredConnection, cfg: FhirConnectionConfig, baseUrl: string, fingerprint: string): FhirEntry {
    const { ctx, athena } = this
    const scope = athena.scope(baseUrl, cfg)
    const breaker = athena.breaker(practiceId, cfg)
    const logger = ctx.logger.child({ component: 'fhir', practiceId })
    const log = athena.apiLog
    const tokenUrl = this.tokenUrlOf(cfg, baseUrl)
    const tokenKey = JSON.stringify([conn.id, tokenUrl, cfg.clientId, cfg.scopes, cfg.auth, cfg.jwtAlg, cfg.jwtKid, cfg.timeoutMs, cfg.requestIdHeader, cfg.tokenRefreshMarginSeconds])
    const secretField = cfg.auth === 'private_key_jwt' ? 'private_key' : 'client_secret'
    const tokens =
      this.tokenManagers.get(tokenKey) ??
      new TokenManager({
        tokenUrl,
        clientId: cfg.clientId,
        getSecret: () => ctx.connections.getSecret(conn.id, secretField),
        scopes: cfg.scopes,
        fetch: this.fetch,
        clock: ctx.clock,
        logger,
        gate: scope.gate,
        refreshMarginMs: cfg.tokenRefreshMarginSeconds === null ? null : cfg.tokenRefreshMarginSeconds * 1000,
        timeoutMs: cfg.timeoutMs,
        requestIdHeader: cfg.requestIdHeader,
        newRequestId: randomUUID,
        random: this.opts.random,
        clientAssertion: cfg.auth === 'private_key_jwt' ? (pem) => signAssertion(pem, cfg, tokenUrl, ctx.clock.now()) : undefined,
        onCall: (r) =>
          log.record({
            ...r,
            practiceId,
            connectionId: conn.id,
            method: 'POST',
            endpoint: new URL(tokenUrl).pathname,
            path: new URL(tokenUrl).pathname,
            errorCode: r.errorCode ?? null,
            errorMessage: r.errorMessage ?? null,
            developerDetail: null,
            retried: r.attempt > 1,
            scope: scope.key,
            kind: 'token',
          }),
      })
    this.tokenManagers.set(tokenKey, tokens)
    const client = new FhirClient({
      practiceId,
      connectionId: conn.id,
      baseUrl,
      fetch: this.fetch,
      clock: ctx.clock,
      logger,
      tokens,
      limits: scope.limits,
      breaker,
      settings: {
        timeoutMs: cfg.timeoutMs,
        maxRetries: cfg.maxRetries,
        backoff: { baseMs: cfg.backoffBaseMs, capMs: cfg.backoffCapMs },
        maxCallMs: cfg.maxCallMs,
        maxRetryAfterMs: cfg.maxRetryAfterMs,
        requestIdHeader: cfg.requestIdHeader,
        pageSize: cfg.pageSize,
        pageDelayMs: cfg.pageDelayMs,
        searchVia: cfg.searchVia,
        practiceParam: cfg.practiceContext ? practiceParamFor(athenaPracticeId, cfg.practiceParamForm) : null,
      },
      newRequestId: randomUUID,
      random: this.opts.random,
      onCall: (r) => log.record({ ...r, scope: scope.key, kind: 'api' }),
    })
    return { fingerprint, client, tokens, scope, config: cfg, connection: conn, athenaPracticeId }
  }

  /** Configuration or secrets changed: clients are rebuilt on next use. */
  invalidate(): void {
    this.clients.clear()
    for (const t of this.tokenManagers.values()) t.credentialsMayHaveChanged()
  }
}

/** SMART Backend Services client assertion: iss = sub = client id, aud = token URL, exp ≤ 5 min, unique jti. */
async function signAssertion(pem: string, cfg: FhirConnectionConfig, tokenUrl: string, nowMs: number): Promise<string> {
  let key: Awaited<ReturnType<typeof importPKCS8>>
  try {
    key = await importPKCS8(pem, cfg.jwtAlg)
  } catch {
    throw new AppError('auth_failed', `The private key in the keychain is not a PKCS#8 PEM key usable with ${cfg.jwtAlg}.`, { retryable: false, details: { reason: 'private_key_invalid' } })
  }
  const now = Math.floor(nowMs / 1000)
  return new SignJWT({})
    .setProtectedHeader({ alg: cfg.jwtAlg, typ: 'JWT', ...(cfg.jwtKid ? { kid: cfg.jwtKid } : {}) })
    .setIssuer(cfg.clientId ?? '')
    .setSubject(cfg.clientId ?? '')
    .setAudience(tokenUrl)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .setJti(randomUUID())
    .sign(key)
}
