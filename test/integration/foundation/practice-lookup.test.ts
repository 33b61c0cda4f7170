/**
 * The practice lookup keeps the parsed practice while its row is unchanged (mapping asks for it per
 * resource) and never answers a stale one: a change through the repo, a write straight to the row
 * on the same connection, or a deletion is seen at the next lookup. The kept practice is frozen, so
 * no caller can change it for the others.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { openTestEngine, type TestEngine } from './support/harness'

let t: TestEngine | null = null
afterEach(async () => {
  await t?.stop()
  t = null
})

describe('practice lookup', () => {
  it('reuses the parsed practice while the row is unchanged and sees every change at once', async () => {
    t = await openTestEngine()
    const { practices, db } = t.engine.ctx
    practices.create({ id: 'p1', name: 'One', athenaPracticeId: '195900', environment: 'preview', timeZone: 'America/New_York', settings: { unknownPatientRule: 'create', phoneCountry: 'US' } }, 'test')
    const a = practices.get('p1')
    expect(practices.get('p1')).toBe(a)

    practices.update({ id: 'p1', timeZone: 'America/Chicago' }, 'test')
    const b = practices.get('p1')
    expect(b).not.toBe(a)
    expect(b.timeZone).toBe('America/Chicago')

    // A writer that does not go through the repo (same updated_at on purpose): the row decides.
    db.prepare("UPDATE practices SET settings = json_set(settings, '$.phoneCountry', 'CA'), updated_at = ? WHERE id = 'p1'").run(b.updatedAt)
    expect(practices.get('p1').settings.phoneCountry).toBe('CA')

    // Every caller gets the same object: a change by one throws and the cache keeps its value.
    const c = practices.get('p1')
    expect(() => {
      ;(c as { name: string }).name = 'Changed'
    }).toThrow(TypeError)
    expect(() => {
      ;(c.settings as { phoneCountry: string }).phoneCountry = 'GB'
    }).toThrow(TypeError)
    expect(practices.get('p1')).toMatchObject({ name: 'One', settings: { phoneCountry: 'CA' } })

    practices.delete('p1', 'p1', 'test')
    expect(practices.find('p1')).toBeNull()
    expect(() => practices.get('p1')).toThrow(/does not exist/)
  })
})
