/**
 * How the console reaches the engine: the Electron preload bridge on the desktop, or the headless
 * HTTP transport (bearer token from the URL printed by `npm run serve`). Either way the result is
 * the same `{ ok, value } | { ok, error }` envelope from the shared contract.
 */
import type { Result } from '../../../shared/errors'

export interface Transport {
  kind: 'ipc' | 'http'
  call(method: string, input: unknown): Promise<Result<unknown>>
  /** Subscribes to every engine event; returns the unsubscribe function. */
  subscribe(handler: (name: string, payload: unknown) => void, onState?: (connected: boolean) => void): () => void
}

const TOKEN_KEY = `ps-token:${location.host}`

/** Reads `#token=…` once, keeps it for this origin, and cleans it out of the address bar. */
export function captureToken(): string | null {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash)
  if (m) {
    localStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]))
    history.replaceState(null, '', `${location.pathname}${location.search}#/`)
  }
  return localStorage.getItem(TOKEN_KEY)
}

export function forgetToken(): void {
  localStorage.removeItem(TOKEN_KEY)
}

function ipcTransport(bridge: PracticeStudioBridge): Transport {
  return {
    kind: 'ipc',
    call: (method, input) => bridge.call(method, input) as Promise<Result<unknown>>,
    subscribe(handler, onState) {
      onState?.(true)
      return bridge.on('*', (p) => {
        const { name, payload } = p as { name: string; payload: unknown }
        handler(name, payload)
      })
    },
  }
}

function httpTransport(token: string): Transport {
  return {
    kind: 'http',
    async call(method, input) {
      let res: Response
      try {
        res = await fetch(`/api/${encodeURIComponent(method)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
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
      // EventSource cannot send an Authorization header, so read the SSE stream with fetch.
      let stopped = false
      let controller: AbortController | null = null
      const loop = async (): Promise<void> => {
        let delay = 500
        while (!stopped) {
          controller = new AbortController()
          try {
            const res = await fetch('/api/events', { headers: { authorization: `Bearer ${token}` }, signal: controller.signal })
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

export function createTransport(): Transport | null {
  if (window.practiceStudio) return ipcTransport(window.practiceStudio)
  const token = captureToken()
  return token ? httpTransport(token) : null
}
