/**
 * The registry of alert rule kinds. The console registers the ones over transactions; connector
 * modules register theirs when they are installed (hl7: a listener down or its peer gone; athena:
 * quota near its limit, circuit breaker open), and a later module (FHIR subscription delivery
 * gaps, file-job failures) adds its own the same way, with no change to the alert engine.
 */
import { moduleSlot } from '../core/module-state'
import type { EngineContext } from '../core/engine-context'
import type { AlertRule } from '../../../shared/api/alerts'
import type { z } from 'zod'
import type { alertKindSchema } from '../../../shared/api/alerts'

export type AlertKindInfo = z.infer<typeof alertKindSchema>

export interface Measurement {
  value: number
  alert: boolean
  message: string
  /** The console page that shows the cause (a route with its query), e.g. `/errors?practiceId=p&group=…`. */
  link?: string | null
}

export interface AlertKindDef extends AlertKindInfo {
  measure(rule: AlertRule, now: number): Measurement
}

export class AlertKinds {
  private readonly defs = new Map<string, AlertKindDef>()

  register(def: AlertKindDef): void {
    this.defs.set(def.kind, def)
  }

  get(kind: string): AlertKindDef | undefined {
    return this.defs.get(kind)
  }

  list(): AlertKindInfo[] {
    return [...this.defs.values()].map(({ measure: _m, ...info }) => info)
  }
}

const slot = moduleSlot<AlertKinds>()

/** This engine's registry (created on first use, by whichever module comes first). */
export function alertKinds(ctx: EngineContext): AlertKinds {
  let k = slot.find(ctx)
  if (!k) {
    k = new AlertKinds()
    slot.set(ctx, k)
  }
  return k
}

/** `"hl7 / adt-in"`, `"hl7"`, or `"all interfaces"`. */
export function scopeLabel(rule: { connector: string | null; channel: string | null }): string {
  if (rule.connector && rule.channel) return `${rule.connector} / ${rule.channel}`
  return rule.connector ?? rule.channel ?? 'all interfaces'
}

/** A console link with its query (values encoded). */
export function consoleLink(path: string, query: Record<string, string | null | undefined>): string {
  const q = Object.entries(query)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v as string)}`)
    .join('&')
  return q ? `${path}?${q}` : path
}

/**
 * The address a person opens from outside the console (e-mail, webhook) for a console link: the
 * query goes before the hash (`/?practiceId=…&group=…#/errors`), where the hash router reads it;
 * after the hash it would be part of the route and match no page.
 */
export function consoleAddress(base: string, link: string): string {
  const at = link.indexOf('?')
  const path = at < 0 ? link : link.slice(0, at)
  const query = at < 0 ? '' : link.slice(at + 1)
  return `${base}${query ? `?${query}` : ''}#${path}`
}
