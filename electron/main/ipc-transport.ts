/**
 * The desktop transport: one IPC channel for calls, one for events. Every call is checked to
 * come from our own window's top frame on app://console before the engine's dispatcher (which
 * validates the payload against the shared contract and checks access) sees it. The window's
 * session token stays here in the main process: the renderer signs in like the web console
 * does, and never holds the token.
 */
import { ipcMain, shell, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'
import type { Engine } from '../engine/core/engine'
import { eventVisible } from '../engine/access/event-visibility'
import type { Principal } from '../engine/access/principal'
import { APP_ORIGIN } from './app-protocol'

export const CALL_CHANNEL = 'ps:call'
export const EVENT_CHANNEL = 'ps:event'

function trustedSender(e: IpcMainInvokeEvent, win: BrowserWindow | null): boolean {
  const frame = e.senderFrame
  if (!win || !frame || e.sender.id !== win.webContents.id) return false
  if (frame !== e.sender.mainFrame) return false
  try {
    return new URL(frame.url).origin === new URL(APP_ORIGIN).origin
  } catch {
    return false
  }
}

/**
 * Desktop single sign-on (RFC 8252): the engine's answer to `auth.oidcBegin { loopback: true }` is
 * the provider's authorization URL, opened here in the system browser. Only a URL the engine itself
 * produced is opened (the renderer cannot name one), and only http(s): the window itself never
 * leaves app://console (harden.ts).
 */
function openProviderPage(value: unknown): void {
  const url = (value as { url?: unknown } | null)?.url
  if (typeof url !== 'string') return
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return
  void shell.openExternal(parsed.toString())
}

export function registerIpc(engine: Engine, operator: string, currentWindow: () => BrowserWindow | null): void {
  let sessionToken: string | null = null
  ipcMain.handle(CALL_CHANNEL, async (e, method: unknown, input: unknown, activity: unknown) => {
    if (!trustedSender(e, currentWindow())) return { ok: false, error: { code: 'forbidden', message: 'Untrusted sender.', retryable: false } }
    if (typeof method !== 'string') return { ok: false, error: { code: 'invalid_input', message: 'method must be a string', retryable: false } }
    const result = await engine.dispatch(method, input, {
      transport: 'ipc',
      sessionToken,
      activity: activity !== false,
      client: `${operator} (desktop)`,
      onSession: (s) => {
        sessionToken = s?.token ?? null
      },
    })
    if (method === 'auth.oidcBegin' && result.ok) openProviderPage(result.value)
    return result
  })
  // Who the window is, re-read after any access change (and every 15 s for the idle and absolute limits).
  let cached: { token: string; generation: number; at: number; principal: Principal | null } | null = null
  const principal = (): Principal | null => {
    const a = engine.ctx.access
    if (!sessionToken) return null
    const now = Date.now()
    if (!cached || cached.token !== sessionToken || cached.generation !== a.generation || now - cached.at > 15_000) {
      const r = a.resolve(sessionToken, false)
      cached = { token: sessionToken, generation: a.generation, at: now, principal: r.kind === 'session' ? r.principal : null }
    }
    return cached.principal
  }
  engine.ctx.events.onAny((name, payload) => {
    const win = currentWindow()
    if (!win || win.isDestroyed()) return
    const p = principal()
    if (p && eventVisible(p, name, payload)) win.webContents.send(EVENT_CHANNEL, name, payload)
  })
}
