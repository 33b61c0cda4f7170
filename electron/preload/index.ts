/**
 * The bridge: exactly `call(method, input)` and `on(event, handler)`. No ipcRenderer, no Node,
 * nothing else reaches the page. Handlers receive the event payload, never the IPC event object.
 */
import { contextBridge, ipcRenderer } from 'electron'

const CALL_CHANNEL = 'ps:call'
const EVENT_CHANNEL = 'ps:event'

type EventHandler = (name: string, payload: unknown) => void
const handlers = new Set<EventHandler>()
ipcRenderer.on(EVENT_CHANNEL, (_e, name: string, payload: unknown) => {
  for (const h of handlers) h(name, payload)
})

const bridge = Object.freeze({
  call: (method: string, input: unknown, activity?: boolean): Promise<unknown> => ipcRenderer.invoke(CALL_CHANNEL, method, input, activity !== false),
  on: (event: string, handler: (payload: unknown) => void): (() => void) => {
    const h: EventHandler = (name, payload) => {
      if (name === event || event === '*') handler(event === '*' ? { name, payload } : payload)
    }
    handlers.add(h)
    return () => handlers.delete(h)
  },
})

contextBridge.exposeInMainWorld('practiceStudio', bridge)
