/**
 * The person, permission and break-glass session of the engine call in progress, carried through
 * its async work (AsyncLocalStorage), so every audit entry a handler appends names them without
 * each of a hundred handlers passing them along.
 */
import { AsyncLocalStorage } from 'node:async_hooks'

export interface CallInfo {
  personId: string | null
  permission: string | null
  breakglassId: string | null
}

export class CallScope {
  private readonly als = new AsyncLocalStorage<CallInfo>()

  run<T>(info: CallInfo, fn: () => T): T {
    return this.als.run(info, fn)
  }

  current(): CallInfo | undefined {
    return this.als.getStore()
  }
}

/**
 * The practices a list may read: those the caller asked for (undefined = all), narrowed to the
 * caller's scope (null = every practice). Handlers pass the result to their repository query.
 */
export function withinScope(requested: readonly string[] | undefined, scope: readonly string[] | null): string[] | undefined {
  if (scope === null) return requested ? [...requested] : undefined
  return requested ? requested.filter((p) => scope.includes(p)) : [...scope]
}
