import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'

describe('migration 0110 (feeds: patient links, resent counts, the policy of existing interfaces)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m110-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('keeps existing inbound interfaces refusing types they do not process, and leaves others alone', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 110))
    db.prepare("INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'preview', 'America/New_York', 1, 1)").run()
    const add = db.prepare('INSERT INTO connections (id, practice_id, kind, name, config, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, 1)')
    add.run('c1', 'p', 'hl7-inbound', 'old-in', JSON.stringify({ port: 2575 }))
    add.run('c2', 'p', 'hl7-inbound', 'chosen-in', JSON.stringify({ port: 2576, unsupportedTypes: 'ignore' }))
    add.run('c3', 'p', 'hl7-outbound', 'out', JSON.stringify({ host: 'h', port: 1 }))
    expect(migrate(db).applied).toContain(110)
    const cfg = (id: string) => JSON.parse((db.prepare('SELECT config FROM connections WHERE id = ?').get(id) as { config: string }).config)
    expect(cfg('c1')).toEqual({ port: 2575, unsupportedTypes: 'reject' })
    expect(cfg('c2').unsupportedTypes).toBe('ignore')
    expect(cfg('c3')).toEqual({ host: 'h', port: 1 })
  })

  it('holds one active link per pair, checks statuses, and counts resends per stored message', () => {
    migrate(db)
    db.prepare("INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'preview', 'America/New_York', 1, 1)").run()
    const link = db.prepare(`INSERT INTO patient_links (practice_id, survivor_id, prior_id, prior_ids, source, action, status, created_at, updated_at) VALUES ('p', 1, 2, '[]', 'hl7 ADT^A40', 'merge', ?, 1, 1)`)
    link.run('merged')
    expect(() => link.run('linked')).toThrow(/UNIQUE/)
    expect(() => link.run('gone')).toThrow(/CHECK/)
    db.prepare("UPDATE patient_links SET status = 'undone'").run()
    expect(() => link.run('merged')).not.toThrow()
    db.prepare("INSERT INTO tx_resent (practice_id, channel, dedup_key, n, last_at) VALUES ('p', 'in', 'A|B|1', 1, 1)").run()
    expect(() => db.prepare("INSERT INTO tx_resent (practice_id, channel, dedup_key, n, last_at) VALUES ('p', 'in', 'A|B|1', 1, 1)").run()).toThrow(/UNIQUE|PRIMARY/)
  })
})
