/**
 * The connector modules the engine runs. Each installs its pipeline handlers, services
 * (listeners, sync jobs), connectivity tests and configuration hooks on the engine.
 */
import type { ConnectorModule } from '../core/engine-context'
import { athenaModule } from './athena'
import { fhirModule } from './fhir'
import { hl7Engine } from './hl7-engine'
import { files } from './files'
import { billingModule } from './files/billing'
import { appointmentBatchModule } from './files/appointments-batch'

export const CONNECTOR_MODULES: ConnectorModule[] = [athenaModule, hl7Engine, fhirModule, files, billingModule, appointmentBatchModule]
