import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openEngine, type Engine } from '../../../electron/engine/core/engine'
import { systemClock } from '../../../electron/engine/core/clock'
import { createLogger } from '../../../electron/engine/core/logger'
import { patientMatching } from '../../../electron/engine/matching'
import { createFileStore } from '../../../electron/engine/secrets/file-store'

/**
 * The matcher's `ownWrites` (a file import's chunk): caught up once at its start, not during it,
 * and current at its end, so it need not read the writer's own rows back; what anyone else wrote
 * before or after is still found.
 */
describe('patient matcher: a writer that observes its own writes', () => {
  let dir: string
  let engine: Engine
  let t = 1_000_000
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ps-own-writes-'))
    const secrets = createFileStore({ file: join(dir, 'secrets.enc'), masterKey: Buffer.alloc(32, 3), location: 'test' })
    engine = await openEngine({ dataDir: dir, secrets, logger: createLogger({ level: 'error', sinks: [] }), mode: 'headless', version: 'test', operator: 'test', clock: { ...systemClock, now: () => t } }, [])
    await engine.start()
  })
  afterEach(async () => {
    await engine.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const person = (first: string, last: string, dob: string, phone: string) => ({ first_name: first, last_name: last, date_of_birth: dob, phone_home: phone, email: `${first}.${last}@example.org`.toLowerCase() })

  it('finds what others wrote just before and just after, and what it wrote itself, without a catch-up in between', () => {
    const { ctx } = engine
    const { matcher } = patientMatching(ctx)
    const write = (data: Record<string, unknown>, ext: string): number => ctx.records.create({ practiceId: 'sandbox', kind: 'patient', ids: [{ system: 'test', value: ext }], data }).id
    const best = (data: Record<string, unknown>): number | undefined => matcher.match('sandbox', data).best?.recordId

    const ann = person('Ann', 'Lee', '1980-01-02', '+12175550101')
    const annId = write(ann, 'A')
    expect(best(ann)).toBe(annId) // the index is loaded

    // Written by someone else 10 ms later: inside the 200 ms in which a plain match does not look again.
    t += 10
    const bo = person('Bo', 'Kim', '1971-03-04', '+12175550102')
    const boId = write(bo, 'B')
    t += 10
    const cy = person('Cy', 'Park', '1990-05-06', '+12175550103')
    const cyId = ctx.db.transaction(() =>
      matcher.ownWrites('sandbox', () => {
        // Caught up at the start: the other writer's patient is there.
        expect(best(bo)).toBe(boId)
        const id = write(cy, 'C')
        t += 500
        // No catch-up inside (500 ms later): its own patient is found because it observed it.
        expect(best(cy)).toBeUndefined()
        matcher.observe('sandbox', id, cy, { version: 1 })
        expect(best(cy)).toBe(id)
        return id
      }),
    ).immediate()

    // Written by someone else after the chunk, in the same millisecond it ended: found at the next look.
    const dee = person('Dee', 'Ross', '1965-07-08', '+12175550104')
    const deeId = write(dee, 'D')
    t += 300
    expect(best(dee)).toBe(deeId)
    expect(best(cy)).toBe(cyId)
    expect(best(ann)).toBe(annId)

    // Changed by someone else after the chunk: the catch-up reads the new version.
    ctx.records.patch(cyId, { last_name: 'Parks', email: 'cy.parks@example.org' })
    t += 300
    expect(best({ ...cy, last_name: 'Parks', email: 'cy.parks@example.org' })).toBe(cyId)
  })

  it('without an index yet, runs the writes and loads nothing', () => {
    const { ctx } = engine
    const { matcher } = patientMatching(ctx)
    const ann = person('Ann', 'Lee', '1980-01-02', '+12175550101')
    const id = ctx.db.transaction(() => matcher.ownWrites('sandbox', () => ctx.records.create({ practiceId: 'sandbox', kind: 'patient', ids: [{ system: 'test', value: 'A' }], data: ann }).id)).immediate()
    t += 1
    // The first match loads the index whole: the patient written inside is in it.
    expect(matcher.match('sandbox', ann).best?.recordId).toBe(id)
  })
})
