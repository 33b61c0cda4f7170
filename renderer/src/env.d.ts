/// <reference types="vite/client" />

/** The Electron preload bridge (desktop app only). */
interface PracticeStudioBridge {
  call(method: string, input: unknown): Promise<unknown>
  on(event: string, handler: (payload: unknown) => void): () => void
}

interface Window {
  practiceStudio?: PracticeStudioBridge
}
