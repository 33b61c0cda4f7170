/**
 * Billing file exchange as a connector module: 837P / CSV claim files from charges, 835
 * remittances, bank deposits and their reconciliation. See README.md in this folder.
 */
import type { ConnectorModule } from '../../../core/engine-context'
import { ReferenceRepo } from '../../athena/store/reference-repo'
import { BillingService } from './billing-service'
import { billingRuntime } from './runtime'

export const billingModule: ConnectorModule = (engine) => {
  const ctx = engine.ctx
  const reference = new ReferenceRepo(ctx.db)
  billingRuntime.set(
    ctx,
    new BillingService({
      db: ctx.db,
      records: ctx.records,
      practices: ctx.practices,
      audit: ctx.audit,
      clock: ctx.clock,
      logger: ctx.logger.child({ component: 'billing' }),
      athenaProviders: (practiceId) => reference.list(practiceId, 'provider'),
    }),
  )
}
