/**
 * OS keychain via @napi-rs/keyring (N-API, so the same binary works in Electron and Node), called
 * on the keychain thread with a time limit (keychain-thread.ts).
 * On Linux the Secret Service store is pinned: the library's auto mode silently falls back to
 * kernel keyutils, which does not survive a reboot and is not what the user thinks "keychain" is.
 * Entries are namespaced by the data folder's install id so two data folders never share a key.
 */
import { AppError } from '../../../shared/errors'
import { keychainCall, type KeychainOp } from './keychain-thread'
import type { SecretName, SecretStore } from './secret-store'

const SERVICE = 'practice-studio-console'

/**
 * What a Secret Service that went away looks like: it died during the call ("disconnected without
 * replying"), or its name has no owner yet (between a crash and its restart). Seen in CI:
 * gnome-keyring 42 aborted on an assertion (an OpenSession for a client it no longer knew), its
 * session restarted it 60 ms later, and a `serve` starting at that moment gave up for good. A frozen
 * daemon ("no answer within") is not retried: that call already waited the whole limit. A machine
 * with D-Bus but no Secret Service at all pays the pauses once, at its first start's probe.
 */
const GONE = /disconnected|NoReply|did not receive a reply|ServiceUnknown|not provided by any \.service|NameHasNoOwner|connection (was )?closed|broken pipe/i
/** Pauses before each retry: a restarted daemon takes a few hundred ms to own its name again. */
const RETRY_DELAYS_MS = [250, 1_000, 2_500]

async function call(op: KeychainOp, acct: string, value?: string): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await keychainCall(op, SERVICE, acct, value)
    } catch (e) {
      const delay = RETRY_DELAYS_MS[attempt]
      if (delay === undefined || !GONE.test((e as Error)?.message ?? String(e))) throw e
      await new Promise((r) => setTimeout(r, delay))
    }
  }
}

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
        return ((await call('get', account(installId, name))) as string | null) ?? null
      } catch (e) {
        throw unavailable(e)
      }
    },
    async set(name: SecretName, value: string) {
      try {
        await call('set', account(installId, name), value)
      } catch (e) {
        throw unavailable(e)
      }
    },
    async delete(name: SecretName) {
      try {
        await call('delete', account(installId, name))
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
    await call('set', probe, value)
    const back = await call('get', probe)
    await call('delete', probe)
    return back === value ? { ok: true } : { ok: false, reason: 'read-back mismatch' }
  } catch (e) {
    return { ok: false, reason: (e as Error)?.message ?? String(e) }
  }
}
