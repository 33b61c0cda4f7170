/**
 * What a handler gets: the parsed request, the caller's identity and the mutable practice state.
 * `world` is swapped wholesale when the admin API re-seeds, so handlers never hold on to a store.
 */
import type { SandboxConfig } from './config'
import type { FeedHub } from './feeds'
import type { UploadedFile } from './multipart'
import type { Params } from './params'
import type { Chart } from './seed/chart'
import type { SandboxStore } from './store'

export interface World {
  store: SandboxStore
  feeds: FeedHub
  /** Lazily generated charts, keyed by patient id. */
  charts: Map<number, Chart>
  /** Bodies of documents uploaded through `/v1` (seeded documents have none); the FHIR side serves them as Binary. */
  documentBodies: Map<number, Buffer>
}

export interface RequestContext {
  method: string
  /** Request path as sent, e.g. `/v1/195900/patients` (used to build `next` links). */
  path: string
  params: Params
  pathParams: Record<string, number>
  files: UploadedFile[]
  clientId: string
  /** Attribution of writes, e.g. `API-12345` (M). */
  apiUser: string
  cfg: SandboxConfig
  world: World
  now: number
}

export interface HandlerResult {
  status?: number
  body: unknown
}

export type Handler = (ctx: RequestContext) => HandlerResult

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** Relative to `/v1/{practiceid}`; `:name` segments match digits. */
  path: string
  handler: Handler
}
