import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'

describe('migration 0070 (security alerts, prune runs, pruned raw payloads)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m70-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('applies on top of the earlier migrations, keeping transactions, which start unpruned', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 70))
    db.prepare(`INSERT INTO transactions (practice_id, connector, channel, direction, status, received_at, updated_at, content_type, raw, raw_sha256)
      VALUES ('p', 'hl7', 'in', 'in', 'done', 1, 1, 'hl7v2', x'4d5348', 'x')`).run()
    expect(migrate(db).applied[0]).toBe(70) // later migrations (0150, 0151) follow it
    expect(db.prepare('SELECT count(*) AS n, max(raw_pruned_at) AS pruned FROM transactions').get()).toEqual({ n: 1, pruned: null })
    expect(db.prepare("SELECT count(*) AS n FROM transactions INDEXED BY tx_prune_raw WHERE raw_pruned_at IS NULL AND practice_id = 'p' AND connector = 'hl7'").get()).toEqual({ n: 1 })
    expect(migrate(db).applied).toEqual([])
  })

  it('security alerts and prune runs are typed; a prune run names its trigger', () => {
    migrate(db)
    db.prepare("INSERT INTO security_alerts (id, kind, signature, title, message, raised_at) VALUES ('a', 'audit_integrity', 'chain:3', 't', 'm', 1)").run()
    expect(() => db.prepare("INSERT INTO security_alerts (id, kind, signature, title, message, raised_at) VALUES ('b', 'k', 's', 't', 'm', 'soon')").run()).toThrow(/cannot store TEXT value in INTEGER column/)
    db.prepare("INSERT INTO prune_runs (trigger, started_at) VALUES ('manual', 1)").run()
    expect(() => db.prepare("INSERT INTO prune_runs (trigger, started_at) VALUES ('whenever', 1)").run()).toThrow(/CHECK/)
    expect(db.prepare('SELECT payloads_pruned, transactions_deleted, logs_deleted, batches FROM prune_runs').get()).toEqual({ payloads_pruned: 0, transactions_deleted: 0, logs_deleted: 0, batches: 0 })
  })
})
