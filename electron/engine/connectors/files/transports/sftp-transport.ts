/**
 * SFTP (ssh2-sftp-client on ssh2) with mandatory host-key pinning. ssh2 accepts any host key
 * unless `hostVerifier` says otherwise, so the verifier is always set: with no pinned key the
 * connection is refused and the presented fingerprint is returned for the operator to accept
 * (identity_unknown); a key other than the pinned one is refused hard (identity_changed).
 */
import { createHash } from 'node:crypto'
import SftpClient from 'ssh2-sftp-client'
import { utils } from 'ssh2'
import { AppError } from '../../../../../shared/errors'
import type { SftpLocationConfig } from '../../../../../shared/files'
import { tooLarge } from './folder-transport'
import type { FileTransport, OpenOptions, RemoteEntry } from './transport'

export interface SftpCredentials {
  password?: string | null
  privateKey?: string | null
  passphrase?: string | null
}

/** OpenSSH's `SHA256:` fingerprint of a raw host-key blob (what `ssh-keygen -lf` prints). */
export function sshFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`
}

export async function openSftpTransport(cfg: SftpLocationConfig, creds: SftpCredentials, opts: OpenOptions = {}): Promise<FileTransport> {
  if (cfg.auth === 'key' && !creds.privateKey) throw new AppError('config_invalid', 'This SFTP location logs in with a private key, and none is stored for it.', { retryable: false })
  if (cfg.auth === 'password' && !creds.password) throw new AppError('config_invalid', 'This SFTP location logs in with a password, and none is stored for it.', { retryable: false })
  const sftp = new SftpClient('psc')
  let presented: { fingerprint: string; type: string } | null = null
  let handshake = false
  sftp.on('handshake', () => {
    handshake = true
    opts.onPhase?.('handshake', presented ? `${presented.type} ${presented.fingerprint}` : undefined)
  })
  ;(sftp as unknown as { client: NodeJS.EventEmitter }).client.on('connect', () => opts.onPhase?.('tcp', `${cfg.host}:${cfg.port}`))
  try {
    await sftp.connect({
      host: cfg.host,
      port: cfg.port,
      username: cfg.username,
      readyTimeout: cfg.connectTimeoutMs,
      ...(cfg.auth === 'key' ? { privateKey: creds.privateKey!, passphrase: creds.passphrase ?? undefined } : { password: creds.password! }),
      hostVerifier: (key: Buffer) => {
        const parsed = utils.parseKey(key)
        presented = { fingerprint: sshFingerprint(key), type: parsed instanceof Error ? 'unknown' : (Array.isArray(parsed) ? parsed[0]!.type : parsed.type) }
        return cfg.hostKeySha256 !== null && presented.fingerprint === cfg.hostKeySha256
      },
    })
  } catch (e) {
    await sftp.end().catch(() => undefined)
    throw sftpConnectError(e, cfg, presented, handshake)
  }
  opts.onPhase?.('auth', cfg.auth === 'key' ? 'public key' : 'password')
  // Paths are made absolute here: ssh2-sftp-client rewrites relative paths starting with '.'
  // (".psc-probe" would become "<cwd>/psc-probe").
  const home = ((await sftp.cwd().catch(() => '/')) as string).replace(/\/+$/, '')
  const abs = (p: string): string => (p ? `${home}/${p}` : home || '/')
  const wrap = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (e) {
      throw sftpError(e, what)
    }
  }
  return {
    kind: 'sftp',
    list: (dir) =>
      wrap(`Listing ${dir || '/'}`, async () =>
        (await sftp.list(abs(dir))).map((f): RemoteEntry => ({ name: f.name, size: f.size, mtimeMs: f.modifyTime, type: f.type === '-' ? 'file' : f.type === 'd' ? 'dir' : 'other' })),
      ),
    get: (path, maxBytes) =>
      wrap(`Reading ${path}`, async () => {
        const st = await sftp.stat(abs(path))
        if (st.size > maxBytes) throw tooLarge(path, maxBytes)
        return await new Promise<Buffer>((resolve, reject) => {
          const chunks: Buffer[] = []
          let n = 0
          const rs = sftp.createReadStream(abs(path))
          rs.on('data', (c: Buffer) => {
            n += c.length
            if (n > maxBytes) {
              rs.destroy()
              reject(tooLarge(path, maxBytes))
              return
            }
            chunks.push(c)
          })
          rs.on('error', reject)
          rs.on('end', () => resolve(Buffer.concat(chunks, n)))
        })
      }),
    put: (path, data) =>
      wrap(`Writing ${path}`, async () => {
        if (await sftp.exists(abs(path))) throw new AppError('conflict', `Writing ${path}: the target already exists.`, { retryable: false })
        await sftp.put(data, abs(path))
      }),
    // SSH_FXP_RENAME: OpenSSH refuses an existing target (posix-rename would replace it).
    rename: (from, to) => wrap(`Renaming ${from}`, async () => void (await sftp.rename(abs(from), abs(to)))),
    delete: (path) => wrap(`Deleting ${path}`, async () => void (await sftp.delete(abs(path)))),
    mkdirp: (dir) =>
      wrap(`Creating ${dir}`, async () => {
        if (!dir || (await sftp.exists(abs(dir))) === 'd') return
        await sftp.mkdir(abs(dir), true)
      }),
    exists: (path) => wrap(`Checking ${path}`, async () => (await sftp.exists(abs(path))) !== false),
    async close() {
      await sftp.end().catch(() => undefined)
    },
  }
}

function sftpConnectError(e: unknown, cfg: SftpLocationConfig, presented: { fingerprint: string; type: string } | null, handshake: boolean): AppError {
  if (e instanceof AppError) return e
  const err = e as { message?: string; code?: string; level?: string }
  const msg = err.message ?? ''
  if (presented && !handshake && (/host key|hostkey|verif/i.test(msg) || err.level === 'handshake')) {
    const p = presented as { fingerprint: string; type: string }
    if (cfg.hostKeySha256 === null) {
      return new AppError('identity_unknown', `${cfg.host}:${cfg.port} presents the ${p.type} host key ${p.fingerprint}. Compare it with the fingerprint the server's administrator gives you, then accept it to pin it.`, {
        retryable: false,
        details: { fingerprint: p.fingerprint, keyType: p.type },
      })
    }
    return new AppError('identity_changed', `${cfg.host}:${cfg.port} presented host key ${p.fingerprint}, not the pinned ${cfg.hostKeySha256}. The server's key changed or someone is in between: nothing was sent. Accept the new key only after the server's administrator confirms it.`, {
      retryable: false,
      details: { fingerprint: p.fingerprint, keyType: p.type, pinned: cfg.hostKeySha256 },
    })
  }
  if (err.level === 'client-authentication' || /authentication/i.test(msg)) return new AppError('auth_failed', `${cfg.host} refused the login of "${cfg.username}" (${cfg.auth === 'key' ? 'public key' : 'password'}).`, { retryable: false })
  if (/ECONNREFUSED/.test(msg) || err.code === 'ECONNREFUSED') return new AppError('connection_refused', `${cfg.host}:${cfg.port} refused the connection.`)
  if (/ENOTFOUND|EAI_AGAIN/.test(msg)) return new AppError('network_error', `${cfg.host} could not be resolved.`)
  if (/timed out|timeout/i.test(msg)) return new AppError('timeout', `${cfg.host}:${cfg.port} did not complete the SSH handshake in ${cfg.connectTimeoutMs} ms.`)
  if (/private key|parse/i.test(msg)) return new AppError('config_invalid', 'The stored private key cannot be read (wrong format or passphrase).', { retryable: false })
  return new AppError('network_error', `SFTP connection to ${cfg.host}:${cfg.port} failed: ${msg.replace(/\s+/g, ' ').slice(0, 200)}`)
}

function sftpError(e: unknown, what: string): AppError {
  if (e instanceof AppError) return e
  const err = e as { message?: string; code?: number | string }
  const msg = err.message ?? ''
  if (err.code === 2 || /No such file/i.test(msg)) return new AppError('not_found', `${what}: no such file or folder.`, { retryable: false })
  if (err.code === 3 || /Permission denied/i.test(msg)) return new AppError('forbidden', `${what}: permission denied.`, { retryable: false })
  if (err.code === 4 && /rename/i.test(what + msg)) return new AppError('conflict', `${what}: the target already exists.`, { retryable: false })
  if (/ECONNRESET|No SFTP connection|not connected/i.test(msg)) return new AppError('connection_reset', `${what}: the SFTP connection was lost.`)
  return new AppError('remote_error', `${what} failed: ${msg.replace(/\s+/g, ' ').slice(0, 200)}`)
}
