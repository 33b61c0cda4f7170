/** The log filter kept per practice for the session, so opening a message and coming back keeps the view. */
import { EMPTY_FILTER, type LogFilter } from './log-filter'

const key = (practiceId: string) => `ps-txlog-filter:${practiceId}`

export function loadFilter(practiceId: string): LogFilter {
  try {
    const raw = sessionStorage.getItem(key(practiceId))
    return raw ? { ...EMPTY_FILTER, ...(JSON.parse(raw) as Partial<LogFilter>) } : EMPTY_FILTER
  } catch {
    return EMPTY_FILTER
  }
}

export function storeFilter(practiceId: string, f: LogFilter): void {
  sessionStorage.setItem(key(practiceId), JSON.stringify(f))
}
