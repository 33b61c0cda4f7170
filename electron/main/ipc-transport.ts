/**
 * The desktop transport: one IPC channel for calls, one for events. Every call is checked to
 * come from our own window's top frame on app://console before the engine's dispatcher (which
 * validates the payload against the shared contract) sees it.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'
import type { Engine } from '../engine/core/engine'
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

export function registerIpc(engine: Engine, actor: string, currentWindow: () => BrowserWindow | null): void {
  ipcMain.handle(CALL_CHANNEL, async (e, method: unknown, input: unknown) => {
    if (!trustedSender(e, currentWindow())) return { ok: false, error: { code: 'forbidden', message: 'Untrusted sender.', retryable: false } }
    if (typeof method !== 'string') return { ok: false, error: { code: 'invalid_input', message: 'method must be a string', retryable: false } }
    return engine.dispatch(method, input, { actor, transport: 'ipc' })
  })
  engine.ctx.events.onAny((name, payload) => {
    const win = currentWindow()
    if (win && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, name, payload)
  })
}
