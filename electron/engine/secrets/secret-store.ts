/**
 * Secrets (the database key, athenaNet client secrets, ...) live only behind this interface:
 * never in SQLite, logs, API responses or the renderer, which only ever learns whether a secret
 * is set. Names are typed so a typo cannot create a second, orphaned secret.
 */
export type SecretName =
  | 'db-key'
  | 'audit-key'
  /** The latest verified audit checkpoint, kept outside the database (audit/audit-integrity.ts). */
  | 'audit-anchor'
  /** Seals what a backup needs besides the database files (maintenance/backup-archive.ts); exported by the operator as the recovery key. */
  | 'backup-key'
  | `connection:${string}:client_secret`
  | `connection:${string}:client_id`
  | `connection:${string}:password`
  | `connection:${string}:private_key`
  | `connection:${string}:tls_key`

export type SecretStoreKind = 'keychain' | 'file'

export interface SecretStore {
  readonly kind: SecretStoreKind
  /** Human description of where secrets are kept, for the Settings page and `system.status`. */
  readonly location: string
  /** A warning to show at every start and in Settings, e.g. when the master key sits beside the data. */
  readonly warning?: string
  get(name: SecretName): Promise<string | null>
  set(name: SecretName, value: string): Promise<void>
  delete(name: SecretName): Promise<void>
}

export async function hasSecret(store: SecretStore, name: SecretName): Promise<boolean> {
  return (await store.get(name)) !== null
}

/** Names of the secrets that belong to one connection (deleted with it). */
export function connectionSecretNames(connectionId: string): SecretName[] {
  return [
    `connection:${connectionId}:client_secret`,
    `connection:${connectionId}:client_id`,
    `connection:${connectionId}:password`,
    `connection:${connectionId}:private_key`,
    `connection:${connectionId}:tls_key`,
  ]
}
