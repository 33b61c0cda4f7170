/**
 * Which engine events a person may receive (both transports filter their streams with it): an
 * event naming a practice goes to those with a grant there (audit entries: audit.view there);
 * engine-wide events (disk full, listeners changed) go to everyone signed in.
 */
import { can, type Principal } from './principal'

export function eventVisible(p: Principal, name: string, payload: unknown): boolean {
  if (p.kind === 'system') return true
  if (p.kind !== 'person') return false
  const x = (payload ?? {}) as { practiceId?: unknown; id?: unknown }
  const practice = name === 'practices.changed' ? x.id : x.practiceId
  if (typeof practice !== 'string' || practice === '*') return name !== 'audit.appended' || can(p, 'audit.view', '*')
  return can(p, name === 'audit.appended' ? 'audit.view' : 'msg.view_meta', practice)
}
