/**
 * Per-engine state of a connector module (its runtime, services), found again from the
 * EngineContext that API handlers and tests are given. Keyed weakly, so a closed engine's state
 * goes with it.
 */
import type { EngineContext } from './engine-context'

export interface ModuleSlot<T> {
  set(ctx: EngineContext, state: T): void
  /** The state, or undefined when the module is not installed in this engine. */
  find(ctx: EngineContext): T | undefined
}

export function moduleSlot<T>(): ModuleSlot<T> {
  const states = new WeakMap<EngineContext, T>()
  return {
    set: (ctx, state) => void states.set(ctx, state),
    find: (ctx) => states.get(ctx),
  }
}
