/**
 * A lane group's configuration lookups are remembered for one synchronous stretch
 * (store/read-scope.ts) and never longer: inside the stretch the first answer is kept, a write
 * through the repo is seen at once, and the stretch's end (even by a throw) forgets everything, so
 * the next stretch reads the store again. Outside a stretch every lookup reads the row (the
 * practice-lookup test holds that).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { rememberingReads } from '../../../electron/engine/store/read-scope'
import { openTestEngine, type TestEngine } from './support/harness'

let t: TestEngine | null = null
afterEach(async () => {
  await t?.stop()
  t = null
})

const SET = 'athena.appointment.in'

async function engineWithPractice(): Promise<TestEngine> {
  t = await openTestEngine()
  const { practices, connections } = t.engine.ctx
  practices.create({ id: 'p1', name: 'One', athenaPracticeId: '195900', environment: 'preview', timeZone: 'America/New_York', settings: { unknownPatientRule: 'create', phoneCountry: 'US' } }, 'test')
  connections.create('p1', { kind: 'hl7-inbound', name: 'lab', enabled: false, config: { host: '127.0.0.1', port: 0 } as never }, 'test')
  return t
}

describe('remembered reads', () => {
  it('keeps the first answer inside a stretch, reads again after it', async () => {
    const { engine } = await engineWithPractice()
    const { db, practices, connections, mappings } = engine.ctx
    expect(mappings.defaultKeys()).toContain(SET)

    const seen = rememberingReads(db, () => {
      const before = { zone: practices.get('p1').timeZone, enabled: connections.findByName('p1', 'lab')?.enabled, version: mappings.latestVersion('p1', SET)?.version ?? 0 }
      // Writers that do not go through the repos: nothing in the engine does this inside a group,
      // which is why the stretch may keep what it read first.
      db.prepare("UPDATE practices SET time_zone = 'America/Chicago' WHERE id = 'p1'").run()
      db.prepare("UPDATE connections SET enabled = 1 WHERE practice_id = 'p1' AND name = 'lab'").run()
      db.prepare("INSERT INTO mapping_versions (practice_id, set_key, version, body, author, comment, created_at) VALUES ('p1', ?, 7, ?, 'test', '', 0)").run(SET, JSON.stringify({ baseKey: SET }))
      const inside = { zone: practices.get('p1').timeZone, enabled: connections.findByName('p1', 'lab')?.enabled, version: mappings.latestVersion('p1', SET)?.version ?? 0 }
      return { before, inside }
    })
    expect(seen.before).toEqual({ zone: 'America/New_York', enabled: false, version: 0 })
    expect(seen.inside).toEqual(seen.before)
    // The stretch is over: every lookup reads the store again.
    expect(practices.get('p1').timeZone).toBe('America/Chicago')
    expect(connections.findByName('p1', 'lab')?.enabled).toBe(true)
    expect(mappings.latestVersion('p1', SET)?.version).toBe(7)
    expect(mappings.effective('p1', SET).version).toBe(7)
  })

  it('sees a write through the repo at once, inside the stretch', async () => {
    const { engine } = await engineWithPractice()
    const { db, practices, connections, mappings } = engine.ctx
    rememberingReads(db, () => {
      expect(practices.get('p1').settings.unknownPatientRule).toBe('create')
      practices.update({ id: 'p1', settings: { unknownPatientRule: 'hold' } }, 'test')
      expect(practices.get('p1').settings.unknownPatientRule).toBe('hold')

      const lab = connections.findByName('p1', 'lab')!
      connections.update(lab.id, { kind: 'hl7-inbound', name: 'lab', enabled: true, config: lab.config as never }, 'test')
      expect(connections.findByName('p1', 'lab')?.enabled).toBe(true)

      expect(mappings.effective('p1', SET).version).toBeNull()
      mappings.publish('p1', SET, { baseKey: SET }, 'first', 'test')
      expect(mappings.effective('p1', SET).version).toBe(1)

      practices.delete('p1', 'p1', 'test')
      expect(practices.find('p1')).toBeNull()
      expect(connections.findByName('p1', 'lab')).toBeNull()
      expect(mappings.latestVersion('p1', SET)).toBeNull()
    })
  })

  it('a nested stretch belongs to the outer one; a throw ends the stretch too', async () => {
    const { engine } = await engineWithPractice()
    const { db, practices } = engine.ctx
    const zone = (z: string): void => void db.prepare('UPDATE practices SET time_zone = ? WHERE id = ?').run(z, 'p1')
    rememberingReads(db, () => {
      expect(practices.get('p1').timeZone).toBe('America/New_York')
      rememberingReads(db, () => zone('America/Denver'))
      // The inner stretch's end is not the outer's: still the first answer.
      expect(practices.get('p1').timeZone).toBe('America/New_York')
    })
    expect(practices.get('p1').timeZone).toBe('America/Denver')

    expect(() =>
      rememberingReads(db, () => {
        practices.get('p1')
        zone('America/Phoenix')
        throw new Error('a row failed')
      }),
    ).toThrow('a row failed')
    expect(practices.get('p1').timeZone).toBe('America/Phoenix')
  })
})
