/**
 * Whether the disk under the data folder can take what the engine must store. A full disk is the
 * one failure where the engine itself is fine and every sender is being refused (AE/CE, so they
 * resend), so the console must say so at once and say when it is over: this is told each refused
 * or successful durable store (pipeline.ts) and keeps the state in memory, because nothing can be
 * written to the database while the disk is full. While full it also probes every `probeMs` (a
 * small file written and synced in the data folder), so freeing space is noticed even when no
 * message arrives. Free space is read with statfs when asked.
 *
 *   full  a store failed for lack of space and none has succeeded since
 *   low   less than LOW_BYTES is free (on a small file system, less than LOW_SHARE of it)
 *   ok    otherwise
 */
import { closeSync, fdatasyncSync, openSync, statfsSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../../../shared/errors'
import type { StorageStatus } from '../../../shared/api/system'
import type { Clock } from './clock'
import type { Logger } from './logger'

export const LOW_BYTES = 2 * 1024 ** 3
export const LOW_SHARE = 0.1

export interface DiskSpace {
  freeBytes: number
  totalBytes: number
}

export interface StorageEpisode {
  since: number
  until: number
  refused: number
  where: string[]
}

export interface StorageHealthDeps {
  dataDir: string
  clock: Clock
  logger: Logger
  /** statfs of the data folder; the default asks the OS. */
  space?: (dir: string) => DiskSpace | null
  /** While full, how often to try a small write (default 5 s). */
  probeMs?: number
}

const PROBE_BYTES = 64 * 1024

/** Told when the disk becomes full (episode null) and when a store succeeds again (with its episode). */
export type StorageListener = (state: 'full' | 'recovered', episode: StorageEpisode | null) => void

function osSpace(dir: string): DiskSpace | null {
  try {
    const s = statfsSync(dir)
    return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize }
  } catch {
    return null
  }
}

export function isStorageError(e: unknown): boolean {
  return e instanceof AppError ? e.code === 'storage_full' : (e as { code?: string } | null)?.code === 'storage_full'
}

export class StorageHealth {
  private full: { since: number; refused: number; where: Set<string>; message: string } | null = null
  private last: StorageStatus['lastFailure'] | undefined
  private readonly listeners = new Set<StorageListener>()
  private probeTimer: NodeJS.Timeout | null = null

  constructor(private readonly d: StorageHealthDeps) {}

  listen(fn: StorageListener): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  private tell(state: 'full' | 'recovered', episode: StorageEpisode | null): void {
    for (const fn of this.listeners) {
      try {
        fn(state, episode)
      } catch (e) {
        this.d.logger.error('a storage listener failed', { error: (e as Error).message })
      }
    }
  }

  /** A store failed; counts only when it failed for lack of space (or a write error of the disk). */
  failed(where: string, e: unknown): void {
    if (!isStorageError(e)) return
    const now = this.d.clock.now()
    const message = e instanceof Error ? e.message : String(e)
    this.last = { at: now, where, message }
    if (this.full) {
      this.full.refused++
      this.full.where.add(where)
      return
    }
    this.full = { since: now, refused: 1, where: new Set([where]), message }
    const space = this.space()
    this.d.logger.error('the disk holding the data folder is full: received messages are refused until space is freed', { where, freeBytes: space?.freeBytes ?? null })
    this.tell('full', null)
    this.scheduleProbe()
  }

  stop(): void {
    if (this.probeTimer) clearTimeout(this.probeTimer)
    this.probeTimer = null
  }

  private scheduleProbe(): void {
    if (this.probeTimer) return
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null
      if (!this.full) return
      if (this.probe()) this.succeeded()
      else this.scheduleProbe()
    }, this.d.probeMs ?? 5000)
    this.probeTimer.unref()
  }

  /** Whether a small file can be written and synced in the data folder now. */
  private probe(): boolean {
    const file = join(this.d.dataDir, '.storage-probe')
    try {
      const fd = openSync(file, 'w', 0o600)
      try {
        writeSync(fd, Buffer.alloc(PROBE_BYTES))
        fdatasyncSync(fd)
      } finally {
        closeSync(fd)
      }
      return true
    } catch {
      return false
    } finally {
      try {
        unlinkSync(file)
      } catch {
        /* never created */
      }
    }
  }

  /** A store succeeded: a full disk is over. */
  succeeded(): void {
    if (!this.full) return
    const episode: StorageEpisode = { since: this.full.since, until: this.d.clock.now(), refused: this.full.refused, where: [...this.full.where] }
    this.full = null
    this.d.logger.warn('the data folder can be written again', { refused: episode.refused, fullForMs: episode.until - episode.since })
    this.tell('recovered', episode)
  }

  status(): StorageStatus {
    const space = this.space()
    const base = { freeBytes: space?.freeBytes ?? null, totalBytes: space?.totalBytes ?? null, ...(this.last ? { lastFailure: this.last } : {}) }
    if (this.full) {
      return {
        ...base,
        state: 'full',
        since: this.full.since,
        refused: this.full.refused,
        detail: `${this.full.refused} received message${this.full.refused === 1 ? '' : 's'} refused so far: the senders were answered AE/CE and will resend. Free space on this disk and the engine goes on by itself.`,
      }
    }
    if (space && space.freeBytes < Math.min(LOW_BYTES, space.totalBytes * LOW_SHARE)) {
      return { ...base, state: 'low', refused: 0, detail: `Low disk space under the data folder: ${mb(space.freeBytes)} free of ${mb(space.totalBytes)}.` }
    }
    return { ...base, state: 'ok', refused: 0, detail: space ? `${mb(space.freeBytes)} free of ${mb(space.totalBytes)}.` : 'Free space unknown.' }
  }

  private space(): DiskSpace | null {
    return (this.d.space ?? osSpace)(this.d.dataDir)
  }
}

function mb(n: number): string {
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GB` : `${Math.round(n / 1024 ** 2)} MB`
}
