/**
 * Billing file exchange as a connector module: 837P / CSV claim files from charges, 835
 * remittances, bank deposits and their reconciliation. See README.md in this folder.
 */
import type { ConnectorModule } from '../../../core/engine-context'
import { ReferenceRepo } from '../../athena/store/reference-repo'
import { alertKinds } from '../../../console/alert-kinds'
import { consoleModule } from '../../../console/console-handlers'
import { findFilesRuntime } from '../runtime'
import { REMITTANCE_UNBALANCED, registerBillingAlertKinds } from './alert-kinds'
import { BillingService } from './billing-service'
import { billingFileKinds } from './file-kinds'
import { billingRuntime } from './runtime'

export const billingModule: ConnectorModule = (engine) => {
  const ctx = engine.ctx
  const reference = new ReferenceRepo(ctx.db)
  const billing = new BillingService({
      db: ctx.db,
      records: ctx.records,
      practices: ctx.practices,
      audit: ctx.audit,
      clock: ctx.clock,
      logger: ctx.logger.child({ component: 'billing' }),
      athenaProviders: (practiceId) => reference.list(practiceId, 'provider'),
  })
  billingRuntime.set(ctx, billing)
  registerBillingAlertKinds(alertKinds(ctx), billing.store)
  // File jobs carry 835s and deposit files in and claim files out (part 1's locations, pickup and drop).
  // One alert per unbalanced file: a practice with an enabled remittance_unbalanced rule hears it
  // from that rule (its threshold, channels and repeat); only a practice without one gets this notification.
  const alert = (practiceId: string, title: string, message: string): void => {
    const { alerts } = consoleModule(ctx)
    if (alerts.rules(practiceId).some((r) => r.kind === REMITTANCE_UNBALANCED && r.enabled)) return
    void alerts.raise(practiceId, null, 'error', title, message)
  }
  for (const k of billingFileKinds(billing, alert)) findFilesRuntime(ctx)?.kinds.register(k)
}
