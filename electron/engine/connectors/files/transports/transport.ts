/**
 * One interface for every kind of file location (SFTP, FTPS, a local or mounted folder), so a
 * job, the pickup and the drop never care which one they talk to. Paths are '/'-separated and
 * relative to where the login lands (the folder location's path, the SFTP/FTP home).
 */
export interface RemoteEntry {
  name: string
  size: number
  /** Modification time, epoch ms (SFTP and most FTP servers give whole seconds). */
  mtimeMs: number
  type: 'file' | 'dir' | 'other'
}

export interface FileTransport {
  readonly kind: 'sftp' | 'ftps' | 'folder'
  list(dir: string): Promise<RemoteEntry[]>
  /** The whole file; refused (file_too_large) as soon as more than maxBytes arrive. */
  get(path: string, maxBytes: number): Promise<Buffer>
  /** Writes a new file. Callers write under a temporary name and rename (never append). */
  put(path: string, data: Buffer): Promise<void>
  /** Renames; fails when the target exists (it is never overwritten). */
  rename(from: string, to: string): Promise<void>
  delete(path: string): Promise<void>
  /** Creates the folder and its parents; an existing folder is fine. */
  mkdirp(dir: string): Promise<void>
  exists(path: string): Promise<boolean>
  close(): Promise<void>
}

/** Steps a connection goes through; the connectivity test times each one. */
export type ConnectPhase = 'tcp' | 'handshake' | 'auth'

export interface OpenOptions {
  /** Called as each phase completes (the connectivity test's steps). */
  onPhase?: (phase: ConnectPhase, detail?: string) => void
}

/** Joins '/'-separated path parts, dropping empty ones. */
export function joinPath(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split('/'))
    .filter((p) => p !== '' && p !== '.')
    .join('/')
}
