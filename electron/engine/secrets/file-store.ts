/**
 * Encrypted-file secret store for headless servers without an OS keychain.
 * Secrets are one JSON document sealed with AES-256-GCM under a 32-byte master key that is given
 * by the operator (a key file or an environment variable). Writes are atomic (temp file + rename)
 * and the file is 0600. When `serve` has to create the master key itself it puts it beside the
 * data, which defeats the point of encryption at rest; that case carries a loud warning.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync, chmodSync } from 'node:fs'
import { AppError } from '../../../shared/errors'
import type { SecretName, SecretStore } from './secret-store'

const MAGIC = Buffer.from('PSSECRETS1')

export interface FileStoreOptions {
  file: string
  masterKey: Buffer
  location: string
  warning?: string
}

/** Parses a master key given as 64 hex characters or base64 of 32 bytes. */
export function parseMasterKey(text: string): Buffer {
  const t = text.trim()
  if (/^[0-9a-f]{64}$/i.test(t)) return Buffer.from(t, 'hex')
  const b = Buffer.from(t, 'base64')
  if (b.length === 32) return b
  throw new AppError('secret_store_unavailable', 'The master key must be 32 bytes, written as 64 hex characters or base64.')
}

export function createFileStore(opts: FileStoreOptions): SecretStore {
  if (opts.masterKey.length !== 32) throw new AppError('secret_store_unavailable', 'The master key must be 32 bytes.')

  const load = (): Record<string, string> => {
    if (!existsSync(opts.file)) return {}
    const buf = readFileSync(opts.file)
    if (buf.length < MAGIC.length + 12 + 16 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new AppError('secret_store_unavailable', `The secrets file ${opts.file} is not a Practice Studio secrets file.`)
    }
    const iv = buf.subarray(MAGIC.length, MAGIC.length + 12)
    const tag = buf.subarray(MAGIC.length + 12, MAGIC.length + 28)
    const body = buf.subarray(MAGIC.length + 28)
    try {
      const d = createDecipheriv('aes-256-gcm', opts.masterKey, iv)
      d.setAuthTag(tag)
      const plain = Buffer.concat([d.update(body), d.final()])
      return JSON.parse(plain.toString('utf8')) as Record<string, string>
    } catch (e) {
      throw new AppError('secret_store_unavailable', `The secrets file ${opts.file} cannot be decrypted with this master key.`, { cause: e })
    }
  }

  const save = (data: Record<string, string>): void => {
    const iv = randomBytes(12)
    const c = createCipheriv('aes-256-gcm', opts.masterKey, iv)
    const body = Buffer.concat([c.update(Buffer.from(JSON.stringify(data), 'utf8')), c.final()])
    const out = Buffer.concat([MAGIC, iv, c.getAuthTag(), body])
    const tmp = `${opts.file}.tmp-${process.pid}`
    writeFileSync(tmp, out, { mode: 0o600 })
    renameSync(tmp, opts.file)
    chmodSync(opts.file, 0o600)
  }

  // Serialise read-modify-write so concurrent sets cannot lose each other's update.
  let chain: Promise<unknown> = Promise.resolve()
  const serial = <T>(fn: () => T): Promise<T> => {
    const next = chain.then(fn, fn)
    chain = next.catch(() => undefined)
    return next
  }

  load() // fail fast at start-up on a wrong master key

  return {
    kind: 'file',
    location: opts.location,
    ...(opts.warning ? { warning: opts.warning } : {}),
    get: (name: SecretName) => serial(() => load()[name] ?? null),
    set: (name: SecretName, value: string) =>
      serial(() => {
        const data = load()
        data[name] = value
        save(data)
      }),
    delete: (name: SecretName) =>
      serial(() => {
        const data = load()
        if (name in data) {
          delete data[name]
          save(data)
        }
      }),
  }
}
