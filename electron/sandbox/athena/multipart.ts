/**
 * Minimal multipart/form-data reader for document uploads (athena takes `attachmentcontents` as a
 * file part on some document endpoints, H). Whole body in memory: uploads are capped upstream.
 */

export interface UploadedFile {
  field: string
  filename: string
  contentType: string
  data: Buffer
}

export interface MultipartBody {
  fields: Record<string, string>
  files: UploadedFile[]
}

export function boundaryOf(contentType: string): string | null {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType)
  return m ? (m[1] ?? m[2] ?? '').trim() : null
}

function headerParam(header: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|[;\\s])${name}\\*?=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;]+))`, 'i').exec(header)
  if (!m) return undefined
  return (m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1').trim()
}

/** Returns null when the body is not well-formed multipart for that boundary. */
export function parseMultipart(body: Buffer, boundary: string): MultipartBody | null {
  const delimiter = Buffer.from(`--${boundary}`)
  const out: MultipartBody = { fields: {}, files: [] }
  let pos = body.indexOf(delimiter)
  if (pos < 0) return null
  for (;;) {
    pos += delimiter.length
    // "--" right after a delimiter closes the body.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return out
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2
    const headerEnd = body.indexOf('\r\n\r\n', pos)
    if (headerEnd < 0) return null
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4)
    if (next < 0) return null
    const headers = body.subarray(pos, headerEnd).toString('utf8').split('\r\n')
    const content = body.subarray(headerEnd + 4, next)
    let disposition = ''
    let contentType = 'text/plain'
    for (const line of headers) {
      const i = line.indexOf(':')
      if (i < 0) continue
      const name = line.slice(0, i).trim().toLowerCase()
      const value = line.slice(i + 1).trim()
      if (name === 'content-disposition') disposition = value
      else if (name === 'content-type') contentType = value
    }
    const field = headerParam(disposition, 'name')
    if (field !== undefined) {
      const filename = headerParam(disposition, 'filename')
      if (filename !== undefined) {
        out.files.push({ field, filename, contentType, data: Buffer.from(content) })
      } else {
        out.fields[field] = content.toString('utf8')
      }
    }
    pos = next + 2
  }
}
