/**
 * Tiny path router for `/v1/{practiceid}/…`. Path parameters are numeric ids, so `/patients/abc`
 * is an unknown path rather than a lookup of patient "abc" — as on athena, where ids are digits.
 */
import type { Handler, RouteDef } from './context'

interface CompiledRoute {
  method: string
  regex: RegExp
  names: string[]
  handler: Handler
  /** Stats key, e.g. `GET /v1/{practiceid}/patients/{patientid}`. */
  key: string
}

export interface RouteMatch {
  handler: Handler
  pathParams: Record<string, number>
  key: string
}

export class Router {
  private readonly routes: CompiledRoute[] = []

  add(defs: RouteDef[]): this {
    for (const d of defs) {
      const names: string[] = []
      const pattern = d.path
        .split('/')
        .map((seg) => {
          if (!seg.startsWith(':')) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
          names.push(seg.slice(1))
          return '(\\d+)'
        })
        .join('/')
      this.routes.push({
        method: d.method,
        regex: new RegExp(`^${pattern}/?$`),
        names,
        handler: d.handler,
        key: `${d.method} /v1/{practiceid}${d.path.replace(/:(\w+)/g, '{$1}')}`,
      })
    }
    return this
  }

  match(method: string, subpath: string): RouteMatch | null {
    for (const r of this.routes) {
      if (r.method !== method) continue
      const m = r.regex.exec(subpath)
      if (!m) continue
      const pathParams: Record<string, number> = {}
      r.names.forEach((n, i) => (pathParams[n] = Number(m[i + 1])))
      return { handler: r.handler, pathParams, key: r.key }
    }
    return null
  }
}
