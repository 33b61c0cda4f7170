/**
 * Every handler of the contract, assembled. The `Handlers` type makes a missing method a
 * compile error, so the contract and its implementation cannot drift apart.
 */
import type { EngineContext } from '../core/engine-context'
import type { Handlers } from './dispatcher'
import { consoleHandlers } from '../console/console-handlers'
import { athenaHandlers } from '../connectors/athena/api-handlers'
import { hl7Handlers } from '../connectors/hl7-engine/api-handlers'
import { filesHandlers } from '../connectors/files/api-handlers'
import { matchingHandlers } from '../matching/api-handlers'
import { adminHandlers } from './admin-handlers'
import { connectionsHandlers } from './connections-handlers'
import { logsHandlers } from './logs-handlers'
import { mappingsHandlers } from './mappings-handlers'
import { practicesHandlers } from './practices-handlers'
import { systemHandlers } from './system-handlers'
import { fhirHandlers } from '../connectors/fhir/api-handlers'
import { transactionsHandlers } from './transactions-handlers'
import { accessHandlers } from '../access/access-handlers'
import { billingHandlers } from '../connectors/files/billing/api-handlers'
import { appointmentBatchHandlers } from '../connectors/files/appointments-batch/api-handlers'
import { maintenanceHandlers } from '../maintenance/maintenance-module'
import { patientLinksHandlers } from './patient-links-handlers'

export function buildHandlers(ctx: EngineContext): Handlers {
  return {
    ...systemHandlers(ctx),
    ...practicesHandlers(ctx),
    ...connectionsHandlers(ctx),
    ...transactionsHandlers(ctx),
    ...adminHandlers(ctx),
    ...mappingsHandlers(ctx),
    ...consoleHandlers(ctx),
    ...athenaHandlers(ctx),
    ...hl7Handlers(ctx),
    ...logsHandlers(ctx),
    ...filesHandlers(ctx),
    ...matchingHandlers(ctx),
    ...accessHandlers(ctx),
    ...billingHandlers(ctx),
    ...appointmentBatchHandlers(ctx),
    ...maintenanceHandlers(ctx),
    ...fhirHandlers(ctx),
    ...patientLinksHandlers(ctx),
  }
}
