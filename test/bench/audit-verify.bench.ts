/**
 * The audit trail's minute check against a full walk of the chain, in the same run: an encrypted
 * store with N audit entries gets a checkpoint of its head, then a minute's worth of new entries
 * (M); the minute check reads from that checkpoint on, the full walk reads everything. Both run
 * as the integrity service runs them (verifyAsync, slices of 500 with rests), so wall time is
 * about twice the CPU time; CPU is what the two cores pay. Printed, never asserted.
 *
 *   npx tsx test/bench/audit-verify.bench.ts [entries=100000] [new-entries=60]
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AuditLog, type VerifyResult } from '../../electron/engine/audit/audit-log'
import { systemClock } from '../../electron/engine/core/clock'
import { openDatabase } from '../../electron/engine/store/database'
import { migrate } from '../../electron/engine/store/migrations'

const N = Number(process.argv[2] ?? 100_000)
const M = Number(process.argv[3] ?? 60)

async function main(): Promise<void> {
const dir = mkdtempSync(join(tmpdir(), 'ps-bench-audit-'))
const db = openDatabase({ file: join(dir, 'bench.db'), keyHex: randomBytes(32).toString('hex') })
try {
  migrate(db)
  const audit = new AuditLog(db, systemClock, randomBytes(32))
  const fill = (n: number, from: number): void =>
    db.transaction(() => {
      for (let i = 0; i < n; i++) audit.append({ actor: 'bench@host (console)', action: 'tx.reprocess', practiceId: 'p1', targetType: 'transaction', targetId: `tx-${from + i}`, details: { attempt: 2, reason: 'mapping fixed' } })
    })()
  fill(N, 0)
  const cp = audit.sign(audit.head()!)
  audit.storeCheckpoint(cp)
  fill(M, N)

  const run = async (label: string, since: typeof cp | null): Promise<{ cpuMs: number; r: VerifyResult }> => {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const r = await audit.verifyAsync(cp, 500, since)
    const wall = performance.now() - t0
    const c = process.cpuUsage(c0)
    const cpuMs = (c.user + c.system) / 1000
    if (!r.ok) throw new Error(`${label}: the chain did not verify: ${r.reason}`)
    console.log(`${label.padEnd(34)} ${String(r.checked).padStart(8)} rows read   cpu ${cpuMs.toFixed(1).padStart(8)} ms   wall ${wall.toFixed(1).padStart(8)} ms   ${((cpuMs * 1000) / Math.max(1, r.checked)).toFixed(1)} µs/row`)
    return { cpuMs, r }
  }

  console.log(`audit trail: ${N} entries, checkpoint at ${cp.seq}, then ${M} new entries`)
  const full = await run('full walk (start, hourly; baseline)', null)
  const minute = await run('minute check (since checkpoint)', cp)
  console.log(`minute check / full walk: ${((minute.cpuMs / full.cpuMs) * 100).toFixed(2)} % of the CPU`)
  console.log(`at 1,000,000 entries a full walk would take ~${((full.cpuMs / full.r.checked) * 1_000_000 / 1000).toFixed(0)} s of CPU; the minute check stays at ~${minute.cpuMs.toFixed(1)} ms for ${M} new entries`)
} finally {
  db.close()
  rmSync(dir, { recursive: true, force: true })
}
}

void main()
