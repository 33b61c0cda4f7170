/**
 * Seals small secrets that must sit in the database (a person's TOTP seed) under a key kept in
 * the secret store (`access-key`): AES-256-GCM, so a copy of the database alone reveals nothing
 * and an edited value fails to open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

export class SecretBox {
  constructor(private readonly key: Buffer) {}

  seal(plain: string): string {
    const iv = randomBytes(12)
    const c = createCipheriv('aes-256-gcm', this.key, iv)
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()])
    return `v1:${Buffer.concat([iv, c.getAuthTag(), body]).toString('base64')}`
  }

  open(sealed: string): string {
    if (!sealed.startsWith('v1:')) throw new Error('unknown sealed format')
    const b = Buffer.from(sealed.slice(3), 'base64')
    const d = createDecipheriv('aes-256-gcm', this.key, b.subarray(0, 12))
    d.setAuthTag(b.subarray(12, 28))
    return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8')
  }
}
