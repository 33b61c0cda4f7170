/**
 * The contract's fhir.* methods. Pulls store resources as transactions and answer their ids;
 * subscription actions run the same code as the job; everything that touches PHI or
 * configuration is audited with ids and counts only.
 */
import type { OutputOf } from '../../../../shared/api'
import { AppError } from '../../../../shared/errors'
import type { Handlers } from '../../api/dispatcher'
import type { EngineContext } from '../../core/engine-context'
import { findAthenaState } from '../athena/state'
import type { CapabilitySummary } from './client/capabilities'
import { refreshCapabilities } from './connectivity'
import { fhirState } from './state'
import type { SubscriptionRow } from './store/fhir-repo'
import { clinicalSince, panelSync, patientById, patientByIdentifier, patientByNameDob, referenceData } from './workflows/pull'
import { writeRecord } from './workflows/write'
import { withinScope } from '../../access/call-scope'

type FhirMethods = Extract<keyof Handlers, `fhir.${string}`>

export function fhirHandlers(ctx: EngineContext): Pick<Handlers, FhirMethods> {
  const st = () => fhirState(ctx)
  const view = (r: SubscriptionRow): OutputOf<'fhir.subscriptions.list'>[number] => {
    const now = ctx.clock.now()
    return {
      id: r.id,
      practiceId: r.practiceId,
      connectionId: r.connectionId,
      topic: r.topic,
      remoteId: r.remoteId,
      state: r.state,
      remoteStatus: r.remoteStatus,
      endpoint: r.endpoint,
      endAt: r.endAt,
      expiresInMs: r.endAt === null ? null : Math.max(0, r.endAt - now),
      retireAfter: r.retireAfter,
      lastError: r.lastError,
      lastDeliveryAt: st().repo.countersToday(r.practiceId, r.remoteId ?? '-', now).lastDeliveryAt ?? r.lastDeliveryAt,
      today: st().repo.countersToday(r.practiceId, r.remoteId ?? '-', now),
      createdAt: r.createdAt,
    }
  }
  const subOf = (practiceId: string, id: number): SubscriptionRow => {
    const r = st().repo.subscription(id)
    if (!r || r.practiceId !== practiceId || r.state === 'deleted') throw new AppError('not_found', `Subscription ${id} is not a live subscription of practice "${practiceId}".`, { retryable: false })
    return r
  }
  const audit = (actor: string, action: string, practiceId: string, details: Record<string, unknown>): void => {
    ctx.audit.append({ actor, action, practiceId, targetType: 'practice', targetId: practiceId, details })
  }

  return {
    'fhir.capabilities': async ({ practiceId, connectionId, refresh }) => {
      const { runtime, repo } = st()
      const entry = runtime.entry(practiceId, connectionId)
      const cached = repo.state<CapabilitySummary>(entry.connection.id, 'capabilities')
      return cached && !refresh ? cached : refreshCapabilities(ctx, runtime, repo, practiceId, entry.connection.id)
    },
    'fhir.pull.patient': async (input, c) => {
      const { runtime } = st()
      let r
      if (input.id) r = await patientById(ctx, runtime, input.practiceId, input.id)
      else if (input.identifier) r = await patientByIdentifier(ctx, runtime, input.practiceId, input.identifier)
      else if (input.family && input.birthdate) r = await patientByNameDob(ctx, runtime, input.practiceId, { family: input.family, given: input.given, birthdate: input.birthdate })
      else throw new AppError('invalid_input', 'Give a patient id, an identifier, or a family name with a birth date.', { retryable: false })
      audit(c.actor, 'fhir.pull.patient', input.practiceId, { by: input.id ? 'id' : input.identifier ? 'identifier' : 'name+birthdate', resources: r.resources })
      return r
    },
    'fhir.pull.clinical': async ({ practiceId, patientId, since }, c) => {
      const r = await clinicalSince(ctx, st().runtime, practiceId, patientId, since ?? null)
      audit(c.actor, 'fhir.pull.clinical', practiceId, { patientId, since: since ?? null, resources: r.resources })
      return r
    },
    'fhir.pull.panel': async ({ practiceId, full }, c) => {
      const r = await panelSync(ctx, st().runtime, st().repo, practiceId, { full })
      audit(c.actor, 'fhir.pull.panel', practiceId, { patients: r.patients, resources: r.resources, full: full ?? false })
      return { resources: r.resources, stored: r.stored, duplicates: r.duplicates, pages: r.pages, txIds: r.txIds, patients: r.patients, since: r.since }
    },
    'fhir.pull.reference': async ({ practiceId }, c) => {
      const r = await referenceData(ctx, st().runtime, practiceId)
      audit(c.actor, 'fhir.pull.reference', practiceId, { resources: r.resources })
      return r
    },
    'fhir.write': async ({ practiceId, recordId }, c) => {
      const r = await writeRecord(ctx, st().runtime, st().repo, findAthenaState(ctx)?.runtime ?? null, practiceId, recordId, c.actor)
      return r
    },
    'fhir.topics': ({ practiceId }) => st().subscriptions.topics(practiceId),
    'fhir.subscriptions.list': ({ practiceId, practiceIds, includeDeleted }, c) => {
      const scope = withinScope(practiceId ? [practiceId] : practiceIds, c.scope)
      return st().repo.subscriptions(scope, { includeDeleted }).map(view)
    },
    'fhir.subscriptions.renew': async ({ practiceId, id }, c) => view(await st().subscriptions.renew(practiceId, subOf(practiceId, id), c.actor)),
    'fhir.subscriptions.delete': async ({ practiceId, id }, c) => {
      await st().subscriptions.delete(practiceId, subOf(practiceId, id), c.actor)
      return { deleted: true as const }
    },
    'fhir.subscriptions.sync': async ({ practiceId }, c) => {
      const r = await st().subscriptions.reconcile(practiceId, c.actor)
      return { created: r.created, renewed: r.renewed, deleted: r.deleted, recreated: r.recreated, errors: r.errors }
    },
    'fhir.subscriptions.sendTest': ({ practiceId, id }, c) => {
      const sub = subOf(practiceId, id)
      const entry = st().runtime.entry(practiceId)
      const sb = findAthenaState(ctx)?.sandbox.sandbox
      if (entry.config.preset !== 'sandbox' || entry.config.baseUrl || !sb) throw new AppError('unsupported_message', 'Test notifications can only be sent by the local sandbox.', { retryable: false })
      // A known patient (or appointment) of the practice as the focus, so the test exercises the whole path.
      const patient = st().repo.knownPatientIds(practiceId)[0]
      const pid = patient ? Number(/\.E-(\d+)$/.exec(patient)?.[1]) : 1001
      const focusId = sub.topic.startsWith('Patient.') ? pid : Number(ctx.db.prepare("SELECT value FROM external_ids WHERE practice_id = ? AND kind = 'appointment' AND system = 'athena' ORDER BY value LIMIT 1").pluck().get(practiceId) ?? 1100001)
      const eventIds = sb.fhir.trigger(sub.topic, focusId)
      audit(c.actor, 'fhir.subscriptions.sendTest', practiceId, { topic: sub.topic, events: eventIds.length })
      return { eventIds }
    },
    'fhir.webhook.status': async ({ practiceId }) => {
      const { runtime, repo, webhooks, reconciler } = st()
      const entry = runtime.entry(practiceId)
      const cfg = entry.config.webhook
      const local = webhooks.listenerOf(practiceId)
      const url = cfg.publicUrl ?? local?.url ?? null
      let reachable: boolean | null = null
      let reachability = cfg.enabled ? 'not checked' : 'webhook off'
      if (cfg.enabled && url) {
        try {
          // Signed with the engine's probe key: this receiver answers 204 and counts nothing (an unsigned probe used to show as a bad signature).
          const p = await webhooks.probe(url)
          reachable = p.ours
          reachability = p.ours ? 'reachable (this receiver answered a signed probe)' : `answered HTTP ${p.status}: not this receiver?`
        } catch (e) {
          reachable = false
          reachability = `not reachable (${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name})`
        }
      }
      return {
        practiceId,
        enabled: cfg.enabled,
        listening: local !== null,
        localUrl: local?.url ?? null,
        publicUrl: cfg.publicUrl,
        reachable,
        reachability,
        unattributed: repo.countersToday(practiceId, '-', ctx.clock.now()),
        lastReconcile: reconciler.last(entry.connection.id),
      }
    },
    'fhir.reconcile': async ({ practiceId }, c) => {
      audit(c.actor, 'fhir.reconcile', practiceId, {})
      return st().reconciler.run(practiceId, 'manual')
    },
  }
}
