/**
 * How the console reaches the engine: the Electron preload bridge on the desktop, or the headless
 * HTTP transport. Either way the result is the same `{ ok, value } | { ok, error }` envelope from
 * the shared contract. Over HTTP the session lives in an HttpOnly cookie the page's JavaScript
 * never sees; every call carries the `X-PSC-Request` header (the engine's CSRF check). Calls made
 * while the person is not using the console (background refreshes) say so, so they do not keep
 * an idle session alive.
 */
import type { Result } from '../../../shared/errors'

export interface Transport {
  kind: 'ipc' | 'http'
  call(method: string, input: unknown): Promise<Result<unknown>>
  /** Subscribes to every engine event; returns the unsubscribe function. */
  subscribe(handler: (name: string, payload: unknown) => void, onState?: (connected: boolean) => void): () => void
}

/** The first-run setup token, read once from `#setup=…` and kept in memory only. */
let setupToken: string | null = null
export function captureSetupToken(): void {
  const m = /(?:^#|&)setup=([^&]+)/.exec(location.hash)
  if (m) {
    setupToken = decodeURIComponent(m[1])
    history.replaceState(null, '', `${location.pathname}${location.search}#/`)
  }
}
export function takeSetupToken(): string | null {
  return setupToken
}

/** When the person last touched the console (keys, pointer, wheel). */
let lastInput = Date.now()
/** A call this soon after the person's last input counts as activity (at most a third of the idle limit). */
let activeWindowMs = 60_000
export function setIdleLimit(idleMs: number): void {
  activeWindowMs = Math.min(60_000, Math.floor(idleMs / 3))
}
for (const ev of ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart']) window.addEventListener(ev, () => (lastInput = Date.now()), { passive: true, capture: true })
export function idleForMs(): number {
  return Date.now() - lastInput
}
const active = (): boolean => idleForMs() < activeWindowMs

function ipcTransport(bridge: PracticeStudioBridge): Transport {
  return {
    kind: 'ipc',
    call: (method, input) => bridge.call(method, input, active()) as Promise<Result<unknown>>,
    subscribe(handler, onState) {
      onState?.(true)
      return bridge.on('*', (p) => {
        const { name, payload } = p as { name: string; payload: unknown }
        handler(name, payload)
      })
    },
  }
}

function httpTransport(): Transport {
  return {
    kind: 'http',
    async call(method, input) {
      let res: Response
      try {
        res = await fetch(`/api/${encodeURIComponent(method)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-psc-request': '1', ...(active() ? {} : { 'x-psc-activity': '0' }) },
          credentials: 'same-origin',
          body: JSON.stringify(input ?? {}),
        })
      } catch {
        return { ok: false, error: { code: 'network_error', message: 'The console cannot reach the engine. Is `npm run serve` still running?', retryable: true } }
      }
      try {
        return (await res.json()) as Result<unknown>
      } catch {
        return { ok: false, error: { code: 'internal', message: `Unexpected response (HTTP ${res.status}).`, retryable: false } }
      }
    },
    subscribe(handler, onState) {
      // Read with fetch (not EventSource) to see the status: a 401 means the session ended.
      let stopped = false
      let controller: AbortController | null = null
      const loop = async (): Promise<void> => {
        let delay = 500
        while (!stopped) {
          controller = new AbortController()
          try {
            const res = await fetch('/api/events', { credentials: 'same-origin', signal: controller.signal })
            if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`)
            onState?.(true)
            delay = 500
            const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
            let buf = ''
            for (;;) {
              const { value, done } = await reader.read()
              if (done) break
              buf += value
              let idx: number
              while ((idx = buf.indexOf('\n\n')) >= 0) {
                const block = buf.slice(0, idx)
                buf = buf.slice(idx + 2)
                let name = 'message'
                let data = ''
                for (const line of block.split('\n')) {
                  if (line.startsWith('event: ')) name = line.slice(7)
                  else if (line.startsWith('data: ')) data += line.slice(6)
                }
                if (data) {
                  try {
                    handler(name, JSON.parse(data))
                  } catch {
                    /* ignore a malformed event */
                  }
                }
              }
            }
          } catch {
            /* reconnect below */
          }
          if (stopped) return
          onState?.(false)
          await new Promise((r) => setTimeout(r, delay))
          delay = Math.min(delay * 2, 10_000)
        }
      }
      void loop()
      return () => {
        stopped = true
        controller?.abort()
      }
    },
  }
}

export function createTransport(): Transport {
  if (window.practiceStudio) return ipcTransport(window.practiceStudio)
  captureSetupToken()
  return httpTransport()
}
