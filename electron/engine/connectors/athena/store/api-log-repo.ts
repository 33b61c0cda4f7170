/**
 * The API log (every athenaNet call, redacted) and the usage counters behind the daily quota and
 * the console's "calls today". Writes are buffered and flushed together through the group-commit
 * batcher (a log line is not worth an fsync of its own); the log is bounded by age and row count.
 */
import type { Clock } from '../../../core/clock'
import type { Logger } from '../../../core/logger'
import type { Db } from '../../../store/database'
import type { WriteBatcher } from '../../../store/write-batcher'
import { utcDay } from '../client/daily-quota'
import type { ApiCallRecord } from '../client/athena-client'
import type { CallDetail } from '../client/redact'

export interface LoggedCall extends ApiCallRecord {
  /** Rate-limit scope the call counted against. */
  scope: string
  kind: 'api' | 'token'
}

export interface ApiLogRow {
  id: number
  at: number
  practiceId: string
  connectionId: string | null
  method: string
  endpoint: string
  path: string
  status: number | null
  outcome: string
  errorCode: string | null
  errorMessage: string | null
  developerDetail: string | null
  latencyMs: number
  attempt: number
  requestId: string
}

export interface ApiLogFilter {
  practiceId?: string
  /** Only these practices (the caller's scope, access/principal.ts); absent = all. */
  practiceIds?: readonly string[] | null
  endpoint?: string
  from?: number
  to?: number
  outcome?: 'ok' | 'error' | 'throttled'
  status?: number
  beforeId?: number
  limit?: number
}

export interface UsageCounts {
  calls: number
  throttled: number
  retried: number
  errors: number
  tokenRequests: number
}

interface Row {
  id: number
  at: number
  practice_id: string
  connection_id: string | null
  method: string
  endpoint: string
  path: string
  status: number | null
  outcome: string
  error_code: string | null
  error_message: string | null
  developer_detail: string | null
  latency_ms: number
  attempt: number
  request_id: string
}

const toRow = (r: Row): ApiLogRow => ({
  id: r.id,
  at: r.at,
  practiceId: r.practice_id,
  connectionId: r.connection_id,
  method: r.method,
  endpoint: r.endpoint,
  path: r.path,
  status: r.status,
  outcome: r.outcome,
  errorCode: r.error_code,
  errorMessage: r.error_message,
  developerDetail: r.developer_detail,
  latencyMs: r.latency_ms,
  attempt: r.attempt,
  requestId: r.request_id,
})

export class ApiLogRepo {
  private buffer: LoggedCall[] = []
  private timer: NodeJS.Timeout | null = null
  private flushing: Promise<void> | null = null
  private readonly s
  private readonly listeners = new Set<(c: LoggedCall) => void>()

  constructor(
    private readonly db: Db,
    private readonly batcher: WriteBatcher,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.s = {
      insert: db.prepare(`INSERT INTO athena_api_calls (at, practice_id, connection_id, method, endpoint, path, status, outcome, error_code, error_message, developer_detail, latency_ms, attempt, request_id)
        VALUES (@at, @practiceId, @connectionId, @method, @endpoint, @path, @status, @outcome, @errorCode, @errorMessage, @developerDetail, @latencyMs, @attempt, @requestId)`),
      usage: db.prepare(`INSERT INTO athena_usage (practice_id, scope, day, calls, throttled, retried, errors, token_requests) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (practice_id, scope, day) DO UPDATE SET calls = calls + excluded.calls, throttled = throttled + excluded.throttled,
          retried = retried + excluded.retried, errors = errors + excluded.errors, token_requests = token_requests + excluded.token_requests`),
      usedToday: db.prepare('SELECT coalesce(sum(calls), 0) AS n FROM athena_usage WHERE scope = ? AND day = ?'),
      usage1: db.prepare(`SELECT coalesce(sum(calls),0) AS calls, coalesce(sum(throttled),0) AS throttled, coalesce(sum(retried),0) AS retried,
        coalesce(sum(errors),0) AS errors, coalesce(sum(token_requests),0) AS tokenRequests FROM athena_usage WHERE practice_id = ? AND day = ?`),
      endpoints: db.prepare('SELECT DISTINCT endpoint FROM athena_api_calls WHERE practice_id = ? ORDER BY endpoint'),
      endpointsAll: db.prepare('SELECT DISTINCT endpoint FROM athena_api_calls ORDER BY endpoint'),
      detail: db.prepare('INSERT INTO athena_api_call_detail (call_id, request_headers, request_body, response_headers, response_body) VALUES (?, ?, ?, ?, ?)'),
      getOne: db.prepare('SELECT * FROM athena_api_calls WHERE id = ? AND practice_id = ?'),
      getDetail: db.prepare('SELECT request_headers, request_body, response_headers, response_body FROM athena_api_call_detail WHERE call_id = ?'),
      pruneAge: db.prepare('DELETE FROM athena_api_calls WHERE at < ?'),
      maxId: db.prepare('SELECT coalesce(max(id), 0) AS n FROM athena_api_calls'),
      pruneCount: db.prepare('DELETE FROM athena_api_calls WHERE id <= ?'),
    }
  }

  /** Sees every call as it is logged (a sync counts its own calls this way). */
  subscribe(fn: (c: LoggedCall) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  record(call: LoggedCall): void {
    for (const l of this.listeners) l(call)
    this.buffer.push(call)
    if (this.buffer.length >= 500) void this.flush()
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), 200)
  }

  /** Writes what is buffered (also called before reads so a page shows the latest calls). */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = null
    }
    if (this.buffer.length === 0) return this.flushing ?? Promise.resolve()
    const batch = this.buffer
    this.buffer = []
    const usage = new Map<string, { practiceId: string; scope: string; day: string; c: UsageCounts }>()
    for (const r of batch) {
      const day = utcDay(r.at)
      const k = `${r.practiceId}\u0000${r.scope}\u0000${day}`
      let u = usage.get(k)
      if (!u) usage.set(k, (u = { practiceId: r.practiceId, scope: r.scope, day, c: { calls: 0, throttled: 0, retried: 0, errors: 0, tokenRequests: 0 } }))
      if (r.kind === 'token') u.c.tokenRequests++
      else {
        u.c.calls++
        if (r.outcome === 'throttled') u.c.throttled++
        if (r.retried) u.c.retried++
        if (r.outcome !== 'ok') u.c.errors++
      }
    }
    const p = this.batcher
      .run(() => {
        for (const r of batch) {
          const { lastInsertRowid } = this.s.insert.run({
            at: r.at,
            practiceId: r.practiceId,
            connectionId: r.connectionId,
            method: r.method,
            endpoint: r.endpoint,
            path: r.path,
            status: r.status,
            outcome: r.outcome,
            errorCode: r.errorCode,
            errorMessage: r.errorMessage,
            developerDetail: r.developerDetail,
            latencyMs: r.latencyMs,
            attempt: r.attempt,
            requestId: r.requestId,
          })
          const d = r.detail
          if (d) this.s.detail.run(lastInsertRowid, JSON.stringify(d.requestHeaders), d.requestBody, JSON.stringify(d.responseHeaders), d.responseBody)
        }
        for (const u of usage.values()) this.s.usage.run(u.practiceId, u.scope, u.day, u.c.calls, u.c.throttled, u.c.retried, u.c.errors, u.c.tokenRequests)
      })
      .catch((e: unknown) => this.logger.error('could not write the athena API log', { error: (e as Error)?.name, code: (e as { code?: unknown })?.code }))
      .finally(() => {
        if (this.flushing === p) this.flushing = null
      })
    this.flushing = p
    return p
  }

  usedToday(scope: string): number {
    return (this.s.usedToday.get(scope, utcDay(this.clock.now())) as { n: number }).n
  }

  usageToday(practiceId: string): UsageCounts {
    const pending: UsageCounts = { calls: 0, throttled: 0, retried: 0, errors: 0, tokenRequests: 0 }
    const today = utcDay(this.clock.now())
    for (const r of this.buffer) {
      if (r.practiceId !== practiceId || utcDay(r.at) !== today) continue
      if (r.kind === 'token') pending.tokenRequests++
      else {
        pending.calls++
        if (r.outcome === 'throttled') pending.throttled++
        if (r.retried) pending.retried++
        if (r.outcome !== 'ok') pending.errors++
      }
    }
    const row = this.s.usage1.get(practiceId, today) as UsageCounts
    return {
      calls: row.calls + pending.calls,
      throttled: row.throttled + pending.throttled,
      retried: row.retried + pending.retried,
      errors: row.errors + pending.errors,
      tokenRequests: row.tokenRequests + pending.tokenRequests,
    }
  }

  list(f: ApiLogFilter): ApiLogRow[] {
    const where: string[] = []
    const params: Record<string, unknown> = {}
    const add = (clause: string, key: string, v: unknown): void => {
      if (v === undefined || v === null || v === '') return
      where.push(clause)
      params[key] = v
    }
    add('practice_id = @practiceId', 'practiceId', f.practiceId)
    if (f.practiceIds) {
      const keys = f.practiceIds.map((p, i) => ((params[`pi${i}`] = p), `@pi${i}`))
      where.push(keys.length ? `practice_id IN (${keys.join(',')})` : '0')
    }
    add('endpoint = @endpoint', 'endpoint', f.endpoint)
    add('at >= @from', 'from', f.from)
    add('at < @to', 'to', f.to)
    add('status = @status', 'status', f.status)
    add('id < @beforeId', 'beforeId', f.beforeId)
    if (f.outcome === 'ok') where.push(`outcome = 'ok'`)
    else if (f.outcome === 'throttled') where.push(`outcome = 'throttled'`)
    else if (f.outcome === 'error') where.push(`outcome <> 'ok'`)
    params.limit = Math.min(Math.max(f.limit ?? 100, 1), 5000)
    const sql = `SELECT * FROM athena_api_calls ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit`
    return (this.db.prepare(sql).all(params) as Row[]).map(toRow)
  }

  /** One call of one practice with its redacted headers and bodies (null: stored before 0180, or a token request). */
  get(practiceId: string, id: number): (ApiLogRow & { detail: CallDetail | null }) | null {
    const row = this.s.getOne.get(id, practiceId) as Row | undefined
    if (!row) return null
    const d = this.s.getDetail.get(id) as { request_headers: string; request_body: string | null; response_headers: string; response_body: string | null } | undefined
    return {
      ...toRow(row),
      detail: d ? { requestHeaders: JSON.parse(d.request_headers), requestBody: d.request_body, responseHeaders: JSON.parse(d.response_headers), responseBody: d.response_body } : null,
    }
  }

  endpoints(practiceId?: string, practiceIds?: readonly string[] | null): string[] {
    if (!practiceId && practiceIds) return [...new Set(practiceIds.flatMap((p) => this.endpoints(p)))].sort()
    const rows = (practiceId ? this.s.endpoints.all(practiceId) : this.s.endpointsAll.all()) as { endpoint: string }[]
    return rows.map((r) => r.endpoint)
  }

  /** Retention: older than `days`, and beyond the newest `maxRows`. */
  prune(days: number, maxRows: number): Promise<number> {
    return this.batcher.run(() => {
      let n = this.s.pruneAge.run(this.clock.now() - days * 86_400_000).changes
      const max = (this.s.maxId.get() as { n: number }).n
      if (max > maxRows) n += this.s.pruneCount.run(max - maxRows).changes
      return n
    })
  }

  /** Retention of one practice's log (maintenance/pruner.ts): up to `limit` entries older than `before`. */
  prunePractice(practiceId: string, before: number, limit: number): Promise<number> {
    return this.batcher.run(
      () => this.db.prepare('DELETE FROM athena_api_calls WHERE id IN (SELECT id FROM athena_api_calls INDEXED BY athena_api_calls_practice WHERE practice_id = ? AND at < ? ORDER BY id LIMIT ?)').run(practiceId, before, limit).changes,
    )
  }

  close(): Promise<void> {
    return this.flush()
  }
}
