/**
 * A local or mounted folder as a file location. Every path is resolved under the folder and
 * checked to stay inside it; a rename never replaces an existing file (a hard link fails on an
 * existing target, and file systems without links get an existence check first).
 */
import { constants } from 'node:fs'
import { link, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises'
import { resolve, sep } from 'node:path'
import { AppError } from '../../../../../shared/errors'
import type { FolderLocationConfig } from '../../../../../shared/files'
import { joinPath, type FileTransport, type OpenOptions, type RemoteEntry } from './transport'

export async function openFolderTransport(cfg: FolderLocationConfig, opts: OpenOptions = {}): Promise<FileTransport> {
  const root = resolve(cfg.path)
  try {
    if (!(await stat(root)).isDirectory()) throw new AppError('not_found', `${root} is not a folder.`, { retryable: false })
  } catch (e) {
    if (e instanceof AppError) throw e
    throw new AppError('not_found', `The folder ${root} cannot be reached (${(e as NodeJS.ErrnoException).code ?? 'error'}); is the share mounted?`, { retryable: true })
  }
  opts.onPhase?.('tcp', 'local folder')
  opts.onPhase?.('handshake', 'no network identity')
  opts.onPhase?.('auth', 'file-system permissions')
  const at = (p: string): string => {
    const full = resolve(root, p)
    if (full !== root && !full.startsWith(root + sep)) throw new AppError('invalid_input', 'A path leaves the location folder.', { retryable: false })
    return full
  }
  const fsError = (e: unknown, what: string): AppError => {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return new AppError('not_found', `${what}: no such file or folder.`, { retryable: false })
    if (code === 'EEXIST') return new AppError('conflict', `${what}: the target already exists.`, { retryable: false })
    if (code === 'ENOSPC') return new AppError('storage_full', `${what}: the disk is full.`)
    if (code === 'EACCES' || code === 'EPERM') return new AppError('forbidden', `${what}: permission denied.`, { retryable: false })
    return new AppError('network_error', `${what} failed (${code ?? 'error'}).`)
  }
  return {
    kind: 'folder',
    async list(dir) {
      try {
        const names = await readdir(at(dir), { withFileTypes: true })
        const out: RemoteEntry[] = []
        for (const d of names) {
          // joinPath: a job on the location's root lists '' (a bare `/name` would resolve outside it).
          const st = await stat(at(joinPath(dir, d.name))).catch(() => null)
          if (!st) continue
          out.push({ name: d.name, size: st.size, mtimeMs: st.mtimeMs, type: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other' })
        }
        return out
      } catch (e) {
        throw fsError(e, `Listing ${dir || '/'}`)
      }
    },
    async get(path, maxBytes) {
      const fh = await open(at(path), 'r').catch((e: unknown) => {
        throw fsError(e, `Reading ${path}`)
      })
      try {
        const size = (await fh.stat()).size
        if (size > maxBytes) throw tooLarge(path, maxBytes)
        const buf = Buffer.alloc(size)
        let off = 0
        while (off < size) {
          const { bytesRead } = await fh.read(buf, off, size - off, off)
          if (bytesRead === 0) break
          off += bytesRead
        }
        return buf.subarray(0, off)
      } finally {
        await fh.close()
      }
    },
    async put(path, data) {
      const fh = await open(at(path), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o640).catch((e: unknown) => {
        throw fsError(e, `Writing ${path}`)
      })
      try {
        await fh.writeFile(data)
        await fh.sync()
      } finally {
        await fh.close()
      }
    },
    async rename(from, to) {
      try {
        await link(at(from), at(to))
        await unlink(at(from))
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw fsError(e, `Renaming ${from}`)
        if (await exists(at(to))) throw fsError(Object.assign(new Error(), { code: 'EEXIST' }), `Renaming ${from}`)
        await rename(at(from), at(to)).catch((e2: unknown) => {
          throw fsError(e2, `Renaming ${from}`)
        })
      }
    },
    async delete(path) {
      await unlink(at(path)).catch((e: unknown) => {
        throw fsError(e, `Deleting ${path}`)
      })
    },
    async mkdirp(dir) {
      await mkdir(at(dir), { recursive: true }).catch((e: unknown) => {
        throw fsError(e, `Creating ${dir}`)
      })
    },
    async exists(path) {
      return exists(at(path))
    },
    async close() {},
  }
}

async function exists(full: string): Promise<boolean> {
  try {
    await stat(full)
    return true
  } catch {
    return false
  }
}

export function tooLarge(path: string, maxBytes: number): AppError {
  return new AppError('file_too_large', `${path} is larger than this job's limit of ${maxBytes} bytes; it was not taken.`, { retryable: false, details: { maxBytes } })
}
