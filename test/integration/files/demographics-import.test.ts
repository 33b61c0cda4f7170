/**
 * The daily demographics import end to end on a folder location: field-level reconciliation under
 * the practice's policy (unchanged rows change nothing, source-owned fields apply with provenance,
 * review fields are held and accepted or rejected), and the matcher: a likely duplicate under a
 * new id is created but sent to the worklist with its reasons, resolved by a reversible merge,
 * and a "not a duplicate" is remembered; the worklist exports as CSV; all of it audited.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csvFile, openFilesEngine, PRACTICE, type FilesTestEngine } from './support'

const row = (id: string, first: string, last: string, dob: string, extra: Partial<Record<'zip' | 'phone' | 'email' | 'addr', string>> = {}): string =>
  `${id},${first},${last},${dob},F,${extra.addr ?? '12 Elm Street'},,Springfield,IL,${extra.zip ?? '62704'},${extra.phone ?? '(217) 255-0142'},${extra.email ?? ''},Acme,M-${id},G1`

describe('demographics import: reconciliation and duplicates', () => {
  let t: FilesTestEngine
  let dir: string
  let job: string
  const drop = (name: string, rows: string[]) => writeFileSync(join(dir, 'in', name), csvFile(rows))
  const patient = (id: string) => t.engine.ctx.records.findByExternalId(PRACTICE, 'patient', `file:${job}`, id)

  beforeAll(async () => {
    t = await openFilesEngine()
    dir = mkdtempSync(join(tmpdir(), 'ps-files-demo-'))
    mkdirSync(join(dir, 'in'))
    const p = t.engine.ctx.practices.get(PRACTICE)
    await t.call('practices.update', { id: PRACTICE, name: p.name, settings: { ...p.settings, fileReconciliation: { default: 'source', fields: { last_name: 'review', date_of_birth: 'review', email: 'studio' } } } })
    const conn = await t.call<{ id: string }>('connections.create', { practiceId: PRACTICE, kind: 'folder', name: 'drop', config: { path: dir } })
    job = (await t.addJob(conn.id, { folder: 'in', stableCheckMs: 0 })).id
  })
  afterAll(async () => {
    await t?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('reconciles field by field: unchanged rows change nothing, owned fields apply with provenance, review fields are held', async () => {
    drop('day1.csv', [row('A1', 'Maria', 'Lopez', '03/14/1982', { email: 'maria@example.com' }), row('A2', 'Grace', 'Hopper', '12/09/1946')])
    expect((await t.run(job)).summary).toMatchObject({ received: 1 })
    const a1 = patient('A1')!
    expect(a1.data).toMatchObject({ first_name: 'Maria', last_name: 'Lopez', date_of_birth: '1982-03-14', phone_home: '+12172550142', address: { postal_code: '62704' } })

    // Day 2: A2 unchanged; A1 moved (address: source owns), married name (review), new e-mail (Practice Studio owns).
    drop('day2.csv', [row('A1', 'Maria', 'Lopez-Garcia', '03/14/1982', { addr: '9 Oak Avenue', zip: '62701', email: 'new@example.com' }), row('A2', 'Grace', 'Hopper', '12/09/1946')])
    await t.run(job)
    const files = await t.call<{ name: string; txId: number; counts: Record<string, number> }[]>('files.list', { practiceId: PRACTICE, jobId: job })
    const day2 = files.find((f) => f.name === 'day2.csv')!
    expect(day2.counts).toMatchObject({ updated: 1, unchanged: 1, total: 2 })
    const a2 = patient('A2')!
    expect(a2.version).toBe(1)
    const after = patient('A1')!
    expect(after.data).toMatchObject({ last_name: 'Lopez', email: 'maria@example.com', address: { line1: '9 Oak Avenue', postal_code: '62701' } })
    const changes = await t.call<{ field: string; status: string; oldValue: unknown; newValue: unknown; line: number; txId: number; id: number }[]>('files.changes', { practiceId: PRACTICE, recordId: a1.id })
    const addr = changes.find((c) => c.field === 'address' && c.status === 'applied' && c.txId === day2.txId)!
    expect(addr).toMatchObject({ line: 2, oldValue: { line1: '12 Elm Street' } })
    const held = changes.filter((c) => c.status === 'held')
    expect(held.map((c) => c.field)).toEqual(['last_name'])
    expect(held[0]!.newValue).toBe('Lopez-Garcia')
    // Whose record it is, as the reviewer reads it: the stored name and the record's ids.
    expect((held[0] as unknown as { patient: unknown }).patient).toEqual({ name: 'Lopez, Maria', ids: expect.arrayContaining(['A1']) })

    // The same file again: nothing new is held or changed.
    drop('day2-again.csv', [row('A1', 'Maria', 'Lopez-Garcia', '03/14/1982', { addr: '9 Oak Avenue', zip: '62701', email: 'new@example.com' }), row('A2', 'Grace', 'Hopper', '12/09/1946'), ''].filter(Boolean))
    await t.run(job)
    expect((await t.call<unknown[]>('files.changes', { practiceId: PRACTICE, status: 'held' })).length).toBe(1)

    // Accept the held change: a new version with the new name; audited.
    const r = await t.call<{ accepted: number }>('files.decideChanges', { practiceId: PRACTICE, ids: [held[0]!.id], decision: 'accept' })
    expect(r.accepted).toBe(1)
    expect(patient('A1')!.data.last_name).toBe('Lopez-Garcia')
    expect(t.audit('files.changes.accept')).toHaveLength(1)
  })

  it('sends a likely duplicate under a new id to the worklist with its reasons; merge is reversible; "not a duplicate" is remembered', async () => {
    drop('day3.csv', [row('B9', 'Gracie', 'Hopper', '12/09/1946', { addr: '77 Pine Road', zip: '62702', phone: '(217) 255-0199' }), row('C1', 'Baby Girl', 'Hopper', '05/01/2026')])
    await t.run(job)
    const list = await t.call<{ id: number; grade: string; reasons: string[]; recordA: number; recordB: number; status: string }[]>('matching.worklist', { practiceId: PRACTICE, status: 'open' })
    const ids = [patient('A2')!.id, patient('B9')!.id].sort((x, y) => x - y)
    const pair = list.find((p) => p.recordA === ids[0] && p.recordB === ids[1])!
    // The newborn placeholder at the same address is proposed too, flagged for review.
    expect(list.some((p) => p.id !== pair.id && (p as { trap?: string }).trap === 'newborn placeholder name')).toBe(true)
    expect(pair).toBeDefined()
    expect(['probable', 'possible']).toContain(pair.grade)
    expect(pair.reasons.join(' ')).toContain('dob.exact')
    const side = await t.call<{ a: { data: Record<string, unknown> }; b: { data: Record<string, unknown> } }>('matching.pair', { practiceId: PRACTICE, id: pair.id })
    expect([side.a.data.first_name, side.b.data.first_name].sort()).toEqual(['Grace', 'Gracie'])

    const survivor = patient('A2')!.id
    const dup = patient('B9')!.id
    const merged = await t.call<{ status: string }>('matching.resolve', { practiceId: PRACTICE, id: pair.id, action: 'merge', survivor })
    expect(merged.status).toBe('merged')
    // The merged record's ids now lead to the survivor; both records are still there.
    expect(patient('B9')!.id).toBe(survivor)
    expect(t.engine.ctx.records.get(dup)).not.toBeNull()
    const undone = await t.call<{ status: string }>('matching.undo', { practiceId: PRACTICE, id: pair.id })
    expect(undone.status).toBe('open')
    expect(patient('B9')!.id).toBe(dup)

    await t.call('matching.resolve', { practiceId: PRACTICE, id: pair.id, action: 'not_duplicate' })
    drop('day4.csv', [row('B9', 'Gracie', 'Hopper', '12/09/1946', { addr: '77 Pine Road', zip: '62702', phone: '(217) 255-0198' })])
    await t.run(job)
    const again = await t.call<{ id: number }[]>('matching.worklist', { practiceId: PRACTICE })
    expect(again.filter((p) => p.id === pair.id)).toHaveLength(1)
    expect(t.audit('matching.merge')).toHaveLength(1)
    expect(t.audit('matching.undo')).toHaveLength(1)
    expect(t.audit('matching.not_duplicate')).toHaveLength(1)

    const csv = await t.call<{ csv: string; rows: number }>('matching.exportCsv', { practiceId: PRACTICE })
    expect(csv.csv.split('\r\n')[0]).toBe('pair_id,record_a,record_a_external_ids,record_b,record_b_external_ids,score,grade,trap,origin,decision,decided_by,decided_at')
    expect(csv.csv).toContain('not_duplicate')
  })

  it('links a certain match to the existing patient instead of creating a second one', async () => {
    // Same person, new sending id, everything agrees.
    drop('day5.csv', [row('Z7', 'Maria', 'Lopez-Garcia', '03/14/1982', { addr: '9 Oak Avenue', zip: '62701', email: 'maria@example.com' })])
    await t.run(job)
    expect(patient('Z7')!.id).toBe(patient('A1')!.id)
  })

  it('applies rows of one file that touch the same patient in order, each against what the rows before it wrote', async () => {
    const dora = (id: string, last: string, addr: string): string => row(id, 'Dorothea', last, '07/22/1961', { addr, zip: '62711', phone: '(217) 255-0777', email: 'dora@example.com' })
    // One chunk: D1 new, then moved (source owns the address), then renamed (review: held), the same
    // name again (already held: nothing), then the same person under another id (a certain match:
    // linked, its member id applied).
    drop('day6.csv', [dora('D1', 'Quill', '1 First St'), dora('D1', 'Quill', '2 Second St'), dora('D1', 'Quillon', '2 Second St'), dora('D1', 'Quillon', '2 Second St'), dora('D2', 'Quill', '2 Second St')])
    await t.run(job)
    const files = await t.call<{ name: string; txId: number; counts: Record<string, number> }[]>('files.list', { practiceId: PRACTICE, jobId: job })
    const day6 = files.find((f) => f.name === 'day6.csv')!
    expect(day6.counts).toMatchObject({ total: 5, created: 1, updated: 2, held: 1, unchanged: 1 })
    const d1 = patient('D1')!
    expect(patient('D2')!.id).toBe(d1.id)
    expect(d1.version).toBe(3)
    expect(d1.data).toMatchObject({ last_name: 'Quill', address: { line1: '2 Second St' } })
    const history = t.engine.ctx.records.changesForTx(day6.txId).filter((c) => c.recordId === d1.id)
    expect(history.map((c) => c.op)).toEqual(['create', 'update', 'update'])
    expect(history[1]!.before).toMatchObject({ address: { line1: '1 First St' } })
    const changes = await t.call<{ field: string; status: string; line: number }[]>('files.changes', { practiceId: PRACTICE, recordId: d1.id })
    expect(changes.map((c) => `${c.field} ${c.status} ${c.line}`).sort()).toEqual(['address applied 3', 'insurance applied 6', 'last_name held 4'])
  })
  it('a row the store refuses fails its chunk with the store\'s own error, and nothing of the chunk stays', async () => {
    // The chunk first runs without the records' savepoints; the refused link leaves its record
    // half written, so the chunk is taken back and runs again with them, which reports the row's error.
    const db = t.engine.ctx.db
    db.exec(`CREATE TRIGGER test_refuse BEFORE INSERT ON external_ids WHEN new.value = 'R2' BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END`)
    const records = (): number => db.prepare("SELECT count(*) FROM records WHERE kind = 'patient'").pluck().get() as number
    const before = records()
    try {
      drop('day7.csv', [row('R1', 'Ada', 'Byron', '12/10/1815'), row('R2', 'Alan', 'Turing', '06/23/1912'), row('R3', 'Edsger', 'Dijkstra', '05/11/1930')])
      await t.run(job)
      const files = await t.call<{ name: string; txId: number }[]>('files.list', { practiceId: PRACTICE, jobId: job })
      const tx = t.engine.ctx.txRepo.get(files.find((f) => f.name === 'day7.csv')!.txId)!
      expect(tx.status).not.toBe('done')
      // An unexpected error's message is not shown (it may quote the row); its code is logged.
      const logged = t.logs.map((l) => JSON.parse(l) as { msg: string; tx?: number; code?: string }).filter((l) => l.tx === tx.id && l.msg === 'processing failed with an unexpected error')
      expect(logged.map((l) => l.code)).toContain('SQLITE_CONSTRAINT_TRIGGER')
      expect(records()).toBe(before)
      expect(patient('R1')).toBeNull()
    } finally {
      db.exec('DROP TRIGGER test_refuse')
    }
  })
})
