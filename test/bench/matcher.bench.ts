/**
 * The patient matcher's CPU per imported row, used as the demographics import uses it: `existing`
 * patients stored (the import's bench population: spelled names, birth dates spread over a century,
 * one phone, e-mail and member id each), then `rows` new patients matched, stored and observed in
 * chunks of 1,000 (one transaction each, as the import writes them), then `rows` of the stored ones
 * patched (a new e-mail) and observed. Only the matcher's calls are timed, in process CPU (the
 * machine is shared; wall time is noise); the baseline in the same run is the same loop's writes.
 *
 *   npx tsx test/bench/matcher.bench.ts [existing] [rows]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openEngine } from '../../electron/engine/core/engine'
import { createLogger } from '../../electron/engine/core/logger'
import { patientMatching } from '../../electron/engine/matching'
import { parsePhone } from '../../electron/engine/mapping/parse-phone'
import { createFileStore } from '../../electron/engine/secrets/file-store'
import { spell } from '../integration/files/support'

const EXISTING = Number(process.argv[2] ?? 100_000)
const ROWS = Number(process.argv[3] ?? 20_000)
const CHUNK = 1000


/** A patient as the shipped demographics mapping writes one of the import bench's rows. */
function patient(i: number, email = `p${i}@example.com`): Record<string, unknown> {
  const d = new Date(Date.UTC(1925, 0, 1) + ((i * 7919) % 36_524) * 86_400_000)
  return {
    external_id: `P${String(i).padStart(6, '0')}`,
    first_name: spell(i, 48_271),
    last_name: spell(i, 69_621),
    date_of_birth: d.toISOString().slice(0, 10),
    gender: i % 2 ? 'M' : 'F',
    address: { line1: `${i} Main St`, city: 'Springfield', state: 'IL', postal_code: String(10000 + (i % 89999)).padStart(5, '0') },
    phone_home: `+1217${200 + (i % 700)}${String(i % 10000).padStart(4, '0')}`,
    email,
    insurance: [{ company_name: 'Acme Health', member_id: `M${i}`, group_number: 'G1' }],
  }
}

/** The mapping's phone transform parses the file's number first (and remembers the parse under its E.164 form). */
function mappedPhone(i: number): void {
  parsePhone(`(217) ${200 + (i % 700)}-${String(i % 10000).padStart(4, '0')}`, 'US')
}

let overhead = 0
function cpu(fn: () => void): number {
  const c = process.cpuUsage()
  fn()
  const d = process.cpuUsage(c)
  return d.user + d.system - overhead
}

/** The engine's own start-up writes (other threads) may hold the database a moment on a loaded machine. */
async function whenFree(fn: () => void): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      return fn()
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY' || tries > 20) throw e
      await new Promise((r) => setTimeout(r, 250))
    }
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ps-matcher-bench-'))
  const secrets = createFileStore({ file: join(dir, 'secrets.enc'), masterKey: Buffer.alloc(32, 9), location: 'bench' })
  const engine = await openEngine({ dataDir: dir, secrets, logger: createLogger({ level: 'error', sinks: [] }), mode: 'headless', version: 'bench', operator: 'bench' }, [])
  await engine.start()
  const { db, records } = engine.ctx
  try {
    // What a process.cpuUsage() pair costs, taken off every timed call.
    let o = 0
    for (let i = 0; i < 20_000; i++) o += cpu(() => {})
    overhead = o / 20_000
    const ids = { system: 'file:bench', value: '' }
    for (let i = 0; i < EXISTING; i += CHUNK) {
      await whenFree(() =>
        db.transaction(() => {
          for (let j = i + 1; j <= Math.min(EXISTING, i + CHUNK); j++) records.upsert({ practiceId: 'sandbox', kind: 'patient', ids: [{ ...ids, value: `P${j}` }], data: patient(j) })
        }).immediate(),
      )
    }
    const { matcher } = patientMatching(engine.ctx)
    const settings = matcher.settingsOf('sandbox')
    const load = cpu(() => matcher.match('sandbox', patient(0), { settings }))

    let matchUs = 0
    let observeUs = 0
    let writeUs = 0
    let graded = 0
    for (let i = 0; i < ROWS; i += CHUNK) {
      // As the import's chunk: inside ownWrites (one catch-up at its start, of what others wrote since
      // the last chunk: nothing here, so it is left untimed; none during it).
      db.transaction(() => matcher.ownWrites('sandbox', () => {
        for (let j = EXISTING + i + 1; j <= EXISTING + Math.min(ROWS, i + CHUNK); j++) {
          const data = patient(j)
          mappedPhone(j)
          let m: ReturnType<typeof matcher.match> | undefined
          matchUs += cpu(() => (m = matcher.match('sandbox', data, { settings })))
          if (m!.best) graded++
          let id = 0
          writeUs += cpu(() => (id = records.upsert({ practiceId: 'sandbox', kind: 'patient', ids: [{ ...ids, value: `P${j}` }], data }).id))
          observeUs += cpu(() => matcher.observe('sandbox', id, data, { settings, probe: m!.probe }))
        }
      })).immediate()
    }
    let patchObserveUs = 0
    let patchUs = 0
    for (let i = 0; i < ROWS; i += CHUNK) {
      db.transaction(() => matcher.ownWrites('sandbox', () => {
        for (let j = i + 1; j <= Math.min(ROWS, i + CHUNK); j++) {
          let r: ReturnType<typeof records.patch> | undefined
          mappedPhone(j)
          patchUs += cpu(() => (r = records.patch(j, { email: `moved${j}@example.org` })))
          patchObserveUs += cpu(() => matcher.observe('sandbox', r!.id, r!.after, { settings }))
        }
      })).immediate()
    }
    // The next lookup catches up with whatever the index was not told about (here: nothing new).
    const catchUp = cpu(() => matcher.match('sandbox', patient(1), { settings }))
    const per = (us: number): string => `${(us / ROWS).toFixed(1)} µs`
    console.log(`matcher, ${EXISTING} stored patients, ${ROWS} new rows (${graded} with a candidate), CPU per row:`)
    console.log(`  index load (first match): ${(load / 1000).toFixed(0)} ms = ${(load / EXISTING).toFixed(1)} µs per stored patient`)
    console.log(`  new patient: match ${per(matchUs)} + observe ${per(observeUs)} = ${per(matchUs + observeUs)}   (baseline, the record write: ${per(writeUs)})`)
    console.log(`  updated patient: observe ${per(patchObserveUs)}   (baseline, the patch: ${per(patchUs)})`)
    console.log(`  next lookup after the updates: ${(catchUp / 1000).toFixed(1)} ms`)
  } finally {
    await engine.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
