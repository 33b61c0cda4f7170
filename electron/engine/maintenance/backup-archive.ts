/**
 * The backup file: one file, readable only with the backup key.
 *
 *   "PSBACKUP1\n" · sealed part · database files … · header JSON · HMAC-SHA256(header) · u32 header length · "PSBACKEND\n"
 *
 * The database files are copies made with VACUUM INTO, so they are SQLCipher files under the
 * database key, as on disk. The sealed part (AES-256-GCM under the backup key) holds what a
 * restore needs besides them: the secrets (the database key among them), the install record, the
 * configuration export, the system settings and the audit checkpoint. The header lists every part
 * with its offset, length and SHA-256 and is authenticated with the backup key, so a wrong key, a
 * truncated file or a changed byte is refused before anything is restored. The header comes last
 * so the file is written in one pass.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { AppError } from '../../../shared/errors'

const MAGIC = Buffer.from('PSBACKUP1\n')
const END = Buffer.from('PSBACKEND\n')
const TRAILER = 32 + 4 + END.length

export interface ArchivePart {
  name: string
  offset: number
  bytes: number
  sha256: string
}

export interface ArchiveHeader {
  format: 1
  createdAt: number
  version: string
  schema: number
  /** First 16 hex of SHA-256 of the backup key: tells which key a file needs without revealing it. */
  keyId: string
  audit: { head: number; state: string }
  sealed: ArchivePart
  files: ArchivePart[]
}

export interface SealedContents {
  secrets: Record<string, string>
  install: Record<string, unknown> | null
  config: string
  systemSettings: unknown
  anchor: unknown
}

export const keyId = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 16)

function seal(key: Buffer, plain: Buffer): Buffer {
  const iv = randomBytes(12)
  const c = createCipheriv('aes-256-gcm', key, iv)
  const body = Buffer.concat([c.update(plain), c.final()])
  return Buffer.concat([iv, c.getAuthTag(), body])
}

function unseal(key: Buffer, sealed: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12))
  d.setAuthTag(sealed.subarray(12, 28))
  return Buffer.concat([d.update(sealed.subarray(28)), d.final()])
}

async function put(ws: WriteStream, b: Buffer): Promise<void> {
  if (!ws.write(b)) await once(ws, 'drain')
}

/** Writes the archive to `target` (then fsyncs it). `files` are copied in order, hashed on the way. */
export async function writeArchive(target: string, key: Buffer, meta: Omit<ArchiveHeader, 'format' | 'keyId' | 'sealed' | 'files'>, sealed: SealedContents, files: { name: string; path: string }[]): Promise<{ bytes: number; header: ArchiveHeader }> {
  const ws = createWriteStream(target, { mode: 0o600 })
  const opened = once(ws, 'open')
  let offset = 0
  const write = async (b: Buffer): Promise<void> => {
    await put(ws, b)
    offset += b.length
  }
  try {
    await opened
    await write(MAGIC)
    const sealedBytes = seal(key, Buffer.from(JSON.stringify(sealed), 'utf8'))
    const sealedPart: ArchivePart = { name: 'sealed', offset, bytes: sealedBytes.length, sha256: createHash('sha256').update(sealedBytes).digest('hex') }
    await write(sealedBytes)
    const parts: ArchivePart[] = []
    for (const f of files) {
      const h = createHash('sha256')
      const start = offset
      for await (const chunk of createReadStream(f.path)) {
        h.update(chunk as Buffer)
        await write(chunk as Buffer)
      }
      parts.push({ name: f.name, offset: start, bytes: offset - start, sha256: h.digest('hex') })
    }
    const header: ArchiveHeader = { format: 1, keyId: keyId(key), ...meta, sealed: sealedPart, files: parts }
    const json = Buffer.from(JSON.stringify(header), 'utf8')
    const len = Buffer.alloc(4)
    len.writeUInt32BE(json.length)
    await write(Buffer.concat([json, createHmac('sha256', key).update(MAGIC).update(json).digest(), len, END]))
    await new Promise<void>((resolve, reject) => ws.end((e?: Error | null) => (e ? reject(e) : resolve())))
    const fh = await open(target, 'r+')
    try {
      await fh.sync()
    } finally {
      await fh.close()
    }
    return { bytes: offset, header }
  } catch (e) {
    ws.destroy()
    throw e
  }
}

/** Reads and authenticates the header. Wrong key, a truncated or altered file: a clear error, nothing read further. */
export async function readArchiveHeader(file: string, key?: Buffer): Promise<ArchiveHeader> {
  const size = (await stat(file)).size
  const fh = await open(file, 'r')
  try {
    const bad = (why: string): AppError => new AppError('invalid_input', `${file} is not a usable Practice Studio backup: ${why}.`)
    if (size < MAGIC.length + TRAILER) throw bad('too short')
    const head = Buffer.alloc(MAGIC.length)
    await fh.read(head, 0, head.length, 0)
    const tail = Buffer.alloc(TRAILER)
    await fh.read(tail, 0, TRAILER, size - TRAILER)
    if (!head.equals(MAGIC) || !tail.subarray(36).equals(END)) throw bad('no backup header (truncated, or another kind of file)')
    const len = tail.readUInt32BE(32)
    if (len > size - MAGIC.length - TRAILER) throw bad('header length out of range')
    const json = Buffer.alloc(len)
    await fh.read(json, 0, len, size - TRAILER - len)
    const header = JSON.parse(json.toString('utf8')) as ArchiveHeader
    if (key) {
      if (header.keyId !== keyId(key)) throw new AppError('invalid_input', `${file} was made with another backup key (key id ${header.keyId}); this key's id is ${keyId(key)}.`)
      const mac = createHmac('sha256', key).update(MAGIC).update(json).digest()
      if (!timingSafeEqual(mac, tail.subarray(0, 32))) throw bad('its header does not authenticate with this key (altered)')
    }
    return header
  } finally {
    await fh.close()
  }
}

async function readPart(file: string, p: ArchivePart): Promise<Buffer> {
  const fh = await open(file, 'r')
  try {
    const b = Buffer.alloc(p.bytes)
    await fh.read(b, 0, p.bytes, p.offset)
    return b
  } finally {
    await fh.close()
  }
}

export async function readSealed(file: string, header: ArchiveHeader, key: Buffer): Promise<SealedContents> {
  const b = await readPart(file, header.sealed)
  if (createHash('sha256').update(b).digest('hex') !== header.sealed.sha256) throw new AppError('invalid_input', `${file}: the sealed part is damaged.`)
  return JSON.parse(unseal(key, b).toString('utf8')) as SealedContents
}

/** Copies one part to `target`, checking its SHA-256 against the authenticated header. */
export async function extractPart(file: string, p: ArchivePart, target: string): Promise<void> {
  const h = createHash('sha256')
  const ws = createWriteStream(target, { mode: 0o600 })
  await once(ws, 'open')
  if (p.bytes > 0) {
    for await (const chunk of createReadStream(file, { start: p.offset, end: p.offset + p.bytes - 1 })) {
      h.update(chunk as Buffer)
      await put(ws, chunk as Buffer)
    }
  }
  await new Promise<void>((resolve, reject) => ws.end((e?: Error | null) => (e ? reject(e) : resolve())))
  if (h.digest('hex') !== p.sha256) throw new AppError('invalid_input', `${file}: ${p.name} is damaged (its SHA-256 does not match the header).`)
}
