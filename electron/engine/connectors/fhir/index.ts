/**
 * The FHIR R4 connector module: the runtime (clients on the athena runtime's shared stack), the
 * inbound pipeline handler (resources and notifications), the shipped write set, the webhook
 * receiver with the subscription job and reconciliation, the connectivity tester for `fhir-r4`
 * connections, and — first run only — a FHIR connection with subscriptions for the built-in
 * sandbox practice.
 */
import { AppError } from '../../../../shared/errors'
import type { ConnectorModule, EngineContext } from '../../core/engine-context'
import type { Service, ServiceStatus } from '../../core/service'
import { SANDBOX_PRACTICE_ID } from '../../practices/practices-repo'
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET } from '../../../sandbox/athena'
import { findAthenaState } from '../athena/state'
import { fhirConnectivityTester } from './connectivity'
import { fhirWriteMappingSets } from './mapping-sets'
import { inboundHandler } from './pipeline/inbound-handler'
import { FhirRuntime, type FhirRuntimeOptions } from './runtime'
import { setFhirState } from './state'
import { FhirRepo } from './store/fhir-repo'
import { SubscriptionManager } from './subscriptions/subscription-manager'
import { WebhookService, type WebhookOptions } from './subscriptions/webhook-service'
import { Reconciler } from './workflows/reconcile'

export interface FhirModuleOptions extends FhirRuntimeOptions, WebhookOptions {
  /** First run: give the built-in sandbox practice a FHIR connection with subscriptions (default true). */
  seedSandbox?: boolean
}

export const SANDBOX_FHIR_CONNECTION_ID = 'sandbox-fhir'
const SEEDED_KEY = 'fhir.sandbox_connection_seeded'
export const SANDBOX_TOPICS = ['Patient.update', 'Patient.create', 'Appointment.schedule', 'Appointment.cancel', 'Appointment.check-in', 'Encounter.signoff']

/** First run only: the built-in sandbox practice gets a FHIR connection with the webhook on (an operator who deletes it keeps it deleted). */
class SandboxFhirSeed implements Service {
  readonly name = 'fhir-sandbox-seed'
  constructor(private readonly ctx: EngineContext) {}
  async start(): Promise<void> {
    const { ctx } = this
    if (ctx.db.prepare('SELECT value FROM settings WHERE key = ?').get(SEEDED_KEY)) return
    if (ctx.practices.find(SANDBOX_PRACTICE_ID) && !ctx.connections.list(SANDBOX_PRACTICE_ID).some((c) => c.kind === 'fhir-r4')) {
      try {
        ctx.connections.create(
          SANDBOX_PRACTICE_ID,
          { kind: 'fhir-r4', name: 'fhir', enabled: true, config: { preset: 'sandbox', clientId: DEFAULT_CLIENT_ID, webhook: { enabled: true, topics: SANDBOX_TOPICS } } as never },
          'system',
          SANDBOX_FHIR_CONNECTION_ID,
        )
        await ctx.connections.setSecret(SANDBOX_FHIR_CONNECTION_ID, 'client_secret', DEFAULT_CLIENT_SECRET, 'system')
      } catch (e) {
        if (!(e instanceof AppError && e.code === 'conflict')) throw e
      }
    }
    ctx.db.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)').run(SEEDED_KEY, String(ctx.clock.now()))
    await ctx.reloadServices()
  }
  async stop(): Promise<void> {}
  status(): ServiceStatus {
    return { name: this.name, state: 'stopped', detail: 'first-run seeding' }
  }
}

export function createFhirModule(opts: FhirModuleOptions = {}): ConnectorModule {
  return (engine) => {
    const { ctx } = engine
    const athena = findAthenaState(ctx)
    if (!athena) throw new AppError('internal', 'The FHIR connector is installed after the athenaNet connector (it shares its client stack).', { retryable: false })
    const runtime = new FhirRuntime(ctx, athena.runtime, opts)
    const repo = new FhirRepo(ctx.db)
    const subscriptions = new SubscriptionManager(ctx, runtime, repo)
    const reconciler = new Reconciler(ctx, runtime, repo)
    const webhooks = new WebhookService(ctx, runtime, repo, subscriptions, reconciler, opts)
    ctx.mappings.registerDefaults(fhirWriteMappingSets())
    ctx.pipeline.register(inboundHandler(ctx, runtime, repo))
    if (opts.seedSandbox !== false) engine.addService(new SandboxFhirSeed(ctx))
    engine.addService(webhooks)
    ctx.connectivity.set('fhir-r4', fhirConnectivityTester(ctx, runtime, repo))
    setFhirState(ctx, { runtime, repo, subscriptions, webhooks, reconciler })
  }
}

export const fhirModule: ConnectorModule = createFhirModule()

export { fhirState } from './state'
export { fhirHandlers } from './api-handlers'
