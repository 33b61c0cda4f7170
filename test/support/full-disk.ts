/**
 * A real full disk for tests: a small tmpfs the test mounts (needs root or CAP_SYS_ADMIN, as CI
 * has; without it the test fails with this explanation, it does not skip) and fills to ENOSPC.
 */
import { execFileSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface SmallDisk {
  dir: string
  /** Writes a filler file until ENOSPC; returns its path (unlink it to free the space). */
  fill(): string
  unmount(): void
}

export function mountSmallDisk(sizeMb: number): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'ps-small-disk-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0700`, 'tmpfs', dir], { stdio: 'pipe' })
  } catch (e) {
    rmSync(dir, { recursive: true, force: true })
    const why = (e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message
    throw new Error(`This test mounts a ${sizeMb} MB tmpfs and fills it (a real full disk); mount failed, so run the tests as root or with CAP_SYS_ADMIN: ${why}`)
  }
  return {
    dir,
    fill: () => {
      const file = join(dir, 'filler')
      const fd = openSync(file, 'w')
      try {
        for (const size of [1 << 20, 64 << 10, 4 << 10, 512]) {
          const chunk = Buffer.alloc(size, 0x5a)
          for (;;) {
            try {
              writeSync(fd, chunk)
            } catch (e) {
              if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break
              throw e
            }
          }
        }
      } finally {
        closeSync(fd)
      }
      return file
    },
    unmount: () => {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' })
      } catch {
        /* left mounted: gone at the next boot */
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
