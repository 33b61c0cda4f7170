/**
 * The operator's side of backups, on the built server: the backup key exported once as the
 * recovery key (`--export-backup-key`, 0600, audited), and `serve --restore FILE --backup-key-file
 * KEY` into an empty data folder on "another machine" (another master key), which then starts with
 * the restored practices and an audit trail that verifies. Restoring over a database is refused.
 */
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startServe, tempDataDir } from '../../support/serve-process'
import { requireBuiltServer, runServeToExit } from './support/serve'

describe('serve --export-backup-key / --restore', () => {
  it('restores a backup into an empty folder with the exported key', async () => {
    requireBuiltServer()
    const a = tempDataDir()
    let serve = await startServe({ dataDir: a, args: ['--secret-store', 'file'] })
    let file: string
    try {
      expect((await serve.call('practices.create', { id: 'riverside', name: 'Riverside Clinic' })).ok).toBe(true)
      const b = await serve.call<{ file: string }>('backups.create')
      if (!b.ok) throw new Error(b.error.message)
      file = b.value.file
    } finally {
      await serve.stop()
    }
    const keyFile = join(tempDataDir(), 'recovery.key')
    const exp = await runServeToExit(['--data-dir', a, '--secret-store', 'file', '--export-backup-key', keyFile])
    expect(exp.code, exp.stderr).toBe(0)
    expect(exp.stdout).toContain('The backup key was written to')
    expect(readFileSync(keyFile, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/)
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)

    const b = tempDataDir()
    serve = await startServe({ dataDir: b, args: ['--secret-store', 'file', '--restore', file, '--backup-key-file', keyFile] })
    try {
      expect(serve.stdout.join('\n')).toMatch(/restored: backup of .*integrity ok\/ok; audit trail verifies/)
      const practices = await serve.call<{ id: string }[]>('practices.list')
      expect(practices.ok && practices.value.map((p) => p.id)).toContain('riverside')
      const status = await serve.call<{ audit: { state: string } }>('system.status')
      expect(status.ok && status.value.audit.state).toBe('ok')
      const audit = await serve.call<{ action: string }[]>('audit.list', { limit: 20 })
      expect(audit.ok && audit.value.map((e) => e.action)).toContain('backup.restore')
    } finally {
      await serve.stop()
    }
    // The export itself is in the source's audit trail.
    serve = await startServe({ dataDir: a, args: ['--secret-store', 'file'] })
    try {
      const audit = await serve.call<{ action: string }[]>('audit.list', { action: 'backup.key_export' })
      expect(audit.ok && audit.value).toHaveLength(1)
    } finally {
      await serve.stop()
    }
    const over = await runServeToExit(['--data-dir', a, '--secret-store', 'file', '--restore', file, '--backup-key-file', keyFile])
    expect(over.code).toBe(1)
    expect(over.stderr).toMatch(/already holds practice-studio.db/)
  })
})
