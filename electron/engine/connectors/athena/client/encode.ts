/**
 * athena's wire encoding (reference §3.1, H): GET/DELETE parameters in the query string, POST/PUT
 * bodies form-encoded, nested structures as a JSON string inside one form field, multi-values
 * comma-joined. Undefined and null parameters are left out; booleans are `true`/`false`.
 */
export type ParamScalar = string | number | boolean
export type ParamValue = ParamScalar | ParamScalar[] | Record<string, unknown> | unknown[] | null | undefined
export type Params = Record<string, ParamValue>

export function encodeParams(params: Params = {}): URLSearchParams {
  const out = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue
    if (Array.isArray(v)) {
      if (v.length === 0) continue
      if (v.every((x) => typeof x !== 'object' || x === null)) out.append(k, (v as ParamScalar[]).map(String).join(','))
      else out.append(k, JSON.stringify(v))
    } else if (typeof v === 'object') {
      out.append(k, JSON.stringify(v))
    } else {
      out.append(k, String(v))
    }
  }
  return out
}

/** `multipart/form-data` for document uploads (`attachmentcontents` as a file part, H doc text). */
export function multipartBody(fields: Params, file: { field: string; filename: string; contentType: string; data: Buffer }, boundary: string): Buffer {
  const parts: Buffer[] = []
  const crlf = '\r\n'
  for (const [k, v] of encodeParams(fields)) {
    parts.push(Buffer.from(`--${boundary}${crlf}Content-Disposition: form-data; name="${k}"${crlf}${crlf}${v}${crlf}`, 'utf8'))
  }
  const safeName = file.filename.replace(/["\r\n]/g, '_')
  parts.push(Buffer.from(`--${boundary}${crlf}Content-Disposition: form-data; name="${file.field}"; filename="${safeName}"${crlf}Content-Type: ${file.contentType}${crlf}${crlf}`, 'utf8'))
  parts.push(file.data)
  parts.push(Buffer.from(`${crlf}--${boundary}--${crlf}`, 'utf8'))
  return Buffer.concat(parts)
}
