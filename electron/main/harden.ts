import type { WebContents } from 'electron'
import { APP_ORIGIN } from './app-protocol'

/** No navigation away from the console, no new windows, no webviews. */
export function hardenWebContents(wc: WebContents): void {
  wc.on('will-navigate', (e, url) => {
    if (new URL(url).origin !== new URL(APP_ORIGIN).origin) e.preventDefault()
  })
  wc.on('will-redirect', (e, url) => {
    if (new URL(url).origin !== new URL(APP_ORIGIN).origin) e.preventDefault()
  })
  wc.on('will-attach-webview', (e) => e.preventDefault())
  wc.setWindowOpenHandler(() => ({ action: 'deny' }))
}
