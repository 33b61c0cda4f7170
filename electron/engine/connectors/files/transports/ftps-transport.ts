/**
 * FTPS (basic-ftp ≥ 6): explicit (AUTH TLS) or implicit TLS, with the server certificate pinned
 * by its SHA-256 fingerprint. The certificate is checked right after the TLS handshake and before
 * the login is sent; an unknown or different certificate is refused like an SSH host key. Data
 * connections reuse the control connection's TLS session (basic-ftp does, and vsftpd's
 * `require_ssl_reuse` makes the server insist on it), which binds them to the checked server.
 * Plain FTP is not offered.
 */
import { PassThrough, Writable } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import { Client } from 'basic-ftp'
import { AppError } from '../../../../../shared/errors'
import type { FtpsLocationConfig } from '../../../../../shared/files'
import { tooLarge } from './folder-transport'
import type { FileTransport, OpenOptions, RemoteEntry } from './transport'

export async function openFtpsTransport(cfg: FtpsLocationConfig, creds: { password?: string | null; tlsKey?: string | null }, opts: OpenOptions = {}): Promise<FileTransport> {
  const client = new Client(cfg.connectTimeoutMs)
  // The pin is what authenticates the server: the chain of a self-signed or private-CA certificate is not checked.
  // A client certificate, when configured, authenticates us (mutual TLS); its key comes from the keychain for this connection only.
  const clientCert = cfg.clientCertPem && creds.tlsKey ? { cert: cfg.clientCertPem, key: creds.tlsKey } : {}
  const tlsOptions = { rejectUnauthorized: false, servername: /^[\d.:]+$/.test(cfg.host) ? undefined : cfg.host, ...clientCert }
  try {
    if (cfg.tlsMode === 'implicit') {
      await client.connectImplicitTLS(cfg.host, cfg.port, tlsOptions)
      opts.onPhase?.('tcp', `${cfg.host}:${cfg.port}`)
    } else {
      await client.connect(cfg.host, cfg.port)
      opts.onPhase?.('tcp', `${cfg.host}:${cfg.port}`)
      await client.useTLS(tlsOptions)
    }
    const socket = client.ftp.socket as TLSSocket
    const cert = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : null
    const fp = cert?.fingerprint256 ?? null
    if (!fp) throw new AppError('tls_error', `${cfg.host}:${cfg.port} did not present a TLS certificate.`, { retryable: false })
    const subject = cert?.subject?.CN ? `CN=${cert.subject.CN}` : 'certificate'
    if (cfg.certSha256 === null) {
      throw new AppError('identity_unknown', `${cfg.host}:${cfg.port} presents the ${subject} with SHA-256 fingerprint ${fp}. Compare it with the fingerprint the server's administrator gives you, then accept it to pin it.`, {
        retryable: false,
        details: { fingerprint: fp, subject, validTo: cert?.valid_to ?? null },
      })
    }
    if (fp !== cfg.certSha256) {
      throw new AppError('identity_changed', `${cfg.host}:${cfg.port} presented certificate ${fp}, not the pinned ${cfg.certSha256}. Nothing was sent. Accept the new certificate only after the server's administrator confirms it.`, {
        retryable: false,
        details: { fingerprint: fp, subject, pinned: cfg.certSha256 },
      })
    }
    opts.onPhase?.('handshake', `${socket.getProtocol?.() ?? 'TLS'} ${subject}`)
    await client.login(cfg.username, creds.password ?? (cfg.username === 'anonymous' ? 'anonymous@' : ''))
    opts.onPhase?.('auth', cfg.username)
    await client.useDefaultSettings()
  } catch (e) {
    client.close()
    throw ftpError(e, `FTPS connection to ${cfg.host}:${cfg.port}`)
  }
  const home = await client.pwd()
  const wrap = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (e) {
      throw ftpError(e, what)
    }
  }
  const exists = async (path: string): Promise<boolean> => {
    const slash = path.lastIndexOf('/')
    const dir = slash < 0 ? '' : path.slice(0, slash)
    const name = path.slice(slash + 1)
    try {
      return (await client.list(dir)).some((f) => f.name === name)
    } catch {
      return false
    }
  }
  return {
    kind: 'ftps',
    list: (dir) =>
      wrap(`Listing ${dir || '/'}`, async () => {
        const out: RemoteEntry[] = []
        for (const f of await client.list(dir)) {
          const type = f.isFile ? 'file' : f.isDirectory ? 'dir' : 'other'
          // LIST gives minutes at best; MDTM gives seconds, which the stable-file check needs.
          let mtimeMs = f.modifiedAt?.getTime() ?? NaN
          if (type === 'file' && Number.isNaN(mtimeMs)) mtimeMs = (await client.lastMod(dir ? `${dir}/${f.name}` : f.name).catch(() => new Date(NaN))).getTime()
          out.push({ name: f.name, size: f.size, mtimeMs: Number.isNaN(mtimeMs) ? 0 : mtimeMs, type })
        }
        return out
      }),
    get: (path, maxBytes) =>
      wrap(`Reading ${path}`, async () => {
        const chunks: Buffer[] = []
        let n = 0
        let over = false
        const sink = new Writable({
          write(chunk: Buffer, _enc, cb) {
            n += chunk.length
            if (n > maxBytes) {
              over = true
              cb(tooLarge(path, maxBytes))
              return
            }
            chunks.push(chunk)
            cb()
          },
        })
        try {
          await client.downloadTo(sink, path)
        } catch (e) {
          if (over) throw tooLarge(path, maxBytes)
          throw e
        }
        return Buffer.concat(chunks, n)
      }),
    put: (path, data) =>
      wrap(`Writing ${path}`, async () => {
        if (await exists(path)) throw new AppError('conflict', `Writing ${path}: the target already exists.`, { retryable: false })
        const src = new PassThrough()
        src.end(data)
        await client.uploadFrom(src, path)
      }),
    // RNTO replaces an existing file on most servers: look first, so a target is never overwritten.
    rename: (from, to) =>
      wrap(`Renaming ${from}`, async () => {
        if (await exists(to)) throw new AppError('conflict', `Renaming ${from}: the target already exists.`, { retryable: false })
        await client.rename(from, to)
      }),
    delete: (path) => wrap(`Deleting ${path}`, async () => void (await client.remove(path))),
    mkdirp: (dir) =>
      wrap(`Creating ${dir}`, async () => {
        let at = ''
        for (const part of dir.split('/').filter(Boolean)) {
          at = at ? `${at}/${part}` : part
          await client.sendIgnoringError(`MKD ${at}`)
        }
        await client.cd(home)
      }),
    exists: (path) => exists(path),
    async close() {
      client.close()
    },
  }
}

function ftpError(e: unknown, what: string): AppError {
  if (e instanceof AppError) return e
  const err = e as { message?: string; code?: number | string }
  const msg = err.message ?? ''
  if (err.code === 530 || /^530/.test(msg)) return new AppError('auth_failed', `${what}: the server refused the login.`, { retryable: false })
  if (err.code === 550 || /^550/.test(msg)) return new AppError('not_found', `${what}: no such file or folder, or not allowed.`, { retryable: false })
  if (err.code === 'ECONNREFUSED') return new AppError('connection_refused', `${what}: refused.`)
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return new AppError('network_error', `${what}: the host could not be resolved.`)
  if (/timeout/i.test(msg)) return new AppError('timeout', `${what}: timed out.`)
  if (/TLS|SSL|certificate/i.test(msg)) return new AppError('tls_error', `${what}: TLS failed (${msg.slice(0, 160)}).`)
  if (/ECONNRESET|closed/i.test(msg)) return new AppError('connection_reset', `${what}: the connection was lost.`)
  return new AppError('remote_error', `${what} failed: ${msg.replace(/\s+/g, ' ').slice(0, 200)}`)
}
