/**
 * TLS certificate, key and CA files named in connection settings. A path must be absolute and
 * inside an allowed folder: the data folder's `tls/`, or the one the operator names with
 * PS_TLS_DIR (engine-settings.ts). A path outside is refused before the file system is touched, so
 * the answer never says whether some file elsewhere exists (the probe could test any path through
 * the listener's error). Symbolic links are followed and must stay inside too.
 *
 * The contents are checked here, so a listener that cannot start says which file is wrong and how:
 * not a PEM certificate, not a PEM private key, a key that does not match its certificate.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { readFileSync, realpathSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { AppError } from '../../../shared/errors'
import type { EngineSettings } from './engine-settings'

export type TlsFileKind = 'certificate' | 'private key' | 'CA'

/** The folders TLS files may be read from, in the order they are named in messages. */
export function tlsFolders(dataDir: string, settings: Pick<EngineSettings, 'tlsDir'>): string[] {
  return [join(resolve(dataDir), 'tls'), ...(settings.tlsDir ? [resolve(settings.tlsDir)] : [])]
}

function inside(folder: string, path: string): boolean {
  const r = relative(folder, path)
  return r !== '' && !r.startsWith('..') && !isAbsolute(r)
}

function invalid(message: string, details?: Record<string, unknown>): AppError {
  return new AppError('config_invalid', message, { retryable: false, ...(details ? { details } : {}) })
}

/** Reads one TLS file under the rules above; every failure is a config_invalid AppError naming the setting. */
export function readTlsFile(path: string | null, kind: TlsFileKind, folders: readonly string[]): Buffer {
  if (!path) throw invalid(`TLS is enabled but no ${kind} file is configured.`)
  const where = folders.join(' or ')
  if (!isAbsolute(path)) throw invalid(`The TLS ${kind} file must be named by its absolute path inside ${where}.`)
  const wanted = resolve(path)
  const outside = (): AppError => invalid(`The TLS ${kind} file must be inside ${where}; copy it there and name it by its full path.`)
  if (!folders.some((f) => inside(f, wanted))) throw outside()
  let real: string
  try {
    real = realpathSync(wanted)
  } catch (e) {
    throw invalid(`Cannot read the TLS ${kind} file ${wanted} (${(e as NodeJS.ErrnoException).code ?? 'error'}).`)
  }
  const realFolders = folders.map((f) => {
    try {
      return realpathSync(f)
    } catch {
      return f
    }
  })
  if (!realFolders.some((f) => inside(f, real))) throw outside()
  try {
    return readFileSync(real)
  } catch (e) {
    throw invalid(`Cannot read the TLS ${kind} file ${wanted} (${(e as NodeJS.ErrnoException).code ?? 'error'}).`)
  }
}

function certificate(pem: Buffer, file: string, kind: 'certificate' | 'CA'): X509Certificate {
  try {
    return new X509Certificate(pem)
  } catch {
    throw invalid(kind === 'CA' ? `The CA file ${file} does not hold a PEM certificate.` : `The certificate in ${file} is not a PEM certificate.`)
  }
}

function privateKey(pem: Buffer, file: string): KeyObject {
  try {
    return createPrivateKey(pem)
  } catch (e) {
    const encrypted = /passphrase|encrypted/i.test((e as Error).message)
    throw invalid(encrypted ? `The key in ${file} is encrypted; give the key without a passphrase (keep the file readable by this account only).` : `The key in ${file} is not a PEM private key.`)
  }
}

/**
 * A certificate and its key (both or neither when `optional`), and a CA, read and checked: each
 * is what it should be and the key belongs to the certificate.
 */
export function loadTlsCredentials(
  files: { certFile: string | null; keyFile: string | null; caFile: string | null },
  folders: readonly string[],
  opts: { optionalPair?: boolean } = {},
): { cert?: Buffer; key?: Buffer; ca?: Buffer } {
  const out: { cert?: Buffer; key?: Buffer; ca?: Buffer } = {}
  if (files.certFile || files.keyFile || !opts.optionalPair) {
    const cert = readTlsFile(files.certFile, 'certificate', folders)
    const key = readTlsFile(files.keyFile, 'private key', folders)
    const x509 = certificate(cert, resolve(files.certFile as string), 'certificate')
    const k = privateKey(key, resolve(files.keyFile as string))
    if (!x509.checkPrivateKey(k)) throw invalid(`The key in ${resolve(files.keyFile as string)} does not match the certificate in ${resolve(files.certFile as string)}.`)
    out.cert = cert
    out.key = key
  }
  if (files.caFile) {
    const ca = readTlsFile(files.caFile, 'CA', folders)
    certificate(ca, resolve(files.caFile), 'CA')
    out.ca = ca
  }
  return out
}
