/**
 * The one contract between the console and the engine. Every call the UI can make is named here
 * with zod schemas for its input and output; both transports (Electron IPC, headless HTTP)
 * validate with these same schemas, and the renderer gets its types from here.
 */
import type { z } from 'zod'
import type { Result } from '../errors'
import { accessApi } from './access'
import { alertsApi } from './alerts'
import { athenaApi } from './athena'
import { auditApi } from './audit'
import { billingApi } from './billing'
import { appointmentBatchesApi } from './appointment-batches'
import { configApi } from './config'
import { connectionsApi } from './connections'
import { dashboardApi } from './dashboard'
import { errorsQueueApi } from './errors-queue'
import { filesApi } from './files'
import { matchingApi } from './matching'
import { hl7Api } from './hl7'
import { inspectorApi } from './inspector'
import { logsApi } from './logs'
import { maintenanceApi } from './maintenance'
import { mappingsApi } from './mappings'
import { practicesApi } from './practices'
import { savedSearchesApi } from './saved-searches'
import { systemApi } from './system'
import { transactionsApi } from './transactions'
import { fhirApi } from './fhir'
import { patientLinksApi } from './patient-links'

export const contract = {
  ...systemApi,
  ...practicesApi,
  ...connectionsApi,
  ...transactionsApi,
  ...auditApi,
  ...configApi,
  ...mappingsApi,
  ...dashboardApi,
  ...errorsQueueApi,
  ...inspectorApi,
  ...savedSearchesApi,
  ...alertsApi,
  ...athenaApi,
  ...hl7Api,
  ...logsApi,
  ...filesApi,
  ...matchingApi,
  ...accessApi,
  ...billingApi,
  ...appointmentBatchesApi,
  ...maintenanceApi,
  ...fhirApi,
  ...patientLinksApi,
} as const

export type Contract = typeof contract
export type Method = keyof Contract
export type InputOf<M extends Method> = z.input<Contract[M]['input']>
export type ParsedInputOf<M extends Method> = z.output<Contract[M]['input']>
export type OutputOf<M extends Method> = z.output<Contract[M]['output']>
export type CallResult<M extends Method> = Result<OutputOf<M>>

export function isMethod(name: string): name is Method {
  return Object.prototype.hasOwnProperty.call(contract, name)
}

export * from './events'
export * from './permissions'
