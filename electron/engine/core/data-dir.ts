/**
 * The data folder: the encrypted database, the install id that namespaces keychain entries, and
 * (headless fallback only) the encrypted secrets file. `install.json` records which secret store
 * the install uses, so a later start can never silently switch stores and lose the database key.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { AppError } from '../../../shared/errors'
import { createFileStore, parseMasterKey } from '../secrets/file-store'
import { createKeychainStore, probeKeychain } from '../secrets/keychain-store'
import type { SecretStore, SecretStoreKind } from '../secrets/secret-store'

export const PRODUCT_NAME = 'Practice Studio Console'
export const MASTER_KEY_ENV = 'PRACTICE_STUDIO_MASTER_KEY'
export const DB_FILE = 'practice-studio.db'

export interface InstallInfo {
  installId: string
  secretStore: SecretStoreKind
  createdAt: string
}

/** The per-user application data folder (the same place Electron's `userData` points to). */
export function defaultDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), PRODUCT_NAME)
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', PRODUCT_NAME)
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), PRODUCT_NAME)
}

export function ensureDataDir(dir: string): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    chmodSync(dir, 0o700) // mkdir's mode is masked by the umask
  }
}

export function readInstall(dir: string): InstallInfo | null {
  const f = join(dir, 'install.json')
  if (!existsSync(f)) return null
  return JSON.parse(readFileSync(f, 'utf8')) as InstallInfo
}

function writeInstall(dir: string, info: InstallInfo): void {
  writeFileSync(join(dir, 'install.json'), JSON.stringify(info, null, 2) + '\n', { mode: 0o600 })
}

export interface SecretStoreChoice {
  /** keychain: the OS keychain (desktop always). file: encrypted file with a master key. auto: headless default. */
  mode: 'keychain' | 'file' | 'auto'
  masterKeyFile?: string | null
  env?: NodeJS.ProcessEnv
}

/**
 * Picks the secret store for a data folder. Headless (`auto`): the store recorded at first run;
 * else an explicit master key → file store; else a reachable OS keychain; else a generated master
 * key file beside the data (0600), with a warning shown at every start and in Settings.
 */
export async function resolveSecretStore(dir: string, choice: SecretStoreChoice): Promise<{ store: SecretStore; install: InstallInfo }> {
  ensureDataDir(dir)
  const env = choice.env ?? process.env
  let install = readInstall(dir)
  const givenKey = choice.masterKeyFile ? readKeyFile(choice.masterKeyFile) : env[MASTER_KEY_ENV] ? parseMasterKey(env[MASTER_KEY_ENV]!) : null

  let kind: SecretStoreKind
  if (install) {
    kind = install.secretStore
    if (choice.mode !== 'auto' && choice.mode !== kind) {
      throw new AppError('secret_store_unavailable', `This data folder keeps its secrets in the ${install.secretStore === 'file' ? 'encrypted secrets file' : 'OS keychain'}; it cannot be opened with the ${choice.mode} store.`)
    }
  } else if (choice.mode !== 'auto') {
    kind = choice.mode
  } else if (givenKey) {
    kind = 'file'
  } else {
    const probe = await probeKeychain(`probe-${randomUUID()}`)
    kind = probe.ok ? 'keychain' : 'file'
  }
  if (!install) {
    install = { installId: randomUUID(), secretStore: kind, createdAt: new Date().toISOString() }
    writeInstall(dir, install)
  }

  if (kind === 'keychain') {
    const probe = await probeKeychain(install.installId)
    if (!probe.ok) {
      throw new AppError('secret_store_unavailable', `The OS keychain that holds this data folder's database key is not available: ${probe.reason}. Unlock the keychain (on Linux: a running, unlocked Secret Service such as gnome-keyring) and start again.`)
    }
    return { store: createKeychainStore(install.installId), install }
  }

  const file = join(dir, 'secrets.enc')
  if (givenKey) {
    const location = choice.masterKeyFile ? `encrypted file ${file} (master key from ${choice.masterKeyFile})` : `encrypted file ${file} (master key from $${MASTER_KEY_ENV})`
    return { store: createFileStore({ file, masterKey: givenKey, location }), install }
  }
  const keyFile = join(dir, 'master.key')
  if (!existsSync(keyFile)) {
    if (existsSync(file)) {
      throw new AppError('secret_store_unavailable', `The secrets of this data folder are sealed with a master key that was not given. Pass --master-key-file FILE or set ${MASTER_KEY_ENV}.`)
    }
    writeFileSync(keyFile, randomBytes(32).toString('hex') + '\n', { mode: 0o600 })
  }
  chmodSync(keyFile, 0o600)
  return {
    store: createFileStore({
      file,
      masterKey: readKeyFile(keyFile),
      location: `encrypted file ${file} (master key ${keyFile})`,
      warning: `The master key is stored beside the data (${keyFile}). Anyone who can read this folder can decrypt the database. Move the key elsewhere and start with --master-key-file, or use the OS keychain.`,
    }),
    install,
  }
}

function readKeyFile(path: string): Buffer {
  try {
    return parseMasterKey(readFileSync(path, 'utf8'))
  } catch (e) {
    if (e instanceof AppError) throw e
    throw new AppError('secret_store_unavailable', `Cannot read the master key file ${path}: ${(e as Error).message}`)
  }
}

/** The database key: created on first run, kept only in the secret store. */
export async function loadDatabaseKey(store: SecretStore, dbFile: string): Promise<string> {
  let key = await store.get('db-key')
  if (key) return key
  if (existsSync(dbFile)) {
    throw new AppError('db_key_unavailable', `The database ${dbFile} exists but its key is not in the ${store.location}. Without it the data cannot be read.`)
  }
  key = randomBytes(32).toString('hex')
  await store.set('db-key', key)
  const back = await store.get('db-key')
  if (back !== key) throw new AppError('secret_store_unavailable', `The ${store.location} did not keep the database key; refusing to create an unreadable database.`)
  return key
}

/** The database file and its WAL, in bytes. */
export function databaseSize(dbFile: string): number {
  let total = 0
  for (const f of [dbFile, `${dbFile}-wal`]) {
    try {
      total += statSync(f).size
    } catch {
      /* no wal yet */
    }
  }
  return total
}
