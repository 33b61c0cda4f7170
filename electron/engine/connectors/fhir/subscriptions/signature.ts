/**
 * `X-Hub-Signature: sha256=<lowercase hex HMAC-SHA256(secret, raw body bytes)>` (reference fhir.md
 * §2.2, H; WebSub style). Checked over the raw bytes before anything parses them, in constant time
 * against each candidate secret (a practice's live subscriptions: during a renewal overlap the old
 * and the new secret are both live). The method prefix "may change" (H): only the configured one
 * is accepted.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

export interface Candidate<T> {
  secret: string
  owner: T
}

/** `owners`: every candidate whose secret matches (subscriptions may share a secret; the notification then names which). */
export type SignatureCheck<T> = { ok: true; owners: T[] } | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' | 'no_secret' }

export function sign(secret: string, raw: Buffer, prefix = 'sha256='): string {
  return `${prefix}${createHmac('sha256', secret).update(raw).digest('hex')}`
}

export function verifySignature<T>(header: string | undefined, raw: Buffer, candidates: Candidate<T>[], prefix = 'sha256='): SignatureCheck<T> {
  if (!candidates.length) return { ok: false, reason: 'no_secret' }
  if (!header) return { ok: false, reason: 'missing' }
  const h = header.trim()
  if (!h.startsWith(prefix)) return { ok: false, reason: 'malformed' }
  const hex = h.slice(prefix.length)
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return { ok: false, reason: 'malformed' }
  const given = Buffer.from(hex.toLowerCase(), 'hex')
  const owners: T[] = []
  // Every candidate is compared (no early exit), so the time does not tell which secret matched.
  for (const c of candidates) {
    const mac = createHmac('sha256', c.secret).update(raw).digest()
    if (timingSafeEqual(mac, given)) owners.push(c.owner)
  }
  return owners.length === 0 ? { ok: false, reason: 'mismatch' } : { ok: true, owners }
}
