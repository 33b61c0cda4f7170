/**
 * The practice's HL7 interfaces as the engine uses them: inbound listeners and outbound
 * destinations, with their configuration parsed (and defaulted) by the shared schemas. Lookups
 * read the connections table, so a handler always sees the configuration in force; parsed
 * configurations are cached per connection version.
 */
import { hl7InboundConfigSchema, hl7OutboundConfigSchema, type Hl7InboundConfig, type Hl7OutboundConfig } from '../../../../shared/config'
import type { ConnectionsRepo, StoredConnection } from '../../practices/connections-repo'

export interface Hl7Interface<C> {
  id: string
  practiceId: string
  name: string
  enabled: boolean
  updatedAt: number
  config: C
}

export type InboundInterface = Hl7Interface<Hl7InboundConfig>
export type OutboundDestination = Hl7Interface<Hl7OutboundConfig>

export class Hl7Interfaces {
  private readonly parsed = new Map<string, { updatedAt: number; config: unknown }>()

  constructor(private readonly connections: ConnectionsRepo) {}

  private parse<C>(c: StoredConnection, parse: (raw: unknown) => C): Hl7Interface<C> {
    let hit = this.parsed.get(c.id)
    if (!hit || hit.updatedAt !== c.updatedAt) {
      hit = { updatedAt: c.updatedAt, config: parse(c.config) }
      if (this.parsed.size > 500) this.parsed.clear()
      this.parsed.set(c.id, hit)
    }
    return { id: c.id, practiceId: c.practiceId, name: c.name, enabled: c.enabled, updatedAt: c.updatedAt, config: hit.config as C }
  }

  inbound(practiceId: string, name: string): InboundInterface | null {
    const c = this.connections.findByName(practiceId, name)
    return c && c.kind === 'hl7-inbound' ? this.parse(c, (r) => hl7InboundConfigSchema.parse(r)) : null
  }

  outbound(practiceId: string, name: string): OutboundDestination | null {
    const c = this.connections.findByName(practiceId, name)
    return c && c.kind === 'hl7-outbound' ? this.parse(c, (r) => hl7OutboundConfigSchema.parse(r)) : null
  }

  allInbound(): InboundInterface[] {
    return this.connections
      .list()
      .filter((c) => c.kind === 'hl7-inbound')
      .map((c) => this.parse(c, (r) => hl7InboundConfigSchema.parse(r)))
  }

  allOutbound(practiceId?: string): OutboundDestination[] {
    return this.connections
      .list(practiceId)
      .filter((c) => c.kind === 'hl7-outbound')
      .map((c) => this.parse(c, (r) => hl7OutboundConfigSchema.parse(r)))
  }

  inboundOf(c: StoredConnection): InboundInterface {
    return this.parse(c, (r) => hl7InboundConfigSchema.parse(r))
  }

  outboundOf(c: StoredConnection): OutboundDestination {
    return this.parse(c, (r) => hl7OutboundConfigSchema.parse(r))
  }
}
