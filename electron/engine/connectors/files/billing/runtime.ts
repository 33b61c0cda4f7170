import { moduleSlot } from '../../../core/module-state'
import type { BillingService } from './billing-service'

/** The billing service of an engine (set by the module, found again by the API handlers). */
export const billingRuntime = moduleSlot<BillingService>()
