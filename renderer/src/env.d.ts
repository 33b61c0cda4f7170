/// <reference types="vite/client" />

/** The Electron preload bridge (desktop app only). */
interface PracticeStudioBridge {
  /** `activity`: the call follows the person's own input (restarts the engine's idle clock). */
  call(method: string, input: unknown, activity?: boolean): Promise<unknown>
  on(event: string, handler: (payload: unknown) => void): () => void
}

interface Window {
  practiceStudio?: PracticeStudioBridge
}
