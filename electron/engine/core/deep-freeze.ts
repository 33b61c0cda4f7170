/**
 * Freezes a plain value and everything it holds, for objects a cache hands to many callers (a
 * caller changing one would change it for everyone): a write then throws (ES modules are strict)
 * instead of corrupting the cache.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}
