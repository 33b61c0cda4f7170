/**
 * Request bodies: read with a size cap, then decoded the way athena reads them — form fields
 * (urlencoded) or multipart parts. Any other body, JSON in particular, is deliberately not read:
 * athena takes form fields, so a JSON body arrives as "no parameters".
 */
import type { IncomingMessage } from 'node:http'
import { boundaryOf, parseMultipart, type UploadedFile } from './multipart'

export class BodyTooLarge extends Error {}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > limit) {
        reject(new BodyTooLarge())
        req.pause()
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

export interface DecodedBody {
  fields?: URLSearchParams | Record<string, string>
  files: UploadedFile[]
}

/** Returns null for a multipart body that does not parse. */
export function decodeBody(contentType: string | undefined, body: Buffer): DecodedBody | null {
  const type = String(contentType ?? '').toLowerCase()
  if (!body.length) return { files: [] }
  if (type.startsWith('application/x-www-form-urlencoded')) return { fields: new URLSearchParams(body.toString('utf8')), files: [] }
  if (type.startsWith('multipart/form-data')) {
    const boundary = boundaryOf(String(contentType))
    const parsed = boundary ? parseMultipart(body, boundary) : null
    return parsed ? { fields: parsed.fields, files: parsed.files } : null
  }
  return { files: [] }
}
