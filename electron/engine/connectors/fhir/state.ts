/** The FHIR connector's live state per engine, found from the EngineContext the API handlers get. */
import { AppError } from '../../../../shared/errors'
import type { EngineContext } from '../../core/engine-context'
import { moduleSlot } from '../../core/module-state'
import type { FhirRuntime } from './runtime'
import type { FhirRepo } from './store/fhir-repo'
import type { SubscriptionManager } from './subscriptions/subscription-manager'
import type { WebhookService } from './subscriptions/webhook-service'
import type { Reconciler } from './workflows/reconcile'

export interface FhirModuleState {
  runtime: FhirRuntime
  repo: FhirRepo
  subscriptions: SubscriptionManager
  webhooks: WebhookService
  reconciler: Reconciler
}

const slot = moduleSlot<FhirModuleState>()

export function setFhirState(ctx: EngineContext, s: FhirModuleState): void {
  slot.set(ctx, s)
}

export function fhirState(ctx: EngineContext): FhirModuleState {
  const s = slot.find(ctx)
  if (!s) throw new AppError('unsupported_message', 'The FHIR connector is not installed in this engine.', { retryable: false })
  return s
}
