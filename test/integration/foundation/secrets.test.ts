/**
 * Secret stores against the real peers: the OS keychain is gnome-keyring's Secret Service in the
 * private D-Bus session started by scripts/with-keyring.sh (no session → these tests fail, they
 * never skip). The encrypted-file store, the store choice recorded in install.json, and the
 * database key that must never be silently re-created.
 */
import { AsyncEntry } from '@napi-rs/keyring'
import { randomBytes, randomUUID } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import { DB_FILE, MASTER_KEY_ENV, loadDatabaseKey, readInstall, resolveSecretStore } from '../../../electron/engine/core/data-dir'
import { openEngine } from '../../../electron/engine/core/engine'
import { silentLogger } from '../../../electron/engine/core/logger'
import { createFileStore, parseMasterKey } from '../../../electron/engine/secrets/file-store'
import { createKeychainStore, probeKeychain } from '../../../electron/engine/secrets/keychain-store'
import { fileMode, tempDir } from './support/harness'

const SERVICE = 'practice-studio-console'
const raw = (account: string) => new AsyncEntry(SERVICE, account, { linux: { store: 'secret-service' } })

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(AppError)
    return e as AppError
  }
  throw new Error('expected a rejection')
}

function rejectionSync(fn: () => unknown): AppError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(AppError)
    return e as AppError
  }
  throw new Error('expected an error')
}

describe('keychain store (real gnome-keyring Secret Service)', () => {
  it('the test runs inside a D-Bus session with a Secret Service', async () => {
    expect(process.env.DBUS_SESSION_BUS_ADDRESS, 'run under scripts/with-keyring.sh').toBeTruthy()
    expect(await probeKeychain(`probe-${randomUUID()}`)).toEqual({ ok: true })
  })

  it('set / get / delete round trip, stored in the Secret Service itself', async () => {
    const id = randomUUID()
    const store = createKeychainStore(id)
    expect(store.kind).toBe('keychain')
    expect(await store.get('connection:c1:client_secret')).toBeNull()
    await store.set('connection:c1:client_secret', 'kc-secret-1')
    expect(await store.get('connection:c1:client_secret')).toBe('kc-secret-1')
    // Really in the keychain (another client reading the same entry), not in process memory.
    expect(await raw(`${id}:connection:c1:client_secret`).getPassword()).toBe('kc-secret-1')
    await store.set('connection:c1:client_secret', 'kc-secret-2')
    expect(await store.get('connection:c1:client_secret')).toBe('kc-secret-2')
    await store.delete('connection:c1:client_secret')
    expect(await store.get('connection:c1:client_secret')).toBeNull()
    expect(await raw(`${id}:connection:c1:client_secret`).getPassword()).toBeNull()
    // Deleting what is not there is not an error (connection delete clears every possible field).
    await expect(store.delete('connection:c1:password')).resolves.toBeUndefined()
  })

  it('namespaces entries by install id: two data folders never share a secret', async () => {
    const a = createKeychainStore(randomUUID())
    const b = createKeychainStore(randomUUID())
    await a.set('db-key', 'key-of-a')
    expect(await b.get('db-key')).toBeNull()
    await b.set('db-key', 'key-of-b')
    expect(await a.get('db-key')).toBe('key-of-a')
    expect(await b.get('db-key')).toBe('key-of-b')
    await a.delete('db-key')
    expect(await b.get('db-key')).toBe('key-of-b')
    await b.delete('db-key')
  })

  it('probeKeychain writes, reads back and removes its probe entry', async () => {
    const id = randomUUID()
    expect(await probeKeychain(id)).toEqual({ ok: true })
    expect(await raw(`${id}:probe`).getPassword()).toBeNull()
  })
})

describe('encrypted file store', () => {
  it('round-trips secrets across instances, 0600, no plaintext in the file, no temp files left', async () => {
    const dir = tempDir()
    const file = join(dir, 'secrets.enc')
    const key = randomBytes(32)
    const s = createFileStore({ file, masterKey: key, location: 'test' })
    expect(s.kind).toBe('file')
    await s.set('connection:c1:client_secret', 'FILE-CANARY-58213')
    await s.set('db-key', 'ab'.repeat(32))
    expect(await s.get('connection:c1:client_secret')).toBe('FILE-CANARY-58213')
    expect(fileMode(file)).toBe(0o600)
    const bytes = readFileSync(file)
    expect(bytes.subarray(0, 10).toString('latin1')).toBe('PSSECRETS1')
    expect(bytes.includes(Buffer.from('FILE-CANARY-58213'))).toBe(false)
    expect(bytes.includes(Buffer.from('client_secret'))).toBe(false) // names are sealed too
    expect(bytes.includes(Buffer.from('ab'.repeat(32)))).toBe(false)
    expect(readdirSync(dir)).toEqual(['secrets.enc'])

    const again = createFileStore({ file, masterKey: Buffer.from(key), location: 'test' })
    expect(await again.get('connection:c1:client_secret')).toBe('FILE-CANARY-58213')
    await again.delete('connection:c1:client_secret')
    expect(await again.get('connection:c1:client_secret')).toBeNull()
    expect(await again.get('db-key')).toBe('ab'.repeat(32))
  })

  it('a wrong master key fails at creation with secret_store_unavailable', async () => {
    const file = join(tempDir(), 'secrets.enc')
    const s = createFileStore({ file, masterKey: randomBytes(32), location: 'test' })
    await s.set('db-key', 'x')
    const e = rejectionSync(() => createFileStore({ file, masterKey: randomBytes(32), location: 'test' }))
    expect(e.code).toBe('secret_store_unavailable')
    expect(e.message).toMatch(/cannot be decrypted with this master key/)
  })

  it('a tampered secrets file is refused (authenticated encryption)', async () => {
    const file = join(tempDir(), 'secrets.enc')
    const key = randomBytes(32)
    const s = createFileStore({ file, masterKey: key, location: 'test' })
    await s.set('db-key', 'x')
    const b = readFileSync(file)
    b[b.length - 1] ^= 0x01
    writeFileSync(file, b)
    expect(rejectionSync(() => createFileStore({ file, masterKey: key, location: 'test' })).code).toBe('secret_store_unavailable')
  })

  it('concurrent sets do not lose each other (serialised read-modify-write)', async () => {
    const s = createFileStore({ file: join(tempDir(), 'secrets.enc'), masterKey: randomBytes(32), location: 'test' })
    await Promise.all(Array.from({ length: 25 }, (_, i) => s.set(`connection:c${i}:client_secret`, `v${i}`)))
    for (let i = 0; i < 25; i++) expect(await s.get(`connection:c${i}:client_secret`)).toBe(`v${i}`)
  })

  it('parses a master key as hex or base64 and rejects anything else', () => {
    const k = randomBytes(32)
    expect(parseMasterKey(k.toString('hex')).equals(k)).toBe(true)
    expect(parseMasterKey(`${k.toString('base64')}\n`).equals(k)).toBe(true)
    expect(rejectionSync(() => parseMasterKey('short')).code).toBe('secret_store_unavailable')
  })
})

describe('resolveSecretStore: the store choice per data folder', () => {
  it('an explicit master key file selects the file store and records it', async () => {
    const dir = tempDir()
    const keyFile = join(tempDir(), 'master.key')
    writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 })
    const { store, install } = await resolveSecretStore(dir, { mode: 'auto', masterKeyFile: keyFile })
    expect(store.kind).toBe('file')
    expect(store.warning).toBeUndefined()
    expect(store.location).toContain(keyFile)
    expect(install.secretStore).toBe('file')
    expect(readInstall(dir)).toEqual(install)
    expect(fileMode(join(dir, 'install.json'))).toBe(0o600)
    expect(existsSync(join(dir, 'master.key'))).toBe(false) // the key stays where the operator put it
  })

  it('the master key from the environment selects the file store', async () => {
    const dir = tempDir()
    const { store } = await resolveSecretStore(dir, { mode: 'auto', env: { [MASTER_KEY_ENV]: randomBytes(32).toString('hex') } })
    expect(store.kind).toBe('file')
    expect(store.location).toContain(MASTER_KEY_ENV)
  })

  it('auto with a reachable keychain selects the keychain and records it', async () => {
    const dir = tempDir()
    const { store, install } = await resolveSecretStore(dir, { mode: 'auto', env: {} })
    expect(store.kind).toBe('keychain')
    expect(readInstall(dir)?.secretStore).toBe('keychain')
    expect(install.installId).toMatch(/^[0-9a-f-]{36}$/)
    // A second start reuses the same install id (same keychain namespace).
    const again = await resolveSecretStore(dir, { mode: 'auto', env: {} })
    expect(again.install.installId).toBe(install.installId)
    expect(readdirSync(dir).sort()).toEqual(['install.json'])
  })

  it('a later start with another mode is refused (keychain folder, file mode and vice versa)', async () => {
    const kc = tempDir()
    await resolveSecretStore(kc, { mode: 'keychain', env: {} })
    const keyFile = join(tempDir(), 'master.key')
    writeFileSync(keyFile, randomBytes(32).toString('hex'))
    const e1 = await rejection(resolveSecretStore(kc, { mode: 'file', masterKeyFile: keyFile }))
    expect(e1.code).toBe('secret_store_unavailable')
    expect(e1.message).toMatch(/keeps its secrets in the OS keychain/)
    // auto with a master key given must not switch a keychain folder to a file store either.
    expect((await resolveSecretStore(kc, { mode: 'auto', masterKeyFile: keyFile })).store.kind).toBe('keychain')

    const fileDir = tempDir()
    await resolveSecretStore(fileDir, { mode: 'file', masterKeyFile: keyFile })
    const e2 = await rejection(resolveSecretStore(fileDir, { mode: 'keychain' }))
    expect(e2.code).toBe('secret_store_unavailable')
    expect(e2.message).toMatch(/keeps its secrets in the encrypted secrets file/)
    // auto keeps the recorded file store even though a keychain is reachable now.
    expect((await resolveSecretStore(fileDir, { mode: 'auto', masterKeyFile: keyFile })).store.kind).toBe('file')
  })

  it('a generated master key that went missing is refused, not silently replaced', async () => {
    const dir = tempDir()
    // The headless fallback (file mode, no key given) creates master.key beside the data.
    const first = await resolveSecretStore(dir, { mode: 'file', env: {} })
    expect(first.store.warning).toMatch(/master key is stored beside the data/)
    expect(fileMode(join(dir, 'master.key'))).toBe(0o600)
    await first.store.set('db-key', 'k')
    rmSync(join(dir, 'master.key'))
    const e = await rejection(resolveSecretStore(dir, { mode: 'auto', env: {} }))
    expect(e.code).toBe('secret_store_unavailable')
    expect(e.message).toMatch(/master key that was not given/)
    expect(existsSync(join(dir, 'master.key'))).toBe(false)
  })
})

describe('loadDatabaseKey', () => {
  it('creates a random 256-bit key once, in the store, and returns the same key afterwards', async () => {
    const dir = tempDir()
    const store = createKeychainStore(randomUUID())
    const k1 = await loadDatabaseKey(store, join(dir, DB_FILE))
    expect(k1).toMatch(/^[0-9a-f]{64}$/)
    expect(await store.get('db-key')).toBe(k1)
    expect(await loadDatabaseKey(store, join(dir, DB_FILE))).toBe(k1)
    await store.delete('db-key')
  })

  it('refuses when the database exists but its key is gone (never creates a new key for old data)', async () => {
    const dir = tempDir()
    const { store } = await resolveSecretStore(dir, { mode: 'keychain', env: {} })
    const engine = await openEngine({ dataDir: dir, secrets: store, logger: silentLogger, mode: 'headless', version: 't', operator: 't' })
    await engine.stop()
    expect(existsSync(join(dir, DB_FILE))).toBe(true)
    await store.delete('db-key')

    const e = await rejection(loadDatabaseKey(store, join(dir, DB_FILE)))
    expect(e.code).toBe('db_key_unavailable')
    expect(e.message).toContain(join(dir, DB_FILE))
    expect(await store.get('db-key')).toBeNull()
    // The engine refuses the same way instead of starting on an unreadable database.
    const e2 = await rejection(openEngine({ dataDir: dir, secrets: store, logger: silentLogger, mode: 'headless', version: 't', operator: 't' }))
    expect(e2.code).toBe('db_key_unavailable')
  })
})
