/**
 * The time-left estimate of a real full sync against a large sandbox practice over HTTP (pages
 * slowed by the sandbox's latency fault so the run lasts long enough to be watched): mid-run,
 * `athena.syncStatus` exposes an expected total equal to what the sandbox holds (its totalcount per
 * department, the ones the first wave does not reach sized up front) and a finite time left. With
 * a sandbox that sends no totalcount, the first run says "unknown" and the second run expects the
 * first run's count.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { athena, sandboxGet, startAthenaTest, type AthenaTest } from './support'

let a: AthenaTest | null = null
afterEach(async () => {
  await a?.stop()
  a = null
})

interface Snapshot {
  status: string
  progress: { state: string; basis: string | null; done: number; expected: number | null; remainingMs: number | null } | null
  overall: Snapshot['progress']
}

/** Starts a full patient sync and samples `athena.syncStatus` until it ends. */
async function watchSync(t: AthenaTest): Promise<{ running: Snapshot[]; final: any }> {
  await t.call('athena.sync', { practiceId: 'acme', what: 'patients', mode: 'full' })
  const running: Snapshot[] = []
  for (;;) {
    const s = await t.call<any>('athena.syncStatus', { practiceId: 'acme' })
    const p = s.streams.find((x: any) => x.stream === 'patients')
    if (p.status !== 'running') return { running, final: p }
    running.push({ status: p.status, progress: p.progress, overall: s.progress })
    await new Promise((r) => setTimeout(r, 25))
  }
}

async function sandboxPatientTotal(t: AthenaTest): Promise<number> {
  let n = 0
  for (const d of [1, 21, 62, 150]) n += Number((await sandboxGet<{ totalcount: number }>(t.sb, `/patients?departmentid=${d}&limit=1`)).totalcount)
  return n
}

describe('sync time-left estimate', () => {
  it('expects what the sandbox holds (totalcount) and gives a finite time left mid-run', async () => {
    a = await startAthenaTest({ sandbox: { patientCount: 2000 }, config: { pageSize: 50, syncConcurrency: 2 } })
    const total = await sandboxPatientTotal(a)
    expect(total).toBeGreaterThanOrEqual(2000)
    // 40+ pages at two at a time: a floor of 3 s, well over the estimator's 1 s minimum span.
    a.sb.setFaults({ latency: { fixedMs: 150 } })
    const { running, final } = await watchSync(a)
    expect(final).toMatchObject({ status: 'done', progress: null })
    expect(final.records + final.duplicates).toBe(total)

    const estimated = running.filter((s) => s.progress?.state === 'estimated')
    expect(estimated.length).toBeGreaterThan(0)
    for (const s of estimated) {
      expect(s.progress).toMatchObject({ basis: 'totalcount', expected: total })
      expect(Number.isFinite(s.progress!.remainingMs)).toBe(true)
      expect(s.progress!.done).toBeLessThanOrEqual(total)
      // One stream running: the overall figure is that stream's.
      expect(s.overall).toEqual(s.progress)
    }
    // A total, once known, is athenaNet's and never changes during the run.
    expect(new Set(running.flatMap((s) => (s.progress?.expected ? [s.progress.expected] : []))).size).toBe(1)
    // The run's count is kept for the next run.
    expect(athena(a).runtime.syncState.lastTotals('acme', 'patients', 'full')).toMatchObject({ items: total, pages: final.pages })
    // Not running: no progress.
    expect((await a.call<any>('athena.syncStatus', { practiceId: 'acme' })).progress).toBeNull()
  })

  it('without totalcount: the first run has no estimate, the second expects the first run\'s count', async () => {
    a = await startAthenaTest({ sandbox: { patientCount: 1000, listTotalcount: 'absent' }, config: { pageSize: 50 } })
    expect((await sandboxGet<Record<string, unknown>>(a.sb, '/patients?departmentid=1&limit=1')).totalcount).toBeUndefined()
    a.sb.setFaults({ latency: { fixedMs: 200 } })

    const first = await watchSync(a)
    expect(first.final.status).toBe('done')
    const seen = first.final.records + first.final.duplicates
    const withProgress = first.running.filter((s) => s.progress && s.progress.done > 0)
    expect(withProgress.length).toBeGreaterThan(0)
    for (const s of withProgress) expect(s.progress).toMatchObject({ state: 'unknown', expected: null, remainingMs: null, basis: null })

    const second = await watchSync(a)
    expect(second.final.status).toBe('done')
    const estimated = second.running.filter((s) => s.progress?.state === 'estimated')
    expect(estimated.length).toBeGreaterThan(0)
    for (const s of estimated) {
      expect(s.progress).toMatchObject({ basis: 'previous-run', expected: seen })
      expect(Number.isFinite(s.progress!.remainingMs)).toBe(true)
    }
    expect(second.final.duplicates).toBe(seen)
  })
})
