import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'

describe('migration 0111 (alert channels, deliveries, open rule kinds)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m111-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('rebuilds alert_rules keeping its rules and the notifications that point at them, and takes new kinds', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 111))
    db.prepare("INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'preview', 'America/New_York', 1, 1)").run()
    db.prepare("INSERT INTO alert_rules (id, practice_id, name, kind, level, threshold, window_minutes, firing, last_fired_at, created_at, updated_at) VALUES ('r1', 'p', 'Failures', 'error_count', 'error', 2, 15, 1, 50, 1, 1)").run()
    db.prepare("INSERT INTO notifications (id, practice_id, rule_id, level, title, message, at) VALUES ('n1', 'p', 'r1', 'error', 'Failures', '2 failed', 50)").run()
    expect(() => db.prepare("INSERT INTO alert_rules (id, practice_id, name, kind, level, threshold, window_minutes, created_at, updated_at) VALUES ('r2', 'p', 'Q', 'athena_quota', 'warning', 80, 15, 1, 1)").run()).toThrow(/CHECK/)
    expect(migrate(db).applied).toContain(111)
    expect(db.prepare('SELECT id, kind, firing, last_fired_at, last_notified_at, channels, notify_resolved FROM alert_rules').all()).toEqual([
      { id: 'r1', kind: 'error_count', firing: 1, last_fired_at: 50, last_notified_at: 50, channels: '[]', notify_resolved: 1 },
    ])
    expect(db.prepare('SELECT rule_id, link FROM notifications').get()).toEqual({ rule_id: 'r1', link: null })
    db.prepare("INSERT INTO alert_rules (id, practice_id, name, kind, level, threshold, window_minutes, created_at, updated_at) VALUES ('r2', 'p', 'Q', 'athena_quota', 'warning', 80, 15, 1, 1)").run()
    // Deleting a rule still clears its notifications' link to it (the foreign key survived the rebuild).
    db.prepare("DELETE FROM alert_rules WHERE id = 'r1'").run()
    expect(db.prepare('SELECT rule_id FROM notifications').get()).toEqual({ rule_id: null })
    expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([])
  })

  it('keeps deliveries with their notification and channel, and checks their status', () => {
    migrate(db)
    db.prepare("INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'preview', 'America/New_York', 1, 1)").run()
    db.prepare("INSERT INTO alert_channels (id, practice_id, name, kind, config, created_at, updated_at) VALUES ('c', 'p', 'mail', 'email', '{}', 1, 1)").run()
    db.prepare("INSERT INTO notifications (id, practice_id, level, title, message, at) VALUES ('n', 'p', 'error', 't', 'm', 1)").run()
    const add = db.prepare("INSERT INTO alert_deliveries (notification_id, channel_id, practice_id, status, next_attempt_at, created_at) VALUES ('n', 'c', 'p', ?, 1, 1)")
    add.run('pending')
    expect(() => add.run('lost')).toThrow(/CHECK/)
    expect(() => db.prepare("INSERT INTO alert_channels (id, practice_id, name, kind, config, created_at, updated_at) VALUES ('d', 'p', 'x', 'sms', '{}', 1, 1)").run()).toThrow(/CHECK/)
    db.prepare("DELETE FROM alert_channels WHERE id = 'c'").run()
    expect(db.prepare('SELECT count(*) AS n FROM alert_deliveries').get()).toEqual({ n: 0 })
  })
})
