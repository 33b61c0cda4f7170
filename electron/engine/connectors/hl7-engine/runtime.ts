/** The HL7 engine's parts, per engine, for the API handlers (installed by the module). */
import type { EngineContext } from '../../core/engine-context'
import { moduleSlot } from '../../core/module-state'
import type { Hl7Interfaces } from './interfaces'
import type { Hl7ListenerService } from './listener-service'
import type { Hl7OutboundService } from './outbound/outbound-service'

export interface Hl7Runtime {
  interfaces: Hl7Interfaces
  listeners: Hl7ListenerService
  outbound: Hl7OutboundService
}

const slot = moduleSlot<Hl7Runtime>()

export function setHl7Runtime(ctx: EngineContext, r: Hl7Runtime): void {
  slot.set(ctx, r)
}

export function hl7Runtime(ctx: EngineContext): Hl7Runtime | undefined {
  return slot.find(ctx)
}
