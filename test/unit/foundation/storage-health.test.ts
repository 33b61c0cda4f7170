import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../../../shared/errors'
import { systemClock } from '../../../electron/engine/core/clock'
import { silentLogger } from '../../../electron/engine/core/logger'
import { StorageHealth, type DiskSpace, type StorageEpisode } from '../../../electron/engine/core/storage-health'

const GB = 1024 ** 3
const MB = 1024 ** 2
const full = new AppError('storage_full', 'The disk is full: the message was not stored.')
const dirs: string[] = []
const healths: StorageHealth[] = []

function make(o: { space?: DiskSpace | null; dataDir?: string; probeMs?: number } = {}) {
  const told: { state: string; episode: StorageEpisode | null }[] = []
  const h = new StorageHealth({ dataDir: o.dataDir ?? '/nonexistent/ps-data', clock: systemClock, logger: silentLogger, space: () => ('space' in o ? (o.space ?? null) : { freeBytes: 50 * GB, totalBytes: 200 * GB }), probeMs: o.probeMs ?? 60_000 })
  h.listen((state, episode) => told.push({ state, episode }))
  healths.push(h)
  return { h, told }
}

afterEach(() => {
  for (const h of healths.splice(0)) h.stop()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('StorageHealth', () => {
  it('turns full on the first storage failure only, counts the rest, and tells the episode when a store succeeds', () => {
    const { h, told } = make()
    h.failed('ingest', new AppError('db_locked', 'busy', { retryable: true }))
    h.failed('ingest', new Error('boom'))
    expect(h.status().state).toBe('ok')
    expect(told).toEqual([])

    h.failed('ingest', full)
    h.failed('receive', full)
    h.failed('ingest', full)
    const s = h.status()
    expect(s).toMatchObject({ state: 'full', refused: 3, lastFailure: { where: 'ingest', message: full.message } })
    expect(s.detail).toMatch(/^3 received messages refused so far/)
    expect(told.map((t) => t.state)).toEqual(['full'])

    h.succeeded()
    h.succeeded()
    expect(told.map((t) => t.state)).toEqual(['full', 'recovered'])
    expect(told[1]!.episode).toMatchObject({ refused: 3, where: ['ingest', 'receive'] })
    expect(told[1]!.episode!.until).toBeGreaterThanOrEqual(told[1]!.episode!.since)
    expect(h.status()).toMatchObject({ state: 'ok', refused: 0, lastFailure: { where: 'ingest' } })
  })

  it('is low under 2 GB free, or under a tenth of a small file system', () => {
    expect(make({ space: { freeBytes: 1.5 * GB, totalBytes: 500 * GB } }).h.status().state).toBe('low')
    expect(make({ space: { freeBytes: 3 * GB, totalBytes: 500 * GB } }).h.status().state).toBe('ok')
    expect(make({ space: { freeBytes: 4 * MB, totalBytes: 48 * MB } }).h.status().state).toBe('low')
    expect(make({ space: { freeBytes: 6 * MB, totalBytes: 48 * MB } }).h.status().state).toBe('ok')
    expect(make({ space: null }).h.status()).toMatchObject({ state: 'ok', freeBytes: null, detail: 'Free space unknown.' })
    // Full wins over the free space statfs reports (a quota or an I/O error can refuse writes too).
    const { h } = make({ space: { freeBytes: 3 * GB, totalBytes: 500 * GB } })
    h.failed('ingest', full)
    expect(h.status().state).toBe('full')
  })

  it('notices by itself that the data folder can be written again (a small synced write), and not before', async () => {
    const missing = make({ probeMs: 20 })
    missing.h.failed('ingest', full)
    await new Promise((r) => setTimeout(r, 120))
    expect(missing.h.status().state).toBe('full')
    expect(missing.told.map((t) => t.state)).toEqual(['full'])

    const dir = mkdtempSync(join(tmpdir(), 'ps-storage-'))
    dirs.push(dir)
    const writable = make({ dataDir: dir, probeMs: 20 })
    writable.h.failed('ingest', full)
    for (let i = 0; i < 100 && writable.h.status().state === 'full'; i++) await new Promise((r) => setTimeout(r, 20))
    expect(writable.h.status().state).toBe('ok')
    expect(writable.told.map((t) => t.state)).toEqual(['full', 'recovered'])
  })
})
