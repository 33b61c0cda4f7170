/**
 * Issue #17 item 6 / HIP-16: a running engine takes a consistent, encrypted backup (both database
 * files, the secrets, the configuration) while MLLP messages are being acknowledged, and a restore
 * into an empty data folder holds every message acknowledged before the backup started, passes
 * PRAGMA integrity_check, and its audit trail verifies. Backups are audited, the newest `keep` are
 * kept, a wrong key or a changed byte is refused, and nothing in the file is readable without keys.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseAck } from '../../../electron/engine/connectors/hl7'
import { loadBackupKey } from '../../../electron/engine/maintenance/backup'
import { restoreBackup } from '../../../electron/engine/maintenance/restore'
import { createFileStore } from '../../../electron/engine/secrets/file-store'
import { adtMsg, MllpTestClient, openHl7Engine, type Hl7TestEngine } from '../hl7/support'
import { openTestEngine, tempDir, waitFor, type TestEngine } from './support/harness'

const RESTORE_KEY = Buffer.from('7c'.repeat(32), 'hex')
const restoredStore = (dir: string) => createFileStore({ file: join(dir, 'secrets.enc'), masterKey: RESTORE_KEY, location: 'restored store' })

describe('a backup taken under MLLP load', () => {
  let src: Hl7TestEngine | null = null
  let restored: Hl7TestEngine | null = null
  afterEach(async () => {
    await src?.close()
    await restored?.close()
    src = restored = null
  })

  it('restores every message acknowledged before it started; integrity_check ok; the audit trail verifies', async () => {
    src = await openHl7Engine()
    const { port } = await src.addInbound('adt-in')
    const acked = new Set<string>()
    let stop = false
    const sender = async (lane: number): Promise<void> => {
      const c = await MllpTestClient.connect(port)
      for (let i = 0; !stop; i++) {
        const control = `L${lane}-${i}`
        const ack = parseAck(await c.send(adtMsg({ control, mrn: `M${lane}-${i}` })))
        if (ack.code === 'AA') acked.add(control)
      }
      c.close()
    }
    const senders = [0, 1, 2].map(sender)
    await waitFor(() => acked.size >= 150, '150 acknowledged messages')
    const before = new Set(acked) // everything acknowledged before the backup started
    const backup = await src.call<{ file: string; name: string; bytes: number; auditHead: number }>('backups.create')
    const during = acked.size - before.size
    stop = true
    await Promise.all(senders)
    expect(during, 'messages kept being acknowledged while the backup ran').toBeGreaterThan(0)
    expect(backup.name).toMatch(/^practice-studio-\d{8}T\d{9}Z\.psbackup$/)
    expect(src.engine.ctx.audit.list({ action: 'backup.create' })[0]).toMatchObject({ outcome: 'ok', targetId: backup.name })

    // Restore on "another machine": an empty folder, another secret store, the exported backup key.
    const key = await loadBackupKey(src.engine.ctx.secrets)
    const dir = mkdtempSync(join(tmpdir(), 'ps-restore-'))
    // openHl7Engine's file store seals with this master key; the restore writes the secrets into it.
    const store = createFileStore({ file: join(dir, 'secrets.enc'), masterKey: Buffer.from('5a'.repeat(32), 'hex'), location: 'restored store' })
    const report = await restoreBackup({ file: backup.file, dataDir: dir, backupKey: key, secrets: store, actor: 'it@restore' })
    expect(report.integrity).toEqual({ database: 'ok', inbox: 'ok' })
    expect(report.audit.ok).toBe(true)
    expect(await store.get('db-key')).toBe(await src.engine.ctx.secrets.get('db-key'))

    restored = await openHl7Engine({ dir })
    const rows = restored.rows("channel = 'adt-in'")
    const count = new Map<string, number>()
    for (const r of rows) count.set(r.control_id!, (count.get(r.control_id!) ?? 0) + 1)
    const missing = [...before].filter((c) => !count.has(c))
    expect(missing, 'acknowledged before the backup, missing after the restore').toEqual([])
    expect([...count.values()].every((n) => n === 1), 'no message twice').toBe(true)
    const status = await restored.call<{ audit: { state: string; openAlerts: number } }>('system.status')
    expect(status.audit).toMatchObject({ state: 'ok', openAlerts: 0 })
    expect(await restored.call('audit.verify')).toMatchObject({ ok: true })
    expect(restored.engine.ctx.audit.list({ action: 'backup.restore' })).toHaveLength(1)
    expect((restored.engine.ctx.db.pragma('integrity_check') as { integrity_check: string }[])[0].integrity_check).toBe('ok')
  })
})

describe('backups', () => {
  let t: TestEngine | null = null
  afterEach(async () => {
    await t?.stop()
    t = null
  })

  it('keeps the newest N, lists them, and nothing in the file is readable without the keys', async () => {
    t = await openTestEngine()
    const CANARY = 'BACKUP-PHI-CANARY-5150'
    await t.call('practices.create', { id: 'clinic', name: CANARY })
    const conn = await t.call<{ id: string }>('connections.create', { practiceId: 'clinic', kind: 'athena-rest', name: 'athena', config: { environment: 'preview', clientId: 'cid' } })
    await t.call('connections.setSecret', { id: conn.id, field: 'client_secret', value: 'SECRET-CANARY-8080' })
    const s = await t.call<Record<string, Record<string, unknown>>>('system.settings')
    await t.call('system.saveSettings', { ...s, backups: { ...s.backups, keep: 2 } })
    const made: string[] = []
    for (let i = 0; i < 3; i++) made.push((await t.call<{ name: string }>('backups.create')).name)
    const list = await t.call<{ dir: string; items: { name: string; keyId: string }[]; keep: number }>('backups.list')
    expect(list.keep).toBe(2)
    expect(list.items.map((b) => b.name)).toEqual([made[2], made[1]])
    expect(readdirSync(list.dir).filter((f) => f.endsWith('.psbackup'))).toHaveLength(2)
    expect(readdirSync(list.dir).filter((f) => !f.endsWith('.psbackup'))).toEqual([]) // no partial files left behind
    expect(t.engine.ctx.audit.list({ action: 'backup.create' })).toHaveLength(3)
    expect(t.engine.ctx.audit.list({ action: 'backup.create' })[0].details).toMatchObject({ trigger: 'manual', removedOld: 1 })
    const bytes = readFileSync(join(list.dir, made[2]))
    for (const needle of [CANARY, 'SECRET-CANARY-8080', (await t.store.get('db-key'))!]) {
      expect(bytes.includes(Buffer.from(needle)), needle).toBe(false)
    }

    // The connection secret travels sealed, and comes back on restore.
    const dir = tempDir()
    const store = restoredStore(dir)
    await restoreBackup({ file: join(list.dir, made[2]), dataDir: dir, backupKey: await loadBackupKey(t.store), secrets: store, actor: 'it' })
    expect(await store.get(`connection:${conn.id}:client_secret`)).toBe('SECRET-CANARY-8080')
  })

  it('refuses a wrong key, a changed byte, a truncated file, and a folder that already holds a database', async () => {
    t = await openTestEngine()
    const b = await t.call<{ file: string }>('backups.create')
    const key = await loadBackupKey(t.store)
    const attempt = (file: string, k: Buffer, dir = tempDir()) => restoreBackup({ file, dataDir: dir, backupKey: k, secrets: dir === t!.dataDir ? t!.store : restoredStore(dir), actor: 'it' })
    await expect(attempt(b.file, randomBytes(32))).rejects.toThrow(/another backup key/)
    const bytes = readFileSync(b.file)
    const flipped = join(tempDir(), 'flipped.psbackup')
    const copy = Buffer.from(bytes)
    copy[Math.floor(copy.length / 2)] ^= 0xff
    writeFileSync(flipped, copy)
    await expect(attempt(flipped, key)).rejects.toThrow(/damaged|authenticate/)
    const cut = join(tempDir(), 'cut.psbackup')
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100))
    await expect(attempt(cut, key)).rejects.toThrow(/not a usable Practice Studio backup/)
    await expect(attempt(b.file, key, t.dataDir)).rejects.toThrow(/already holds practice-studio.db/)
    const empty = tempDir()
    await attempt(b.file, key, empty)
    expect(existsSync(join(empty, 'practice-studio.db'))).toBe(true)
    rmSync(empty, { recursive: true, force: true })
  })

  it('runs on its schedule, and an invalid schedule is refused with a field error', async () => {
    t = await openTestEngine()
    const s = await t.call<Record<string, Record<string, unknown>>>('system.settings')
    const bad = await t.callRaw('system.saveSettings', { ...s, backups: { ...s.backups, schedule: 'every night' } })
    expect(bad.ok).toBe(false)
    expect(!bad.ok && (bad.error.details as { issues: { path: string }[] }).issues[0].path).toBe('backups.schedule')
    await t.call('system.saveSettings', { ...s, backups: { ...s.backups, schedule: '* * * * * *' } }) // every second
    const list = await t.call<{ nextAt: number | null }>('backups.list')
    expect(list.nextAt).not.toBeNull()
    await waitFor(() => t!.engine.ctx.audit.list({ action: 'backup.create' }).some((e) => e.details.trigger === 'schedule'), 'a scheduled backup', 30_000)
    await t.call('system.saveSettings', { ...s, backups: { ...s.backups, schedule: null } })
    expect((await t.call<{ nextAt: number | null }>('backups.list')).nextAt).toBeNull()
  })

  it('the installation settings travel in the configuration file; a bad schedule is reported at its line', async () => {
    t = await openTestEngine()
    const { json } = await t.call<{ json: string }>('config.export', {})
    const doc = JSON.parse(json) as { system: { backups: { keep: number; schedule: string | null } } }
    expect(doc.system.backups).toMatchObject({ keep: 7, schedule: null })
    doc.system.backups.keep = 3
    doc.system.backups.schedule = '0 2 * * *'
    expect(await t.call('config.import', { json: JSON.stringify(doc, null, 2) })).toMatchObject({ ok: true })
    expect((await t.call<{ backups: { keep: number; schedule: string } }>('system.settings')).backups).toMatchObject({ keep: 3, schedule: '0 2 * * *' })
    expect(t.engine.ctx.audit.list({ action: 'system.settings.update' })[0].details).toMatchObject({ changed: { backups: { to: { keep: 3 } } } })
    doc.system.backups.schedule = 'nightly'
    const bad = await t.call<{ ok: boolean; issues: { path: string; line: number | null }[] }>('config.import', { json: JSON.stringify(doc, null, 2) })
    expect(bad.ok).toBe(false)
    expect(bad.issues[0]).toMatchObject({ path: 'system.backups.schedule' })
    expect(bad.issues[0].line).toBeGreaterThan(1)
  })

  it('the data folder size counts the database, WALs, inbox, logs and backups', async () => {
    t = await openTestEngine()
    await t.call('backups.create')
    const s = await t.call<{ dataFolder: Record<string, number | string> }>('system.status')
    const f = s.dataFolder as Record<string, number>
    expect(f.database).toBeGreaterThan(0)
    expect(f.inbox).toBeGreaterThan(0)
    expect(f.logs).toBeGreaterThan(0)
    expect(f.backups).toBeGreaterThan(0)
    expect(f.total).toBe(f.database + f.databaseWal + f.inbox + f.inboxWal + f.logs + f.backups + f.other)
  })
})
