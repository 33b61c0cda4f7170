/**
 * The headless no-keychain fallback, with the real built server: without a D-Bus session there is
 * no Secret Service, so `serve` falls back to the encrypted secrets file with a generated master
 * key beside the data (0600), says so loudly on stderr and in system.status, records the choice,
 * and keeps it on later starts even when a keychain is reachable again.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseMasterKey, createFileStore } from '../../../electron/engine/secrets/file-store'
import { startServe, tempDataDir } from '../../support/serve-process'
import { fileMode, filesContaining } from './support/harness'
import { requireBuiltServer } from './support/serve'

beforeAll(() => requireBuiltServer())

interface Status {
  secretStore: { kind: string; location: string; warning?: string }
  database: { encrypted: boolean }
}

describe('headless fallback without a keychain', () => {
  it('starts on the encrypted file store with master.key beside the data, warns, and system.status reports it', async () => {
    // The test itself runs in a keyring session; the child gets none.
    expect(process.env.DBUS_SESSION_BUS_ADDRESS, 'run under scripts/with-keyring.sh').toBeTruthy()
    const dataDir = tempDataDir()
    const s = await startServe({ dataDir, env: { DBUS_SESSION_BUS_ADDRESS: undefined } })
    let status: Status
    try {
      const r = await s.call<Status>('system.status')
      expect(r.ok).toBe(true)
      status = (r as { value: Status }).value
      expect(status.secretStore.kind).toBe('file')
      expect(status.secretStore.warning).toMatch(/master key is stored beside the data/)
      expect(status.secretStore.warning).toContain(join(dataDir, 'master.key'))
      expect(status.database.encrypted).toBe(true)

      const stderr = s.stderr.join('')
      expect(stderr).toContain(`WARNING: The master key is stored beside the data (${join(dataDir, 'master.key')})`)
      // The warning is not on stdout, which carries only the readiness line.
      expect(s.stdout.join('\n')).not.toContain('WARNING')
    } finally {
      expect(await s.stop()).toBe(0)
    }

    expect(JSON.parse(readFileSync(join(dataDir, 'install.json'), 'utf8')).secretStore).toBe('file')
    expect(fileMode(join(dataDir, 'master.key'))).toBe(0o600)
    expect(fileMode(join(dataDir, 'secrets.enc'))).toBe(0o600)
    // The database key is in the sealed secrets file, and only sealed.
    const store = createFileStore({ file: join(dataDir, 'secrets.enc'), masterKey: parseMasterKey(readFileSync(join(dataDir, 'master.key'), 'utf8')), location: 'test' })
    const dbKey = await store.get('db-key')
    expect(dbKey).toMatch(/^[0-9a-f]{64}$/)
    expect(filesContaining(dataDir, dbKey!)).toEqual([])

    // A later start with a keychain available keeps the recorded file store (no silent switch, no lost key).
    const again = await startServe({ dataDir })
    try {
      const r = await again.call<Status>('system.status')
      expect(r.ok && r.value.secretStore.kind).toBe('file')
      expect(again.stderr.join('')).toContain('WARNING: The master key is stored beside the data')
    } finally {
      expect(await again.stop()).toBe(0)
    }
  })

  it('with a keychain, the same start uses the keychain and prints no warning', async () => {
    const dataDir = tempDataDir()
    const s = await startServe({ dataDir })
    try {
      const r = await s.call<Status>('system.status')
      expect(r.ok && r.value.secretStore.kind).toBe('keychain')
      expect(r.ok && r.value.secretStore.warning).toBeUndefined()
      expect(s.stderr.join('')).not.toContain('WARNING')
    } finally {
      await s.stop()
    }
    expect(JSON.parse(readFileSync(join(dataDir, 'install.json'), 'utf8')).secretStore).toBe('keychain')
  })
})
