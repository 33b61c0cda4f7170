import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { migrate, MIGRATIONS } from '../../../electron/engine/store/migrations'

describe('migration 0150 (billing files)', () => {
  let dir: string
  let db: Db
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ps-m150-'))
    db = openDatabase({ file: join(dir, 'db'), keyHex: randomBytes(32).toString('hex') })
  })
  afterEach(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('applies on top of the earlier migrations, keeping their data', () => {
    migrate(db, MIGRATIONS.filter((m) => m.version < 150))
    db.prepare(`INSERT INTO practices (id, name, environment, time_zone, created_at, updated_at) VALUES ('p', 'P', 'sandbox', 'UTC', 1, 1)`).run()
    db.prepare(`INSERT INTO records (practice_id, kind, data, created_at, updated_at) VALUES ('p', 'financial_transaction', '{}', 1, 1)`).run()
    expect(migrate(db).applied).toContain(150)
    expect(db.prepare('SELECT count(*) AS n FROM records').get()).toEqual({ n: 1 })
  })

  it('a charge is billed once, an original is sent once, a trace posts once, deposits are unique', () => {
    migrate(db)
    db.prepare(`INSERT INTO claim_files (practice_id, format, file_name, claim_count, total_cents, sha256, content, created_at, created_by) VALUES ('p', '837p', 'f', 1, 100, 'x', x'00', 1, 't')`).run()
    const claim = (pcn: string): number => Number(db.prepare(`INSERT INTO claims (practice_id, pcn, status, frequency, service_date, payer_id, payer_name, total_cents, draft, created_at, updated_at) VALUES ('p', ?, 'sent', '1', '2026-01-01', 'P', 'P', 100, '{}', 1, 1)`).run(pcn).lastInsertRowid)
    const a = claim('PS1')
    expect(() => claim('PS1')).toThrow(/UNIQUE/)
    const b = claim('PS2')
    db.prepare('INSERT INTO claim_lines VALUES (10, ?, 1)').run(a)
    expect(() => db.prepare('INSERT INTO claim_lines VALUES (10, ?, 1)').run(b)).toThrow(/UNIQUE|PRIMARY/)
    db.prepare(`INSERT INTO claim_submissions (claim_id, frequency, file_id, at) VALUES (?, '1', 1, 1)`).run(a)
    expect(() => db.prepare(`INSERT INTO claim_submissions (claim_id, frequency, file_id, at) VALUES (?, '1', 1, 1)`).run(a)).toThrow(/UNIQUE/)
    db.prepare(`INSERT INTO claim_submissions (claim_id, frequency, file_id, at) VALUES (?, '7', 1, 2)`).run(a)
    const remit = (status: string): void =>
      void db.prepare(`INSERT INTO remittances (practice_id, file_name, file_sha256, isa_sender, isa_control, st_control, status, trace, payer_tin, payer_name, handling, payment_cents, method, claim_count, plb_cents, received_at, received_by)
        VALUES ('p', 'f', 'h', 's', '1', '1', ?, 'T1', '1', 'P', 'I', 100, 'ACH', 1, 0, 1, 't')`).run(status)
    remit('posted')
    remit('unbalanced')
    expect(() => remit('posted')).toThrow(/UNIQUE/)
    const dep = (): void => void db.prepare(`INSERT INTO deposits (practice_id, deposit_date, amount_cents, trace, trace_key, file_name, line, created_at) VALUES ('p', '2026-01-02', 100, '0T1', 'T1', 'b.csv', 2, 1)`).run()
    dep()
    expect(dep).toThrow(/UNIQUE/)
    expect(() => db.prepare(`UPDATE claims SET status = 'lost' WHERE id = ?`).run(a)).toThrow(/CHECK/)
  })
})
