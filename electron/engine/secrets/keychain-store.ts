/**
 * OS keychain via @napi-rs/keyring (N-API, so the same binary works in Electron and Node), called
 * on the keychain thread with a time limit (keychain-thread.ts).
 * On Linux the Secret Service store is pinned: the library's auto mode silently falls back to
 * kernel keyutils, which does not survive a reboot and is not what the user thinks "keychain" is.
 * Entries are namespaced by the data folder's install id so two data folders never share a key.
 */
import { AppError } from '../../../shared/errors'
import { keychainCall } from './keychain-thread'
import type { SecretName, SecretStore } from './secret-store'

const SERVICE = 'practice-studio-console'

function account(installId: string, name: string): string {
  return `${installId}:${name}`
}

function unavailable(e: unknown): AppError {
  return new AppError(
    'secret_store_unavailable',
    `The OS keychain is not available (${(e as Error)?.message ?? String(e)}). On Linux a Secret Service (e.g. gnome-keyring) must be running and unlocked.`,
    { cause: e, retryable: true },
  )
}

export function createKeychainStore(installId: string): SecretStore {
  return {
    kind: 'keychain',
    location: process.platform === 'darwin' ? 'macOS Keychain' : process.platform === 'win32' ? 'Windows Credential Manager' : 'Secret Service (OS keychain)',
    async get(name: SecretName) {
      try {
        return ((await keychainCall('get', SERVICE, account(installId, name))) as string | null) ?? null
      } catch (e) {
        throw unavailable(e)
      }
    },
    async set(name: SecretName, value: string) {
      try {
        await keychainCall('set', SERVICE, account(installId, name), value)
      } catch (e) {
        throw unavailable(e)
      }
    },
    async delete(name: SecretName) {
      try {
        await keychainCall('delete', SERVICE, account(installId, name))
      } catch (e) {
        throw unavailable(e)
      }
    },
  }
}

/** True when a keychain is reachable and writable right now (writes, reads back and deletes a probe). */
export async function probeKeychain(installId: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    const probe = account(installId, 'probe')
    const value = `probe-${Date.now()}`
    await keychainCall('set', SERVICE, probe, value)
    const back = await keychainCall('get', SERVICE, probe)
    await keychainCall('delete', SERVICE, probe)
    return back === value ? { ok: true } : { ok: false, reason: 'read-back mismatch' }
  } catch (e) {
    return { ok: false, reason: (e as Error)?.message ?? String(e) }
  }
}
