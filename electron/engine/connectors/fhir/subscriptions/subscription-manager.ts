/**
 * athena event subscriptions as desired state (reference fhir.md §2.2, §2.6.3). Per FHIR
 * connection with the webhook on: one subscription per chosen topic, created exactly as athena
 * expects (Backport profile, `backport-filter-criteria` = `ah-practice=Organization/a-1.Practice-N`,
 * `rest-hook`, `application/fhir+json` with `id-only` content, a fresh random `X-Hub-Secret` on the
 * create request, kept in the keychain before the request is sent so the first delivery can be
 * verified). The job re-creates any that are missing on the server or not active, replaces one
 * before its `end` by creating the new one, keeping both for the overlap, then deleting the old
 * (no update is documented, H) — which rotates the secret the same way: during the overlap the
 * receiver accepts either. Subscriptions for topics no longer wanted are deleted.
 */
import { randomBytes } from 'node:crypto'
import { AppError, toErrorData } from '../../../../../shared/errors'
import type { EngineContext } from '../../../core/engine-context'
import type { StoredConnection } from '../../../practices/connections-repo'
import { practiceOrg } from '../client/ids'
import type { FhirRuntime } from '../runtime'
import type { FhirRepo, SubscriptionRow } from '../store/fhir-repo'

const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition'

export interface ReconcileReport {
  practiceId: string
  created: number
  renewed: number
  deleted: number
  recreated: number
  errors: string[]
}

export interface SecretSource {
  /** Live subscriptions' secrets changed (created, rotated, deleted): the receiver reloads them. */
  secretsChanged(practiceId: string): void
  /** The URL the server should post to for this practice (public URL, else the listener's own). */
  endpointFor(practiceId: string): string | null
}

export class SubscriptionManager {
  private readonly lastRun = new Map<string, number>()
  private running = new Map<string, Promise<ReconcileReport>>()
  hooks: SecretSource | null = null

  constructor(
    private readonly ctx: EngineContext,
    private readonly rt: FhirRuntime,
    private readonly repo: FhirRepo,
  ) {}

  secretName(id: number): `fhir-subscription:${number}:secret` {
    return `fhir-subscription:${id}:secret`
  }

  /** Topic ids the server offers (`GET {base}/SubscriptionTopic`). */
  async topics(practiceId: string): Promise<Array<{ id: string; title: string | null; url: string | null }>> {
    const res = await this.rt.client(practiceId).request({ method: 'GET', path: 'SubscriptionTopic' })
    const entries = ((res.body as { entry?: Array<{ resource?: Record<string, unknown> }> })?.entry ?? []).map((e) => e.resource).filter(Boolean) as Array<Record<string, unknown>>
    return entries.map((r) => ({ id: String(r.id), title: typeof r.title === 'string' ? r.title : null, url: typeof r.url === 'string' ? r.url : null }))
  }

  /** The server's subscriptions (`GET {base}/Subscription`). */
  async remote(practiceId: string): Promise<Map<string, { status: string; end: number | null; topic: string | null }>> {
    const res = await this.rt.client(practiceId).request({ method: 'GET', path: 'Subscription' })
    const out = new Map<string, { status: string; end: number | null; topic: string | null }>()
    for (const e of (res.body as { entry?: Array<{ resource?: Record<string, unknown> }> })?.entry ?? []) {
      const r = e.resource
      if (!r?.id) continue
      const topic = typeof r.criteria === 'string' ? (/\/SubscriptionTopic\/([\w.-]+)$/.exec(r.criteria)?.[1] ?? null) : null
      out.set(String(r.id), { status: String(r.status ?? ''), end: typeof r.end === 'string' ? Date.parse(r.end) : null, topic })
    }
    return out
  }

  /** Creates one subscription to `topic` (a new row, a new secret in the keychain first). */
  async create(practiceId: string, topic: string, actor = 'system'): Promise<SubscriptionRow> {
    const entry = this.rt.entry(practiceId)
    const cfg = entry.config.webhook
    if (!entry.athenaPracticeId) throw new AppError('config_invalid', `Practice "${practiceId}" has no athenaNet practice id; subscriptions filter on it.`, { retryable: false })
    const endpoint = this.hooks?.endpointFor(practiceId)
    if (!endpoint) throw new AppError('config_invalid', 'The webhook receiver is not listening and no public notification URL is set.', { retryable: true })
    const now = this.ctx.clock.now()
    const endAt = cfg.lifetimeHours > 0 ? now + cfg.lifetimeHours * 3_600_000 : null
    const id = this.repo.createSubscription(practiceId, entry.connection.id, topic, endpoint, endAt, now)
    const secret = randomBytes(32).toString('hex')
    await this.ctx.secrets.set(this.secretName(id), secret)
    this.hooks?.secretsChanged(practiceId)
    const body = {
      resourceType: 'Subscription',
      meta: { profile: [`${BACKPORT}/backport-subscription`] },
      status: 'requested',
      reason: `Practice Studio: ${topic} for practice ${practiceId}`,
      ...(endAt !== null ? { end: new Date(endAt).toISOString() } : {}),
      criteria: `${entry.client.baseUrl}/SubscriptionTopic/${topic}`,
      _criteria: { extension: [{ url: `${BACKPORT}/backport-filter-criteria`, valueString: `ah-practice=Organization/${practiceOrg(entry.athenaPracticeId)}` }] },
      channel: {
        type: 'rest-hook',
        endpoint,
        payload: 'application/fhir+json',
        _payload: { extension: [{ url: `${BACKPORT}/backport-payload-content`, valueCode: 'id-only' }] },
      },
    }
    try {
      const res = await entry.client.request({ method: 'POST', path: 'Subscription', json: body, headers: { 'X-Hub-Secret': secret } })
      const r = res.body as { id?: string; status?: string; end?: string }
      if (!r?.id) throw new AppError('remote_rejected', 'The FHIR server created the subscription but returned no id.', { retryable: false })
      this.repo.updateSubscription(id, { remoteId: r.id, state: 'active', remoteStatus: r.status ?? null, endAt: r.end ? Date.parse(r.end) : endAt, lastError: null }, this.ctx.clock.now())
      this.ctx.audit.append({ actor, action: 'fhir.subscription.create', practiceId, targetType: 'fhir-subscription', targetId: r.id, details: { topic, endpoint: redactEndpoint(endpoint) } })
    } catch (e) {
      const err = toErrorData(e instanceof AppError ? e : new AppError('internal', 'subscription create failed'))
      this.repo.updateSubscription(id, { state: 'error', lastError: `${err.code}: ${err.message}` }, this.ctx.clock.now())
      await this.ctx.secrets.delete(this.secretName(id)).catch(() => undefined)
      this.hooks?.secretsChanged(practiceId)
      throw e
    }
    return this.repo.subscription(id)!
  }

  /** Deletes on the server (404 there is fine: already gone) and forgets the secret. */
  async delete(practiceId: string, row: SubscriptionRow, actor = 'system'): Promise<void> {
    if (row.remoteId) {
      try {
        await this.rt.client(practiceId).request({ method: 'DELETE', path: `Subscription/${encodeURIComponent(row.remoteId)}` })
      } catch (e) {
        if (!(e instanceof AppError && e.code === 'not_found')) throw e
      }
    }
    this.repo.updateSubscription(row.id, { state: 'deleted', retireAfter: null }, this.ctx.clock.now())
    await this.ctx.secrets.delete(this.secretName(row.id)).catch(() => undefined)
    this.hooks?.secretsChanged(practiceId)
    this.ctx.audit.append({ actor, action: 'fhir.subscription.delete', practiceId, targetType: 'fhir-subscription', targetId: row.remoteId ?? String(row.id), details: { topic: row.topic } })
  }

  /** Replaces a subscription now: the new one first, the old one deleted after the overlap. */
  async renew(practiceId: string, row: SubscriptionRow, actor = 'system'): Promise<SubscriptionRow> {
    const cfg = this.rt.entry(practiceId).config.webhook
    const fresh = await this.create(practiceId, row.topic, actor)
    this.repo.updateSubscription(row.id, { state: 'retiring', replacedBy: fresh.id, retireAfter: this.ctx.clock.now() + cfg.overlapSeconds * 1000 }, this.ctx.clock.now())
    this.ctx.audit.append({ actor, action: 'fhir.subscription.renew', practiceId, targetType: 'fhir-subscription', targetId: row.remoteId ?? String(row.id), details: { topic: row.topic, replacedBy: fresh.remoteId } })
    return fresh
  }

  /** One pass of the desired-state job for a practice's FHIR connection. */
  reconcile(practiceId: string, actor = 'system'): Promise<ReconcileReport> {
    const cur = this.running.get(practiceId)
    if (cur) return cur
    const p = this.doReconcile(practiceId, actor).finally(() => this.running.delete(practiceId))
    this.running.set(practiceId, p)
    return p
  }

  private async doReconcile(practiceId: string, actor: string): Promise<ReconcileReport> {
    const report: ReconcileReport = { practiceId, created: 0, renewed: 0, deleted: 0, recreated: 0, errors: [] }
    const entry = this.rt.entry(practiceId)
    const cfg = entry.config.webhook
    const now = this.ctx.clock.now()
    this.lastRun.set(entry.connection.id, now)
    const wanted = new Set(cfg.enabled ? cfg.topics : [])
    const note = (e: unknown): void => {
      report.errors.push(e instanceof AppError ? `${e.code}: ${e.message}` : String(e))
    }
    let remote: Awaited<ReturnType<SubscriptionManager['remote']>>
    try {
      remote = await this.remote(practiceId)
    } catch (e) {
      note(e)
      return report
    }
    const rows = this.repo.subscriptionsOf(entry.connection.id)
    // Overlaps that are over: delete the old subscription.
    for (const r of rows.filter((x) => x.state === 'retiring' && x.retireAfter !== null && x.retireAfter <= now)) {
      try {
        await this.delete(practiceId, r, actor)
        report.deleted++
      } catch (e) {
        note(e)
      }
    }
    for (const r of rows.filter((x) => x.state === 'active')) {
      const there = r.remoteId ? remote.get(r.remoteId) : undefined
      if (!wanted.has(r.topic)) {
        try {
          await this.delete(practiceId, r, actor)
          report.deleted++
        } catch (e) {
          note(e)
        }
        continue
      }
      if (!there || there.status === 'off' || there.status === 'error' || (there.end !== null && there.end <= now)) {
        // Missing or not active on the server: it delivers nothing any more; replace it.
        this.repo.updateSubscription(r.id, { state: 'error', remoteStatus: there?.status ?? 'missing', lastError: there ? `server status ${there.status}` : 'not on the server any more' }, now)
        await this.ctx.secrets.delete(this.secretName(r.id)).catch(() => undefined)
        continue
      }
      this.repo.updateSubscription(r.id, { remoteStatus: there.status }, now)
      const renewAt = r.endAt !== null ? r.endAt - cfg.renewBeforeMinutes * 60_000 : null
      if (renewAt !== null && renewAt <= now) {
        try {
          await this.renew(practiceId, r, actor)
          report.renewed++
        } catch (e) {
          note(e)
        }
      }
    }
    const live = this.repo.subscriptionsOf(entry.connection.id).filter((x) => x.state === 'active')
    const lost = new Set(rows.filter((x) => x.state === 'active').map((x) => x.topic))
    for (const topic of wanted) {
      if (live.some((x) => x.topic === topic)) continue
      try {
        await this.create(practiceId, topic, actor)
        if (lost.has(topic)) report.recreated++
        else report.created++
      } catch (e) {
        note(e)
      }
    }
    this.hooks?.secretsChanged(practiceId)
    this.repo.setState(entry.connection.id, 'subscriptions.lastReconcile', { at: now, ...report }, this.ctx.clock.now())
    return report
  }

  /** Whether the job should run now for this connection: its interval passed, an overlap ended or a renewal is due. */
  due(conn: StoredConnection, now: number): boolean {
    const cfg = this.rt.configOf(conn).webhook
    const last = this.lastRun.get(conn.id) ?? 0
    if (now - last >= cfg.checkIntervalSeconds * 1000) return true
    return this.repo.subscriptionsOf(conn.id).some(
      (r) => (r.state === 'retiring' && r.retireAfter !== null && r.retireAfter <= now) || (r.state === 'active' && r.endAt !== null && r.endAt - cfg.renewBeforeMinutes * 60_000 <= now),
    )
  }
}

/** The endpoint's origin and path only (a query could carry a token). */
export function redactEndpoint(url: string): string {
  try {
    const u = new URL(url)
    return `${u.origin}${u.pathname}`
  } catch {
    return '(invalid URL)'
  }
}
