/**
 * The athenaNet connector's live state inside one engine: a client per connection (rebuilt when
 * its configuration or secret changes), the shared limits per rate-limit scope (API host + client
 * id: athena's limits are per key, whichever practice spends them), a circuit breaker per
 * practice, and the stores (API log, reference data, sync state).
 */
import { randomUUID } from 'node:crypto'
import { AppError } from '../../../../shared/errors'
import { athenaConnectionConfigSchema, type AthenaConnectionConfig } from '../../../../shared/config'
import type { EngineContext } from '../../core/engine-context'
import type { MappingContext } from '../../mapping'
import type { StoredConnection } from '../../practices/connections-repo'
import { AthenaClient, type SharedLimits } from './client/athena-client'
import { CircuitBreaker, type CircuitSnapshot } from './client/circuit-breaker'
import { DailyQuota } from './client/daily-quota'
import { RetryBudget } from './client/retry-budget'
import { TokenBucket } from './client/token-bucket'
import { MDP_SCOPE, TokenManager, TokenRateGate, type TokenState } from './client/token-manager'
import { resolveBaseUrl } from './environments'
import { ApiLogRepo, type UsageCounts } from './store/api-log-repo'
import { ReferenceRepo } from './store/reference-repo'
import { SyncStateRepo } from './store/sync-state-repo'

/** The limit settings a rate-limit scope is built from (athenaNet and FHIR connections both have them). */
export type LimitSettings = Pick<AthenaConnectionConfig, 'clientId' | 'qps' | 'burst' | 'dailyQuota' | 'retryBudgetRatio' | 'retryBudgetMin' | 'tokenRequestsPerMinute'>
export type BreakerSettings = Pick<AthenaConnectionConfig, 'circuitFailureThreshold' | 'circuitOpenMs'>

export interface Scope {
  key: string
  limits: SharedLimits
  gate: TokenRateGate
}

interface ClientEntry {
  fingerprint: string
  client: AthenaClient
  tokens: TokenManager
  scope: Scope
  config: AthenaConnectionConfig
  connection: StoredConnection
}

export interface AthenaUsage {
  practiceId: string
  connectionId: string | null
  connectionName: string | null
  environment: string | null
  today: UsageCounts
  dailyQuota: number | null
  remainingQuota: number | null
  serverRemaining: number | null
  quotaResetsAt: number | null
  qps: number | null
  circuit: CircuitSnapshot
  token: TokenState | null
  retryBudget: number | null
}

export interface RuntimeOptions {
  fetch?: typeof fetch
  random?: () => number
}

export class AthenaRuntime {
  readonly apiLog: ApiLogRepo
  readonly reference: ReferenceRepo
  readonly syncState: SyncStateRepo
  /** Set by the sandbox service while the in-process sandbox listens. */
  sandboxUrl: string | null = null
  private readonly scopes = new Map<string, Scope>()
  private readonly breakers = new Map<string, CircuitBreaker>()
  private readonly clients = new Map<string, ClientEntry>()
  /** Token managers outlive client rebuilds, so a configuration change elsewhere costs no token request. */
  private readonly tokenManagers = new Map<string, TokenManager>()
  readonly fetch: typeof fetch

  constructor(
    readonly ctx: EngineContext,
    readonly opts: RuntimeOptions = {},
  ) {
    this.apiLog = new ApiLogRepo(ctx.db, ctx.batcher, ctx.clock, ctx.logger.child({ component: 'athena-log' }))
    this.reference = new ReferenceRepo(ctx.db)
    this.syncState = new SyncStateRepo(ctx.db)
    this.fetch = opts.fetch ?? globalThis.fetch
  }

  /** The practice's athenaNet connection: the named one, or its first enabled athena-rest connection. */
  connectionFor(practiceId: string, connectionId?: string | null): StoredConnection {
    this.ctx.practices.get(practiceId)
    if (connectionId) {
      const c = this.ctx.connections.get(connectionId)
      if (c.practiceId !== practiceId || c.kind !== 'athena-rest') throw new AppError('not_found', `Connection "${connectionId}" is not an athenaNet connection of practice "${practiceId}".`)
      return c
    }
    const c = this.ctx.connections.list(practiceId).find((x) => x.kind === 'athena-rest' && x.enabled)
    if (!c) throw new AppError('not_found', `Practice "${practiceId}" has no enabled athenaNet connection. Add one on the Connections page.`)
    return c
  }

  configOf(conn: StoredConnection): AthenaConnectionConfig {
    return athenaConnectionConfigSchema.parse(conn.config)
  }

  hasConnection(practiceId: string): boolean {
    return this.ctx.connections.list(practiceId).some((x) => x.kind === 'athena-rest' && x.enabled)
  }

  client(practiceId: string, connectionId?: string | null): AthenaClient {
    return this.entry(practiceId, connectionId).client
  }

  entry(practiceId: string, connectionId?: string | null): ClientEntry {
    const conn = this.connectionFor(practiceId, connectionId)
    if (!conn.enabled) throw new AppError('conflict', `Connection "${conn.name}" is disabled.`, { retryable: false })
    const practice = this.ctx.practices.get(practiceId)
    if (!practice.athenaPracticeId) throw new AppError('config_invalid', `Practice "${practiceId}" has no athenaNet practice id; set it on the Practices page.`)
    const cfg = this.configOf(conn)
    const baseUrl = resolveBaseUrl(cfg, this.sandboxUrl)
    const fingerprint = JSON.stringify([conn.updatedAt, conn.config, practice.athenaPracticeId, baseUrl])
    const cur = this.clients.get(conn.id)
    if (cur && cur.fingerprint === fingerprint) return cur
    const entry = this.build(practiceId, practice.athenaPracticeId, conn, cfg, baseUrl, fingerprint)
    this.clients.set(conn.id, entry)
    return entry
  }

  private build(practiceId: string, athenaPracticeId: string, conn: StoredConnection, cfg: AthenaConnectionConfig, baseUrl: string, fingerprint: string): ClientEntry {
    const { ctx } = this
    const scope = this.scope(baseUrl, cfg)
    const breaker = this.breaker(practiceId, cfg)
    const logger = ctx.logger.child({ component: 'athena', practiceId })
    const record = this.apiLog
    const tokenKey = JSON.stringify([conn.id, baseUrl, cfg.clientId, cfg.fhirScopes, cfg.timeoutMs, cfg.requestIdHeader, cfg.tokenRefreshMarginSeconds])
    const tokens =
      this.tokenManagers.get(tokenKey) ??
      new TokenManager({
        tokenUrl: `${baseUrl}/oauth2/v1/token`,
        clientId: cfg.clientId,
        getSecret: () => ctx.connections.getSecret(conn.id, 'client_secret'),
        scopes: [MDP_SCOPE, ...cfg.fhirScopes],
        fetch: this.fetch,
        clock: ctx.clock,
        logger,
        gate: scope.gate,
        refreshMarginMs: cfg.tokenRefreshMarginSeconds === null ? null : cfg.tokenRefreshMarginSeconds * 1000,
        timeoutMs: cfg.timeoutMs,
        requestIdHeader: cfg.requestIdHeader,
        newRequestId: randomUUID,
        random: this.opts.random,
        onCall: (r) =>
          record.record({
            ...r,
            practiceId,
            connectionId: conn.id,
            method: 'POST',
            endpoint: '/oauth2/v1/token',
            path: '/oauth2/v1/token',
            errorCode: r.errorCode ?? null,
            errorMessage: r.errorMessage ?? null,
            developerDetail: null,
            retried: r.attempt > 1,
            scope: scope.key,
            kind: 'token',
          }),
      })
    this.tokenManagers.set(tokenKey, tokens)
    const client = new AthenaClient({
      practiceId,
      connectionId: conn.id,
      athenaPracticeId,
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
        legacyOverQps403: cfg.legacyOverQps403,
        quotaHeaders: cfg.quotaHeaders,
        requestIdHeader: cfg.requestIdHeader,
        pageSize: cfg.pageSize,
      },
      newRequestId: randomUUID,
      random: this.opts.random,
      onCall: (r) => record.record({ ...r, scope: scope.key, kind: 'api' }),
    })
    return { fingerprint, client, tokens, scope, config: cfg, connection: conn }
  }

  /**
   * The limits shared per API host + client id (athena's limits are per key): the FHIR connector
   * takes its bucket, quota, retry budget and token-request gate from here too.
   */
  scope(baseUrl: string, cfg: LimitSettings): Scope {
    const key = `${new URL(baseUrl).host}|${cfg.clientId ?? ''}`
    let s = this.scopes.get(key)
    if (!s) {
      const { clock } = this.ctx
      s = {
        key,
        limits: {
          bucket: new TokenBucket(clock, cfg.qps, cfg.burst),
          quota: new DailyQuota(clock, cfg.dailyQuota, this.apiLog.usedToday(key)),
          budget: new RetryBudget(cfg.retryBudgetRatio, cfg.retryBudgetMin),
        },
        gate: new TokenRateGate(clock, cfg.tokenRequestsPerMinute),
      }
      this.scopes.set(key, s)
    } else {
      s.limits.bucket.configure(cfg.qps, cfg.burst)
      s.limits.quota.configure(cfg.dailyQuota)
      s.limits.budget.configure(cfg.retryBudgetRatio, cfg.retryBudgetMin)
      s.gate.perMinute = cfg.tokenRequestsPerMinute
    }
    return s
  }

  breaker(practiceId: string, cfg?: BreakerSettings): CircuitBreaker {
    let b = this.breakers.get(practiceId)
    if (!b) {
      b = new CircuitBreaker(this.ctx.clock, cfg?.circuitFailureThreshold ?? 5, cfg?.circuitOpenMs ?? 30_000, (from, to, why) => {
        const level = to === 'open' ? 'warn' : 'info'
        this.ctx.logger[level]('athena circuit breaker changed state', { practiceId, from, to, why })
      })
      this.breakers.set(practiceId, b)
    } else if (cfg) {
      b.configure(cfg.circuitFailureThreshold, cfg.circuitOpenMs)
    }
    return b
  }

  /** Mapping context for inbound/outbound sets: department-local times through the cached departments. */
  mappingContext(practiceId: string): MappingContext {
    const practice = this.ctx.practices.get(practiceId)
    return {
      practiceId,
      defaultTimeZone: practice.timeZone,
      lookupDepartmentTimeZone: (id) => this.reference.departmentTimeZone(practiceId, id),
      now: () => this.ctx.clock.now(),
    }
  }

  usage(practiceId: string): AthenaUsage {
    let entry: ClientEntry | null = null
    try {
      entry = this.hasConnection(practiceId) ? this.entry(practiceId) : null
    } catch {
      entry = null
    }
    const quota = entry?.scope.limits.quota.snapshot() ?? null
    return {
      practiceId,
      connectionId: entry?.connection.id ?? null,
      connectionName: entry?.connection.name ?? null,
      environment: entry?.config.environment ?? null,
      today: this.apiLog.usageToday(practiceId),
      dailyQuota: quota?.limit ?? null,
      remainingQuota: quota?.remaining ?? null,
      serverRemaining: quota?.serverRemaining ?? null,
      quotaResetsAt: quota?.resetAt ?? null,
      qps: entry?.config.qps ?? null,
      circuit: this.breaker(practiceId, entry?.config).snapshot(),
      token: entry?.tokens.state() ?? null,
      retryBudget: entry ? Math.floor(entry.scope.limits.budget.available()) : null,
    }
  }

  /** Configuration or secrets changed: clients are rebuilt on next use (a latched auth failure clears). */
  invalidate(): void {
    this.clients.clear()
    for (const t of this.tokenManagers.values()) t.credentialsMayHaveChanged()
  }
}
