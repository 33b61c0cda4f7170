import { protocol } from 'electron'
import { existsSync, realpathSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { extname, resolve, sep } from 'node:path'

export const APP_ORIGIN = 'app://console'

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2' }

/** Serves the built console from app://console/, never file://, confined to the bundle folder. */
export function registerAppProtocol(rendererDir: string): void {
  const root = realpathSync(rendererDir)
  protocol.handle('app', async (req) => {
    const url = new URL(req.url)
    if (url.host !== 'console') return new Response('not found', { status: 404 })
    let rel: string
    try {
      rel = decodeURIComponent(url.pathname).replace(/^\/+/, '') || 'index.html'
    } catch {
      return new Response('bad path', { status: 400 })
    }
    if (rel.includes('\0')) return new Response('bad path', { status: 400 })
    const file = resolve(root, rel)
    if (!file.startsWith(root + sep) || !existsSync(file)) return new Response('not found', { status: 404 })
    const real = realpathSync(file)
    if (!real.startsWith(root + sep)) return new Response('not found', { status: 404 })
    return new Response(await readFile(real), {
      headers: { 'content-type': MIME[extname(real)] ?? 'application/octet-stream', 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' },
    })
  })
}
