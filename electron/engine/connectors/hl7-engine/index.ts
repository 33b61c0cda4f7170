/**
 * The HL7 v2 interface engine as a connector module: inbound MLLP listeners (durable before
 * acknowledged), the inbound pipeline handler (filters, mapping, records), appointment changes →
 * outbound SIU with a sender per destination, connectivity tests and the shipped mapping sets.
 * See README.md in this folder.
 */
import type { ConnectorModule } from '../../core/engine-context'
import { inboundTester, outboundTester } from './connectivity'
import { createInboundHandler } from './inbound-handler'
import { Hl7Interfaces } from './interfaces'
import { Hl7ListenerService } from './listener-service'
import { loadHl7MappingSets } from './mappings'
import { createOutboundHandler } from './outbound/outbound-handler'
import { Hl7OutboundService } from './outbound/outbound-service'
import { setHl7Runtime } from './runtime'
import { registerHl7AlertKinds } from './alert-kinds'
import { alertKinds } from '../../console/alert-kinds'

export { LISTENER_SERVICE, Hl7ListenerService } from './listener-service'
export { OUTBOUND_SERVICE, Hl7OutboundService } from './outbound/outbound-service'
export { hl7Runtime } from './runtime'

export interface Hl7EngineOptions {
  /** How often appointment changes are read for outbound destinations; default 1000 ms. */
  outboundPollMs?: number
}

export function hl7EngineModule(opts: Hl7EngineOptions = {}): ConnectorModule {
  return (engine) => {
    const ctx = engine.ctx
    ctx.mappings.registerDefaults(loadHl7MappingSets())
    const interfaces = new Hl7Interfaces(ctx.connections)
    const listeners = new Hl7ListenerService(ctx, interfaces)
    const outbound = new Hl7OutboundService(ctx, interfaces, opts.outboundPollMs ?? 1000)
    ctx.pipeline.register(createInboundHandler(ctx, interfaces))
    ctx.pipeline.register(createOutboundHandler(ctx, interfaces, outbound.senders))
    engine.addService(listeners)
    engine.addService(outbound)
    ctx.connectivity.set('hl7-inbound', inboundTester(ctx, () => listeners))
    ctx.connectivity.set('hl7-outbound', outboundTester(ctx, interfaces, ctx.logger.child({ component: 'hl7-connectivity' })))
    setHl7Runtime(ctx, { interfaces, listeners, outbound })
    registerHl7AlertKinds(alertKinds(ctx), interfaces, listeners, () => ctx.clock.now())
  }
}

export const hl7Engine: ConnectorModule = hl7EngineModule()
