/**
 * The operator console's read paths over 1M stored transactions (goal: a filtered first page in
 * ≤ 100 ms). Fills a temporary encrypted database with a realistic mix (three practices, HL7 /
 * athenaNet / file connectors, mostly done with some errors in a handful of causes, business keys,
 * HL7 text indexed for search, 30 days of traffic), then times the queries the console runs. The
 * dashboard's 7- and 30-day windows are timed twice: over the hourly rollup (migration 0190, goal
 * ≤ 50 ms) and counted from the index alone, the baseline of the same run.
 *
 *   npx tsx test/bench/tx-query.bench.ts [rows]
 *
 * TX_BENCH_DIR=<dir> keeps the filled database there (key in <dir>/key) and reuses it next time,
 * which saves the fill when working on a query.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../electron/engine/store/database'
import { migrate } from '../../electron/engine/store/migrations'
import { TransactionsRepo } from '../../electron/engine/pipeline/transactions-repo'
import { errorGroupKey } from '../../electron/engine/pipeline/error-group'
import { ConsoleQueries } from '../../electron/engine/console/console-queries'
import { TxRollup } from '../../electron/engine/console/tx-rollup'
import { mulberry32 } from '../support/prng'

const ROWS = Number(process.argv[2] ?? 1_000_000)
const GOAL_MS = 100
const DAY = 86_400_000
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0)
const START = NOW - 30 * DAY

const prng = mulberry32

const LAST = ['SMITH', 'JOHNSON', 'WILLIAMS', 'BROWN', 'JONES', 'GARCIA', 'MILLER', 'DAVIS', 'RODRIGUEZ', 'MARTINEZ', 'HERNANDEZ', 'LOPEZ', 'GONZALEZ', 'WILSON', 'ANDERSON', 'THOMAS', 'TAYLOR', 'MOORE', 'JACKSON', 'MARTIN', 'LEE', 'PEREZ', 'THOMPSON', 'WHITE', 'HARRIS', 'SANCHEZ', 'CLARK', 'RAMIREZ', 'LEWIS', 'ROBINSON']
const FIRST = ['JAMES', 'MARY', 'ROBERT', 'PATRICIA', 'JOHN', 'JENNIFER', 'MICHAEL', 'LINDA', 'DAVID', 'ELIZABETH', 'WILLIAM', 'BARBARA', 'RICHARD', 'SUSAN', 'JOSEPH', 'JESSICA', 'THOMAS', 'SARAH', 'CHARLES', 'KAREN']
const ERRORS: { code: string; message: (r: () => number) => string; retryable: boolean }[] = [
  { code: 'validation_error', message: (r) => `PID-7 date of birth "${1900 + Math.floor(r() * 150)}1340" is not a valid date`, retryable: false },
  { code: 'code_map_miss', message: (r) => `No code map entry for sex code "${'XYZ'[Math.floor(r() * 3)]}" in map sex`, retryable: false },
  { code: 'unknown_patient', message: (r) => `Patient with MRN ${Math.floor(r() * 1e6)} is not known and the practice holds unknown patients`, retryable: false },
  { code: 'timeout', message: (r) => `athenaNet did not answer within ${30 + Math.floor(r() * 3)} s`, retryable: true },
  { code: 'rate_limited', message: () => 'athenaNet answered 429 Too Many Requests', retryable: true },
  { code: 'remote_error', message: (r) => `athenaNet answered ${500 + Math.floor(r() * 4)}`, retryable: true },
  { code: 'connection_refused', message: (r) => `Connection refused by 10.0.0.${Math.floor(r() * 9)}:2575`, retryable: true },
  { code: 'parse_error', message: (r) => `Segment ${Math.floor(r() * 9) + 2} has an invalid segment id`, retryable: false },
]

interface Lane {
  connector: string
  channel: string
  direction: 'in' | 'out'
  types: string[]
  content: string
}
const LANES: { w: number; lane: Lane }[] = [
  { w: 45, lane: { connector: 'hl7', channel: 'adt-in', direction: 'in', types: ['ADT^A04', 'ADT^A08', 'ADT^A01', 'ADT^A03'], content: 'hl7v2' } },
  { w: 15, lane: { connector: 'hl7', channel: 'oru-in', direction: 'in', types: ['ORU^R01'], content: 'hl7v2' } },
  { w: 10, lane: { connector: 'hl7', channel: 'siu-out', direction: 'out', types: ['SIU^S12', 'SIU^S14', 'SIU^S15'], content: 'hl7v2' } },
  { w: 20, lane: { connector: 'athena', channel: 'patients', direction: 'in', types: ['patient'], content: 'json' } },
  { w: 8, lane: { connector: 'athena', channel: 'appointments', direction: 'in', types: ['appointment'], content: 'json' } },
  { w: 2, lane: { connector: 'files', channel: 'demographics-csv', direction: 'in', types: ['csv-row'], content: 'csv' } },
]
const PRACTICES: { id: string; w: number }[] = [
  { id: 'downtown', w: 60 },
  { id: 'uptown', w: 30 },
  { id: 'sandbox', w: 10 },
]

function pick<T extends { w: number }>(list: T[], r: number): T {
  const total = list.reduce((a, b) => a + b.w, 0)
  let x = r * total
  for (const e of list) if ((x -= e.w) < 0) return e
  return list[list.length - 1]
}

function fill(db: ReturnType<typeof openDatabase>, rows: number): { mrns: string[]; controlIds: string[]; lastError: string } {
  const r = prng(42)
  for (const p of PRACTICES) {
    db.prepare(`INSERT OR IGNORE INTO practices (id, name, athena_practice_id, environment, time_zone, settings, builtin, created_at, updated_at)
      VALUES (?, ?, '195900', 'sandbox', 'America/New_York', '{}', 0, ?, ?)`).run(p.id, p.id, START, START)
  }
  const insert = db.prepare(`INSERT INTO transactions (id, practice_id, connector, channel, direction, message_type, status, attempts, received_at, updated_at,
      started_at, finished_at, duration_ms, control_id, mrn, patient_id, appointment_id, content_type, raw, raw_sha256,
      error_code, error_message, error_retryable, error_group, error_at, triage_state)
    VALUES (@id, @practice_id, @connector, @channel, @direction, @message_type, @status, @attempts, @received_at, @received_at,
      @received_at, @finished_at, @duration_ms, @control_id, @mrn, @patient_id, @appointment_id, @content_type, @raw, 'x',
      @error_code, @error_message, @error_retryable, @error_group, @error_at, @triage_state)`)
  const fts = db.prepare('INSERT INTO transactions_fts (rowid, body) VALUES (?, ?)')
  const mrns: string[] = []
  const controlIds: string[] = []
  let lastError = ''
  const step = (NOW - START) / rows
  const BATCH = 20_000
  for (let base = 0; base < rows; base += BATCH) {
    db.transaction(() => {
      for (let i = base; i < Math.min(rows, base + BATCH); i++) {
        const id = i + 1
        const practice = pick(PRACTICES, r()).id
        const lane = pick(LANES, r()).lane
        const type = lane.types[Math.floor(r() * lane.types.length)]
        const x = r()
        const status = i > rows - 200 && x < 0.3 ? 'queued' : x < 0.9 ? 'done' : x < 0.95 ? 'filtered' : x < 0.985 ? 'error' : 'discarded'
        const mrn = `M${String(Math.floor(r() * 200_000)).padStart(6, '0')}`
        if (i % 50_000 === 0) mrns.push(mrn)
        const last = LAST[Math.floor(r() * LAST.length)]
        const first = FIRST[Math.floor(r() * FIRST.length)]
        const at = Math.round(START + i * step)
        const err = status === 'error' ? ERRORS[Math.min(ERRORS.length - 1, Math.floor(r() ** 2 * ERRORS.length))] : null
        const message = err ? err.message(r) : null
        if (err) lastError = errorGroupKey(err.code, message!)
        const controlId = `${practice.slice(0, 2).toUpperCase()}${id}`
        if (i % 50_000 === 1 && practice === 'uptown') controlIds.push(controlId)
        const text =
          lane.content === 'hl7v2'
            ? `MSH|^~\\&|EPIC|DOWNTOWN|PS|PS|20261125||${type}|${controlId}|P|2.5.1\rPID|1||${mrn}^^^MRN||${last}^${first}||19${10 + (id % 89)}0101|F\rPV1|1|O|CLINIC^${id % 40}`
            : lane.content === 'json'
              ? `{"patientid":"${id % 90_000}","lastname":"${last}","firstname":"${first}","departmentid":"${id % 12}"}`
              : `${mrn},${last},${first},19800101`
        insert.run({
          id,
          practice_id: practice,
          connector: lane.connector,
          channel: lane.channel,
          direction: lane.direction,
          message_type: type,
          status,
          attempts: status === 'queued' ? 0 : 1 + (err?.retryable ? 4 : 0),
          received_at: at,
          finished_at: status === 'queued' ? null : at + 5,
          duration_ms: status === 'queued' ? null : 2 + Math.floor(r() * 40),
          control_id: controlId,
          mrn: lane.connector === 'athena' && lane.channel === 'appointments' ? null : mrn,
          patient_id: lane.connector === 'athena' ? String(id % 90_000) : null,
          appointment_id: type.startsWith('SIU') || type === 'appointment' ? String(500_000 + (id % 300_000)) : null,
          content_type: lane.content,
          raw: Buffer.from(text),
          error_code: err?.code ?? null,
          error_message: message,
          error_retryable: err ? (err.retryable ? 1 : 0) : null,
          error_group: err ? errorGroupKey(err.code, message!) : null,
          error_at: err ? at + 5 : null,
          triage_state: err ? 'new' : null,
        })
        fts.run(id, text)
      }
    })()
    if (base % 200_000 === 0) process.stdout.write(`  filled ${base.toLocaleString()} rows\r`)
  }
  return { mrns, controlIds, lastError }
}

function time(fn: () => unknown, runs = 15): { median: number; p95: number; result: unknown } {
  const t: number[] = []
  let result: unknown
  fn() // warm the statement cache and the page cache, as a console in use would be
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    result = fn()
    t.push(performance.now() - t0)
  }
  t.sort((a, b) => a - b)
  return { median: t[Math.floor(t.length / 2)], p95: t[Math.min(t.length - 1, Math.ceil(t.length * 0.95) - 1)], result }
}

function main(): void {
  const keep = process.env.TX_BENCH_DIR
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'ps-bench-txq-'))
  if (keep) mkdirSync(keep, { recursive: true })
  const keyFile = join(dir, 'key')
  const reuse = keep !== undefined && existsSync(join(dir, 'bench.db')) && existsSync(keyFile)
  const keyHex = reuse ? readFileSync(keyFile, 'utf8').trim() : randomBytes(32).toString('hex')
  if (keep && !reuse) writeFileSync(keyFile, keyHex, { mode: 0o600 })
  const db = openDatabase({ file: join(dir, 'bench.db'), keyHex })
  try {
    migrate(db)
    let mrns: string[], controlIds: string[], lastError: string
    if (reuse) {
      const sample = db.prepare(`SELECT mrn, control_id FROM transactions WHERE practice_id = 'uptown' AND mrn IS NOT NULL AND id % 50000 = 1 ORDER BY id`).all() as { mrn: string; control_id: string }[]
      mrns = sample.map((r) => r.mrn)
      controlIds = sample.map((r) => r.control_id)
      lastError = (db.prepare(`SELECT error_group FROM transactions WHERE status = 'error' ORDER BY id DESC LIMIT 1`).get() as { error_group: string }).error_group
      console.log(`reusing ${dir} (${(db.prepare('SELECT count(*) AS n FROM transactions').get() as { n: number }).n.toLocaleString()} transactions)`)
    } else {
      // The fill is setup, not what is measured: no fsync per batch.
      db.pragma('synchronous = OFF')
      const t0 = performance.now()
      ;({ mrns, controlIds, lastError } = fill(db, ROWS))
      db.pragma('synchronous = FULL')
      const fillS = (performance.now() - t0) / 1000
      console.log(`filled ${ROWS.toLocaleString()} transactions in ${fillS.toFixed(1)} s (${Math.round(ROWS / fillS).toLocaleString()} rows/s, encrypted, FTS indexed)`)
    }

    const repo = new TransactionsRepo(db)
    const rollup = new TxRollup(db)
    const q = new ConsoleQueries(db, rollup)
    // The same queries counted from the index alone (no hourly rollup): the baseline of the rollup lines.
    const direct = new ConsoleQueries(db, null)
    const check = time(() => rollup.consistent(), 3)
    const t0 = performance.now()
    rollup.rebuild()
    const rebuildMs = performance.now() - t0
    console.log(`hourly rollup over ${ROWS.toLocaleString()} rows: lane-by-lane comparison with the store ${check.median.toFixed(0)} ms (consistent(); never run on its own), rebuild ${rebuildMs.toFixed(0)} ms (${(db.prepare('SELECT count(*) AS n FROM tx_hourly').get() as { n: number }).n.toLocaleString()} rows)`)
    const hour = 3_600_000
    const cases: [string, () => unknown][] = [
      ['first page, practice only', () => repo.list({ practiceId: 'downtown', limit: 100 })],
      ['practice + status=error', () => repo.list({ practiceId: 'downtown', statuses: ['error'], limit: 100 })],
      ['practice + status=error,filtered', () => repo.list({ practiceId: 'downtown', statuses: ['error', 'filtered'], limit: 100 })],
      // Every practice (an administrator's view): tx_status. A partial one (not done, not received) made the second 794 ms.
      ['all practices + status=error', () => repo.list({ statuses: ['error'], limit: 100 })],
      ['all practices + status=received', () => repo.list({ statuses: ['received'], limit: 100 })],
      ['practice + connector + channel', () => repo.list({ practiceId: 'uptown', connector: 'hl7', channel: 'oru-in', limit: 100 })],
      ['practice + channel + status=error', () => repo.list({ practiceId: 'uptown', connector: 'hl7', channel: 'adt-in', statuses: ['error'], limit: 100 })],
      ['business key (MRN)', () => repo.list({ practiceId: 'downtown', q: mrns[1], limit: 100 })],
      ['business key (control id)', () => repo.list({ practiceId: 'uptown', q: controlIds[0] ?? 'UP1', limit: 100 })],
      ['FTS: rare term (name pair)', () => repo.list({ practiceId: 'downtown', q: 'RAMIREZ SUSAN', limit: 100 })],
      ['FTS: common term', () => repo.list({ practiceId: 'downtown', q: 'SMITH', limit: 100 })],
      ['time range: last hour', () => repo.list({ practiceId: 'downtown', from: NOW - hour, to: NOW, limit: 100 })],
      ['time range: a day two weeks ago', () => repo.list({ practiceId: 'downtown', from: NOW - 15 * DAY, to: NOW - 14 * DAY, limit: 100 })],
      ['time range 7d + status=error', () => repo.list({ practiceId: 'downtown', statuses: ['error'], from: NOW - 7 * DAY, to: NOW, limit: 100 })],
      ['error group', () => repo.list({ practiceId: 'downtown', statuses: ['error'], errorGroup: lastError, limit: 100 })],
      ['message type + status', () => repo.list({ practiceId: 'downtown', messageType: 'ADT^A08', statuses: ['filtered'], limit: 100 })],
      ['page 50 deep (keyset)', () => repo.list({ practiceId: 'downtown', before: Math.floor(ROWS * 0.9), limit: 100 })],
      ['error groups (queue)', () => q.errorGroups({ practiceId: 'downtown' })],
      ['dashboard 1h, 60 buckets', () => q.dashboard({ practiceId: 'downtown', from: NOW - hour, to: NOW, buckets: 60 })],
      ['dashboard 24h, 48 buckets', () => q.dashboard({ practiceId: 'downtown', from: NOW - 24 * hour, to: NOW, buckets: 48 })],
      ['dashboard 7d, 28 buckets (rollup)', () => q.dashboard({ practiceId: 'downtown', from: NOW - 7 * DAY, to: NOW, buckets: 28 })],
      ['dashboard 7d, 28 buckets (index only)', () => direct.dashboard({ practiceId: 'downtown', from: NOW - 7 * DAY, to: NOW, buckets: 28 })],
      // What the console asks: now - 30 days to now + 1 s, so both ends are partial hours.
      ['dashboard 30d, 60 buckets (rollup)', () => q.dashboard({ practiceId: 'downtown', from: NOW - 30 * DAY + 1234, to: NOW + 1000, buckets: 60 })],
      ['dashboard 30d, 60 buckets (index only)', () => direct.dashboard({ practiceId: 'downtown', from: NOW - 30 * DAY + 1234, to: NOW + 1000, buckets: 60 })],
      ['facets (connectors, channels)', () => q.facets('downtown')],
      ['count: practice + status=error (export)', () => repo.count({ practiceId: 'downtown', statuses: ['error'] })],
      ['count: practice, last 24h (export)', () => repo.count({ practiceId: 'downtown', from: NOW - 24 * hour, to: NOW })],
    ]
    console.log(`\n${'query'.padEnd(44)} ${'median'.padStart(9)} ${'p95'.padStart(9)}  rows  vs ${GOAL_MS} ms goal`)
    let worst = 0
    let worstOther = 0
    for (const [name, fn] of cases) {
      const r = time(fn)
      const isList = !/^(error groups|dashboard|facets|count)/.test(name)
      const res = r.result as { items?: unknown[] } | unknown[] | number
      const n = typeof res === 'number' ? res : Array.isArray(res) ? res.length : Array.isArray((res as { items?: unknown[] }).items) ? (res as { items: unknown[] }).items.length : 1
      if (isList) worst = Math.max(worst, r.median)
      else worstOther = Math.max(worstOther, r.median)
      console.log(`${name.padEnd(44)} ${r.median.toFixed(2).padStart(7)} ms ${r.p95.toFixed(2).padStart(7)} ms ${String(n).padStart(5)}  ${r.median <= GOAL_MS ? 'ok' : 'SLOW'}`)
    }
    console.log(`\nfiltered first page over ${ROWS.toLocaleString()} transactions: worst median ${worst.toFixed(2)} ms (goal ≤ ${GOAL_MS} ms: ${worst <= GOAL_MS ? 'met' : 'NOT met'})`)
    console.log(`dashboard, error groups, facets, export counts: worst median ${worstOther.toFixed(2)} ms`)
    const d30Query = (qq: ConsoleQueries) => () => qq.dashboard({ practiceId: 'downtown', from: NOW - 30 * DAY + 1234, to: NOW + 1000, buckets: 60 })
    // CPU time per call as well: the machine is shared, and wall time swings with its load.
    const cpuMs = (fn: () => unknown, runs = 10): number => {
      const c0 = process.cpuUsage()
      for (let i = 0; i < runs; i++) fn()
      const c = process.cpuUsage(c0)
      return (c.user + c.system) / 1000 / runs
    }
    const d30 = [time(d30Query(q)), time(d30Query(direct))]
    const cpu30 = [cpuMs(d30Query(q)), cpuMs(d30Query(direct), 3)]
    console.log(`dashboard 30 days over ${ROWS.toLocaleString()} transactions: rollup median ${d30[0].median.toFixed(2)} ms (p95 ${d30[0].p95.toFixed(2)}, CPU ${cpu30[0].toFixed(2)} ms a call), index only ${d30[1].median.toFixed(2)} ms (p95 ${d30[1].p95.toFixed(2)}, CPU ${cpu30[1].toFixed(2)} ms a call) in the same run (goal ≤ 50 ms: ${d30[0].median <= 50 ? 'met' : 'NOT met'})`)
  } finally {
    db.close()
    if (!keep) rmSync(dir, { recursive: true, force: true })
  }
}

main()
