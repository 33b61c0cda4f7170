/**
 * `{sandbox}/fhir/r4/…`: athena's FHIR R4 API over the sandbox's seed data (reference fhir.md §1,
 * §2.2). Behind the same gateway as `/v1` (bearer, QPS, daily quota, injected faults); a missing
 * or bad bearer is the gateway's 401 with no FHIR body (M). Every search needs `ah-practice`
 * (configurable, M) and one of the resource's required combinations, else 400 OperationOutcome;
 * clinical resources are read + search only (405 OperationOutcome on create/update) unless the
 * `fhirWrites` switch makes the sandbox accept creates and updates like a generic R4 server.
 * `metadata` and `.well-known/smart-configuration` are anonymous (H).
 */
import { randomUUID } from 'node:crypto'
import { Fhir } from 'fhir'
import type { IncomingMessage } from 'node:http'
import type { SandboxConfig } from '../config'
import type { World } from '../context'
import { ApiError } from '../errors'
import { capabilityStatement, WRITABLE_WITH_SWITCH } from './capability'
import { numericId, practiceOrgId } from './ids'
import { PushEmulator, TOPICS, type PushFaults, type Subscription } from './push'
import { allOfType, binaryResource, type Resource } from './resources'
import { checkSearch, matches, SEARCH_DEFS, SearchParamError, type ParamList } from './search'

export const FHIR_PREFIX = '/fhir/r4'
const FHIR_JSON = 'application/fhir+json'
const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition'

export function operationOutcome(status: number, code: string, text: string, headers: Record<string, string> = {}): ApiError {
  return new ApiError(status, JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] }), FHIR_JSON, headers)
}

export interface FhirReply {
  status: number
  body: unknown
  headers?: Record<string, string>
}

export interface FhirOptions {
  fhirWrites: boolean
  defaultCount: number
  maxCount: number
  unknownParams: 'error' | 'ignore'
  requirePracticeParam: boolean
}

const validator = new Fhir()

export class FhirSandbox {
  readonly push: PushEmulator
  /** Resources created or replaced through `fhirWrites`, by type then id. */
  private readonly written = new Map<string, Map<string, Resource>>()

  constructor(
    private readonly cfg: SandboxConfig,
    private readonly world: () => World,
  ) {
    this.push = new PushEmulator({
      practiceId: cfg.practiceId,
      timeoutMs: cfg.fhirPushTimeoutMs,
      retryWindowMs: cfg.fhirRetryWindowMs,
      retryBaseMs: cfg.fhirRetryBaseMs,
      requireHttps: cfg.fhirPushRequireHttps,
      clock: cfg.clock,
      logger: cfg.logger,
    })
  }

  get options(): FhirOptions {
    return { fhirWrites: this.cfg.fhirWrites, defaultCount: this.cfg.fhirDefaultCount, maxCount: this.cfg.fhirMaxCount, unknownParams: this.cfg.fhirUnknownParams, requirePracticeParam: this.cfg.fhirRequirePracticeParam }
  }

  setWrites(on: boolean): void {
    this.cfg.fhirWrites = on
  }

  setPushFaults(f: PushFaults): PushFaults {
    return this.push.setFaults(f)
  }

  reset(): void {
    this.written.clear()
    this.push.faults = {}
  }

  /** Routes that need no token. */
  anonymous(method: string, sub: string, base: string): FhirReply | null {
    if (method === 'GET' && sub === '/metadata') return { status: 200, body: capabilityStatement(base, this.cfg.fhirWrites, new Date(this.cfg.clock.now()).toISOString()) }
    if (method === 'GET' && sub === '/.well-known/smart-configuration') {
      const host = base.replace(/\/fhir\/r4$/, '')
      return {
        status: 200,
        body: {
          issuer: `${host}/oauth2`,
          token_endpoint: `${host}/oauth2/v1/token`,
          grant_types_supported: ['authorization_code', 'client_credentials'],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
          token_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'ES256', 'ES384'],
          scopes_supported: ['system/Patient.read', 'system/Observation.read', 'system/Encounter.read', 'system/DocumentReference.read', 'system/SubscriptionTopic.read', 'system/Subscription.read', 'system/Subscription.write'],
          capabilities: ['client-confidential-asymmetric', 'permission-v1', 'permission-v2'],
        },
      }
    }
    return null
  }

  handle(req: IncomingMessage, method: string, url: URL, body: Buffer, scopes: string[], base: string): FhirReply {
    const sub = url.pathname.slice(FHIR_PREFIX.length) || '/'
    const segs = sub.split('/').filter(Boolean)
    const type = segs[0] ?? ''
    const need = (t: string, access: 'read' | 'write'): void => {
      if (!hasScope(scopes, t, access, this.cfg.acceptFhirV2Scopes)) throw operationOutcome(403, 'forbidden', `The access token does not carry system/${t}.${access}.`)
    }

    if (type === 'SubscriptionTopic' && method === 'GET') {
      need('SubscriptionTopic', 'read')
      const topics = TOPICS.map((t) => topicResource(base, t))
      if (segs[1]) {
        const t = topics.find((x) => x.id === segs[1])
        if (!t) throw operationOutcome(404, 'not-found', `SubscriptionTopic/${segs[1]} is not known.`)
        return { status: 200, body: t }
      }
      return { status: 200, body: bundle(base, 'SubscriptionTopic', topics, topics.length, null, null) }
    }
    if (type === 'Subscription') return this.subscription(req, method, segs[1], body, base, need)

    if (type === 'Binary') {
      if (method !== 'GET' || !segs[1]) throw operationOutcome(405, 'not-supported', 'Binary is read-only.', { Allow: 'GET' })
      need('Binary', 'read')
      const id = numericId(segs[1], this.cfg.practiceId, 'document')
      const doc = id === null ? undefined : this.world().store.documents.get(id)
      if (!doc) throw operationOutcome(404, 'not-found', `Binary/${segs[1]} is not known.`)
      return { status: 200, body: binaryResource(this.world(), this.cfg.practiceId, doc) }
    }

    if (!(type in SEARCH_DEFS)) throw operationOutcome(404, 'not-supported', `Resource type "${type}" is not supported.`)

    if (method === 'GET' && segs.length === 2) {
      need(type, 'read')
      const r = this.read(type, segs[1]!)
      if (!r) throw operationOutcome(404, 'not-found', `${type}/${segs[1]} is not known.`)
      return { status: 200, body: r }
    }
    if ((method === 'GET' && segs.length === 1) || (method === 'POST' && segs[1] === '_search' && segs.length === 2)) {
      need(type, 'read')
      const params: ParamList = [...url.searchParams.entries()]
      if (method === 'POST') {
        const ct = String(req.headers['content-type'] ?? '').toLowerCase()
        if (body.length && !ct.startsWith('application/x-www-form-urlencoded')) throw operationOutcome(415, 'not-supported', '_search takes an application/x-www-form-urlencoded body.')
        params.push(...new URLSearchParams(body.toString('utf8')).entries())
      }
      return { status: 200, body: this.search(type, params, base) }
    }
    if ((method === 'POST' && segs.length === 1) || (method === 'PUT' && segs.length === 2)) {
      if (!this.cfg.fhirWrites || !WRITABLE_WITH_SWITCH.includes(type)) {
        throw operationOutcome(405, 'not-supported', `${type} is read-only on this server: ${method === 'POST' ? 'create' : 'update'} is not supported.`, { Allow: 'GET' })
      }
      need(type, 'write')
      return this.write(type, method === 'PUT' ? segs[1]! : null, body, base)
    }
    throw operationOutcome(405, 'not-supported', `${method} is not supported on ${sub}.`)
  }

  private read(type: string, id: string): Resource | null {
    const w = this.written.get(type)?.get(id)
    if (w) return w
    const patientOf = (): number | undefined => {
      if (type === 'Patient') return numericId(id, this.cfg.practiceId, 'E') ?? -1
      const m = /^a-\d+\.\w+-(\d+)/.exec(id)
      if (!m) return -1
      // Observation / DocumentReference / Encounter ids do not name their patient; scan is fine at sandbox size.
      return undefined
    }
    const p = patientOf()
    if (p === -1) return null
    return allOfType(this.world(), this.cfg.practiceId, type, p).find((r) => r.id === id) ?? null
  }

  private all(type: string, patient?: number): Resource[] {
    const seeded = allOfType(this.world(), this.cfg.practiceId, type, patient)
    const w = this.written.get(type)
    if (!w?.size) return seeded
    const replaced = new Set(w.keys())
    return [...seeded.filter((r) => !replaced.has(r.id)), ...w.values()]
  }

  search(type: string, params: ParamList, base: string): Record<string, unknown> {
    const o = this.options
    if (o.requirePracticeParam) {
      const practice = params.find(([k]) => k === 'ah-practice')?.[1]
      if (!practice) throw operationOutcome(400, 'required', 'The ah-practice search parameter is required (e.g. ah-practice=Organization/a-1.Practice-195900).')
      const want = practiceOrgId(this.cfg.practiceId)
      if (practice !== want && practice !== `Organization/${want}`) throw operationOutcome(403, 'forbidden', `The application is not authorised for practice context "${practice}".`)
    }
    const problem = checkSearch(type, params, o.unknownParams)
    if (problem) throw operationOutcome(400, 'invalid', problem)
    const countRaw = params.find(([k]) => k === '_count')?.[1]
    if (countRaw !== undefined && !/^\d+$/.test(countRaw)) throw operationOutcome(400, 'invalid', '_count must be a non-negative integer.')
    const count = Math.min(o.maxCount, countRaw === undefined ? o.defaultCount : Number(countRaw))
    const patientParam = params.find(([k]) => k === 'patient')?.[1]
    const patient = patientParam ? (numericId(patientParam.replace(/^Patient\//, ''), this.cfg.practiceId, 'E') ?? -1) : undefined
    let hits: Resource[]
    try {
      hits = (patient === -1 ? [] : this.all(type, patient)).filter((r) => matches(type, r, params))
    } catch (e) {
      if (e instanceof SearchParamError) throw operationOutcome(400, 'invalid', e.message)
      throw e
    }
    hits.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    const cursor = params.find(([k]) => k === 'cursor')?.[1]
    const start = cursor ? hits.findIndex((r) => r.id >= cursor) : 0
    const from = start < 0 ? hits.length : start
    const page = hits.slice(from, from + count)
    const nextId = hits[from + count]?.id ?? null
    const keep = params.filter(([k]) => k !== 'cursor')
    const q = (extra: ParamList): string => new URLSearchParams([...keep, ...extra]).toString()
    return bundle(base, type, page, hits.length, `${base}/${type}?${q(cursor ? [['cursor', cursor]] : [])}`, nextId ? `${base}/${type}?${q([['cursor', nextId]])}` : null)
  }

  private write(type: string, id: string | null, body: Buffer, base: string): FhirReply {
    let res: Record<string, unknown>
    try {
      res = JSON.parse(body.toString('utf8')) as Record<string, unknown>
    } catch {
      throw operationOutcome(400, 'structure', 'The body is not JSON.')
    }
    if (res?.resourceType !== type) throw operationOutcome(400, 'invalid', `The body must be a ${type} resource.`)
    const v = validator.validate(res)
    const errors = v.messages?.filter((m) => m.severity === 'error') ?? []
    if (!v.valid && errors.length) {
      throw new ApiError(422, JSON.stringify({ resourceType: 'OperationOutcome', issue: errors.map((m) => ({ severity: 'error', code: 'invalid', details: { text: m.message }, expression: [m.location] })) }), FHIR_JSON)
    }
    const newId = id ?? randomUUID()
    const existed = id !== null && this.read(type, id) !== null
    const now = new Date(this.cfg.clock.now()).toISOString()
    const stored = { ...res, id: newId, meta: { ...(res.meta as object | undefined), versionId: randomUUID().slice(0, 8), lastUpdated: now } } as unknown as Resource
    let byId = this.written.get(type)
    if (!byId) this.written.set(type, (byId = new Map()))
    byId.set(newId, stored)
    return { status: existed ? 200 : 201, body: stored, headers: { Location: `${base}/${type}/${newId}/_history/${(stored.meta as { versionId: string }).versionId}` } }
  }

  private subscription(req: IncomingMessage, method: string, id: string | undefined, body: Buffer, base: string, need: (t: string, a: 'read' | 'write') => void): FhirReply {
    const push = this.push
    if (method === 'GET' && !id) {
      need('Subscription', 'read')
      const list = [...push.subs.values()].map((s) => this.subscriptionView(s))
      return { status: 200, body: bundle(base, 'Subscription', list, list.length, null, null) }
    }
    if (method === 'GET' && id) {
      need('Subscription', 'read')
      const s = push.subs.get(id)
      if (!s) throw operationOutcome(404, 'not-found', `Subscription/${id} is not known.`)
      return { status: 200, body: this.subscriptionView(s) }
    }
    if (method === 'DELETE' && id) {
      need('Subscription', 'write')
      if (!push.subs.delete(id)) throw operationOutcome(404, 'not-found', `Subscription/${id} is not known.`)
      return { status: 204, body: null }
    }
    if (method === 'POST' && !id) {
      need('Subscription', 'write')
      let r: SubscriptionBody
      try {
        r = JSON.parse(body.toString('utf8')) as SubscriptionBody
      } catch {
        throw operationOutcome(400, 'structure', 'The body is not JSON.')
      }
      const problems: string[] = []
      if (r?.resourceType !== 'Subscription') problems.push('resourceType must be Subscription')
      if (!Array.isArray(r?.meta?.profile) || !r.meta.profile.includes(`${BACKPORT}/backport-subscription`)) problems.push('meta.profile must include the backport-subscription profile')
      if (r?.status !== 'requested') problems.push('status must be "requested"')
      const topic = typeof r?.criteria === 'string' ? /\/SubscriptionTopic\/([\w.-]+)$/.exec(r.criteria)?.[1] : undefined
      if (!topic || !(TOPICS as readonly string[]).includes(topic)) problems.push('criteria must be the canonical URL of a known SubscriptionTopic')
      const filter = (r?._criteria?.extension ?? []).find((e) => e?.url === `${BACKPORT}/backport-filter-criteria`)?.valueString
      const want = `ah-practice=Organization/${practiceOrgId(this.cfg.practiceId)}`
      if (filter !== want) problems.push(`_criteria must carry backport-filter-criteria "${want}"`)
      if (r?.channel?.type !== 'rest-hook') problems.push('channel.type must be rest-hook')
      const endpoint = r?.channel?.endpoint
      let endpointUrl: URL | null = null
      try {
        endpointUrl = typeof endpoint === 'string' ? new URL(endpoint) : null
      } catch {
        endpointUrl = null
      }
      if (!endpointUrl) problems.push('channel.endpoint must be a URL')
      else if (this.cfg.fhirPushRequireHttps && (endpointUrl.protocol !== 'https:' || (endpointUrl.port !== '' && endpointUrl.port !== '443'))) problems.push('channel.endpoint must be public HTTPS on port 443')
      const content = (r?.channel?._payload?.extension ?? []).find((e) => e?.url === `${BACKPORT}/backport-payload-content`)?.valueCode
      if (r?.channel?.payload !== FHIR_JSON || content !== 'id-only') problems.push('channel.payload must be application/fhir+json with backport-payload-content id-only')
      const end = typeof r?.end === 'string' ? Date.parse(r.end) : null
      if (end !== null && Number.isNaN(end)) problems.push('end must be an instant')
      if (problems.length) throw operationOutcome(400, 'invalid', `Invalid subscription: ${problems.join('; ')}.`)
      if (this.cfg.fhirOneSubscriptionPerTopic === 'reject' && [...push.subs.values()].some((s) => s.topic === topic && push.statusOf(s) !== 'off')) {
        throw operationOutcome(409, 'duplicate', `A subscription to ${topic} already exists for this practice.`)
      }
      const secretHeader = req.headers['x-hub-secret']
      const now = this.cfg.clock.now()
      const s: Subscription = {
        id: randomUUID(),
        topic: topic!,
        criteria: r.criteria!,
        filter: filter!,
        endpoint: endpointUrl!.toString(),
        secret: typeof secretHeader === 'string' && secretHeader !== '' ? secretHeader : null,
        reason: typeof r.reason === 'string' ? r.reason : '',
        end,
        createdAt: now,
        activeAt: now + this.cfg.subscriptionActivationDelaySeconds * 1000,
        eventsSinceStart: 0,
        resource: r as Record<string, unknown>,
      }
      push.subs.set(s.id, s)
      return { status: 201, body: this.subscriptionView(s), headers: { Location: `${base}/Subscription/${s.id}` } }
    }
    throw operationOutcome(405, 'not-supported', `${method} is not supported on Subscription (no update is documented).`, { Allow: 'GET, POST, DELETE' })
  }

  private subscriptionView(s: Subscription): Resource {
    const { resource } = s
    return { ...resource, resourceType: 'Subscription', id: s.id, status: this.push.statusOf(s), ...(s.end !== null ? { end: new Date(s.end).toISOString() } : {}) }
  }
}

interface Ext {
  url?: string
  valueString?: string
  valueCode?: string
}

interface SubscriptionBody {
  resourceType?: string
  meta?: { profile?: string[] }
  status?: string
  criteria?: string
  _criteria?: { extension?: Ext[] }
  reason?: string
  end?: string
  channel?: { type?: string; endpoint?: string; payload?: string; _payload?: { extension?: Ext[] } }
}

function hasScope(scopes: string[], type: string, access: 'read' | 'write', v2: boolean): boolean {
  return scopes.some((s) => {
    const m = /^system\/(\*|[A-Za-z]+)\.(read|write|[cruds]+)$/.exec(s)
    if (!m || (m[1] !== '*' && m[1] !== type)) return false
    if (m[2] === access) return true
    if (!v2 || m[2] === 'read' || m[2] === 'write') return false
    return access === 'read' ? /[rs]/.test(m[2]!) : /[cud]/.test(m[2]!)
  })
}

function topicResource(base: string, topic: string): Resource {
  const [resource, event] = topic.split('.')
  return { resourceType: 'SubscriptionTopic', id: topic, url: `${base}/SubscriptionTopic/${topic}`, status: 'active', title: `${resource} ${event}`, resourceTrigger: [{ resource, description: `${resource} ${event} in athenaOne` }] }
}

function bundle(base: string, type: string, resources: Resource[], total: number, self: string | null, next: string | null): Record<string, unknown> {
  const link = [...(self ? [{ relation: 'self', url: self }] : []), ...(next ? [{ relation: 'next', url: next }] : [])]
  return {
    resourceType: 'Bundle',
    id: randomUUID(),
    meta: { lastUpdated: new Date().toISOString() },
    type: 'searchset',
    total,
    link,
    entry: resources.map((r) => ({ fullUrl: `${base}/${r.resourceType ?? type}/${r.id}`, resource: r, search: { mode: 'match' } })),
  }
}
