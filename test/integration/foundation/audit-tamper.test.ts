/**
 * Issue #17 item 1 / HIP-06: the audit trail stays tamper-evident across restarts. Someone holding
 * the database key (but not the secret store) edits a row, deletes a middle row, deletes the newest
 * rows, rewrites the chain with recomputed hashes, or deletes rows together with the checkpoint
 * kept in the database. Each is detected with the engine stopped (tampered file, restart) and
 * live (tampered while running, found at the next minute tick of a stepped clock): the check
 * fails, a persistent security alert is raised and audited, no checkpoint is written over the
 * broken chain, and system.status / audit.verify say so.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { GENESIS_HASH, parseCheckpoint, rowHash, type AuditRow as Row } from '../../../electron/engine/audit/audit-log'
import { openDatabase, type Db } from '../../../electron/engine/store/database'
import { openTestEngine, steppedClock, tempDir, waitFor, fileStoreFor, type TestEngine } from './support/harness'

/** What an attacker with the database key (and the sqlite CLI) does; the triggers are no obstacle. */
const TAMPER: Record<string, (db: Db) => void> = {
  'edit a row': (db) => db.prepare(`UPDATE audit_log SET details = '{"name":"Someone Else"}' WHERE seq = 3`).run(),
  'delete a middle row': (db) => db.prepare('DELETE FROM audit_log WHERE seq = 3').run(),
  'delete the newest rows': (db) => db.prepare('DELETE FROM audit_log WHERE seq > (SELECT max(seq) - 2 FROM audit_log)').run(),
  'rewrite the chain with recomputed hashes': (db) => {
    const rows = db.prepare('SELECT * FROM audit_log ORDER BY seq').all() as Row[]
    let prev = GENESIS_HASH
    const upd = db.prepare('UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?')
    for (const r of rows) {
      const actor = r.seq === 2 ? 'mallory@elsewhere' : r.actor
      const hash = rowHash(prev, { ...r, actor })
      upd.run(actor, prev, hash, r.seq)
      prev = hash
    }
  },
  'delete rows and the checkpoint': (db) => {
    db.prepare('DELETE FROM audit_log WHERE seq > (SELECT max(seq) - 2 FROM audit_log)').run()
    db.prepare("DELETE FROM settings WHERE key = 'audit.checkpoint'").run()
  },
}

async function tamperFile(t: TestEngine, scenario: string): Promise<void> {
  const db = openDatabase({ file: t.dbFile, keyHex: (await t.store.get('db-key'))! })
  try {
    db.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;')
    TAMPER[scenario](db)
  } finally {
    db.close()
  }
}

interface Status {
  audit: { state: string; failure: { reason: string; firstBrokenSeq: number | null } | null; openAlerts: number; anchor: { seq: number } | null }
}

async function expectDetected(t: TestEngine, anchorBefore: string | null): Promise<void> {
  const s = await t.call<Status>('system.status')
  expect(s.audit.state).toBe('broken')
  expect(s.audit.failure?.reason).toBeTruthy()
  expect(s.audit.openAlerts).toBe(1)
  const alerts = await t.call<{ kind: string; acknowledgedAt: number | null; message: string }[]>('audit.alerts', { openOnly: true })
  expect(alerts).toHaveLength(1)
  expect(alerts[0]).toMatchObject({ kind: 'audit_integrity', acknowledgedAt: null })
  // Raised once, audited, and in the bell.
  expect(t.engine.ctx.audit.list({ action: 'security_alert.raise' })).toHaveLength(1)
  const bell = await t.call<{ items: { title: string; level: string }[] }>('alerts.notifications', {})
  expect(bell.items.some((n) => n.level === 'error' && /audit trail failed verification/.test(n.title))).toBe(true)
  // Never papered over: the checkpoint kept outside the database did not move.
  expect(await t.store.get('audit-anchor')).toBe(anchorBefore)
  const v = await t.call<{ ok: boolean; reason?: string }>('audit.verify')
  expect(v.ok).toBe(false)
  expect(await t.store.get('audit-anchor')).toBe(anchorBefore)
  // The same break found again raises nothing new.
  expect(await t.call<unknown[]>('audit.alerts', {})).toHaveLength(1)
  expect(s.audit.anchor?.seq).toBe(parseCheckpoint(anchorBefore!)!.seq)
}

async function someEntries(t: TestEngine, n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await t.call('practices.create', { id: `p-${i}`, name: `Practice ${i}` })
}

describe('tampering while the engine is stopped is found at the next start', () => {
  let t: TestEngine | null = null
  afterEach(async () => {
    await t?.stop()
    t = null
  })

  for (const scenario of Object.keys(TAMPER)) {
    it(scenario, async () => {
      const dataDir = tempDir()
      t = await openTestEngine({ dataDir })
      await someEntries(t)
      await t.stop() // signs the head: the anchor now covers every entry
      const anchor = await t.store.get('audit-anchor')
      expect(parseCheckpoint(anchor!)!.seq).toBeGreaterThanOrEqual(6)
      await tamperFile(t, scenario)
      t = await openTestEngine({ dataDir, store: fileStoreFor(dataDir) })
      await expectDetected(t, anchor)
    })
  }

  it('an untouched trail restarts clean, and the checkpoint moves forward only from a verified one', async () => {
    const dataDir = tempDir()
    t = await openTestEngine({ dataDir })
    await someEntries(t, 3)
    await t.stop()
    const first = parseCheckpoint((await t.store.get('audit-anchor'))!)!
    t = await openTestEngine({ dataDir, store: fileStoreFor(dataDir) })
    const s = await t.call<Status>('system.status')
    expect(s.audit).toMatchObject({ state: 'ok', failure: null, openAlerts: 0 })
    await t.call('practices.create', { id: 'later', name: 'Later' })
    await t.call('audit.verify')
    const second = parseCheckpoint((await t.store.get('audit-anchor'))!)!
    expect(second.seq).toBeGreaterThan(first.seq)
    // The previous checkpoint's entry is still in the chain with the hash it signed.
    expect((t.engine.ctx.db.prepare('SELECT hash FROM audit_log WHERE seq = ?').get(first.seq) as { hash: string }).hash).toBe(first.hash)
  })
})

/** Scenarios that touch only entries below the last checkpoint: the minute check does not read them; the hourly full walk does. */
const BELOW_CHECKPOINT = new Set(['edit a row', 'delete a middle row'])
const HOUR = 3_600_000

function lastCheck(t: TestEngine): { scope: string; checked: number } | null {
  return t.engine.ctx.integrity.integrity().lastCheck
}

async function tick(t: TestEngine, clock: ReturnType<typeof steppedClock>, ms = 60_000): Promise<void> {
  clock.advance(ms)
  await waitFor(() => (t.engine.ctx.integrity.integrity().lastCheckedAt ?? 0) >= clock.now(), 'the next tick')
}

describe('tampering while the engine runs is found at the next minute tick, or below the checkpoint at the next full walk', () => {
  let t: TestEngine | null = null
  afterEach(async () => {
    await t?.stop()
    t = null
  })

  for (const scenario of Object.keys(TAMPER)) {
    it(scenario, async () => {
      const clock = steppedClock()
      t = await openTestEngine({ clock })
      await someEntries(t)
      const head = t.engine.ctx.audit.head()!
      clock.advance(60_000)
      const anchor = await waitFor(async () => {
        const a = await t!.store.get('audit-anchor')
        return a && parseCheckpoint(a)!.seq === head.seq ? a : null
      }, 'the minute tick to sign the head')
      await tamperFile(t, scenario)
      expect(t.engine.ctx.integrity.integrity().state).toBe('ok') // nothing noticed before the tick
      if (BELOW_CHECKPOINT.has(scenario)) {
        // The minute check reads from the checkpoint on: the tampered entry is below it.
        await tick(t, clock)
        expect(t.engine.ctx.integrity.integrity().state).toBe('ok')
        expect(lastCheck(t)?.scope).toBe('since_checkpoint')
        clock.advance(HOUR)
        await waitFor(() => t!.engine.ctx.integrity.integrity().state === 'broken', 'the hourly full walk to find the tampering')
        expect(lastCheck(t)?.scope).toBe('full')
      } else {
        clock.advance(60_000)
        await waitFor(() => t!.engine.ctx.integrity.integrity().state === 'broken', 'the next tick to find the tampering')
      }
      await expectDetected(t, anchor)
      // Further ticks keep it broken and raise nothing new.
      await tick(t, clock)
      expect(t.engine.ctx.integrity.integrity().state).toBe('broken')
      expect(await t.call<unknown[]>('audit.alerts', {})).toHaveLength(1)
    })
  }
})

describe('the minute check reads only new entries; the full walk reads them all', () => {
  let t: TestEngine | null = null
  afterEach(async () => {
    await t?.stop()
    t = null
  })

  const append = (t: TestEngine, n: number): void => {
    for (let i = 0; i < n; i++) t.engine.ctx.audit.append({ actor: 'tester', action: 'test.entry', details: { i } })
  }

  it('reads the checkpoint entry and those after it, whatever the length of the trail', async () => {
    const clock = steppedClock()
    t = await openTestEngine({ clock })
    expect(lastCheck(t)?.scope).toBe('full') // at start
    append(t, 300)
    await tick(t, clock)
    const signed = t.engine.ctx.audit.head()!
    expect(t.engine.ctx.integrity.integrity().anchor?.seq).toBe(signed.seq)
    expect(lastCheck(t)).toEqual({ scope: 'since_checkpoint', checked: 301 }) // the start's head + 300 new ones
    append(t, 4)
    await tick(t, clock)
    expect(lastCheck(t)).toEqual({ scope: 'since_checkpoint', checked: 5 }) // the checkpoint entry + 4
    await tick(t, clock)
    expect(lastCheck(t)).toEqual({ scope: 'since_checkpoint', checked: 1 }) // nothing new
    // An hour after the last full walk, the whole chain is read.
    await tick(t, clock, HOUR)
    const total = t.engine.ctx.audit.head()!.seq
    expect(lastCheck(t)).toEqual({ scope: 'full', checked: total })
    expect(t.engine.ctx.integrity.integrity().lastFullCheckAt).toBe(clock.now())
    // audit.verify ("Verify now") always walks everything.
    await tick(t, clock)
    expect(lastCheck(t)?.scope).toBe('since_checkpoint')
    const v = await t.call<{ ok: boolean; checked: number }>('audit.verify')
    expect(v).toMatchObject({ ok: true, checked: t.engine.ctx.audit.head()!.seq - 1 }) // before its own entry
    expect(lastCheck(t)?.scope).toBe('full')
  })

  it('an edit below the last checkpoint passes the minute check and is caught by the full walk, which then runs every minute', async () => {
    const clock = steppedClock()
    t = await openTestEngine({ clock })
    append(t, 50)
    await tick(t, clock)
    const anchor = await t.store.get('audit-anchor')
    expect(parseCheckpoint(anchor!)!.seq).toBe(t.engine.ctx.audit.head()!.seq)
    await tamperFile(t, 'edit a row') // entry 3, far below the checkpoint
    append(t, 2)
    await tick(t, clock)
    expect(t.engine.ctx.integrity.integrity()).toMatchObject({ state: 'ok', lastCheck: { scope: 'since_checkpoint', checked: 3 } })
    await tick(t, clock, HOUR)
    expect(t.engine.ctx.integrity.integrity()).toMatchObject({ state: 'broken', failure: { firstBrokenSeq: 3, reason: 'row content changed' }, lastCheck: { scope: 'full' } })
    // Never papered over: the anchor stays where it was, and every later check walks everything again.
    const frozen = await t.store.get('audit-anchor')
    await tick(t, clock)
    expect(t.engine.ctx.integrity.integrity()).toMatchObject({ state: 'broken', lastCheck: { scope: 'full' } })
    expect(await t.store.get('audit-anchor')).toBe(frozen)
    expect(t.engine.ctx.audit.list({ action: 'security_alert.raise' })).toHaveLength(1)
  })
})

describe('the alert stays until a person acknowledges it', () => {
  it('is open after a restart, closed only by audit.acknowledgeAlert (audited), and "mark all read" does not close it', async () => {
    const dataDir = tempDir()
    let t = await openTestEngine({ dataDir })
    await someEntries(t, 3)
    await t.stop()
    const anchor = await t.store.get('audit-anchor')
    await tamperFile(t, 'edit a row')
    t = await openTestEngine({ dataDir, store: fileStoreFor(dataDir) })
    await expectDetected(t, anchor)
    await t.call('alerts.markRead', {})
    await t.stop()
    t = await openTestEngine({ dataDir, store: fileStoreFor(dataDir) })
    try {
      const [open] = await t.call<{ id: string }[]>('audit.alerts', { openOnly: true })
      expect(open).toBeTruthy()
      const acked = await t.call<{ acknowledgedBy: string; note: string }>('audit.acknowledgeAlert', { id: open.id, note: 'restored from backup; IT ticket 4411' })
      expect(acked).toMatchObject({ acknowledgedBy: 'tester@test-host (console)', note: 'restored from backup; IT ticket 4411' })
      expect(await t.call<unknown[]>('audit.alerts', { openOnly: true })).toHaveLength(0)
      expect(t.engine.ctx.audit.list({ action: 'security_alert.acknowledge' })).toHaveLength(1)
      const again = await t.callRaw('audit.acknowledgeAlert', { id: open.id })
      expect(again.ok).toBe(false)
      // Acknowledging is not repairing: the trail is still reported broken, and still not re-signed.
      expect((await t.call<Status>('system.status')).audit.state).toBe('broken')
      expect(await t.store.get('audit-anchor')).toBe(anchor)
    } finally {
      await t.stop()
    }
  })
})
