import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'electron-vite'

// One build for both ways to run: the Electron app (main/preload/renderer) and the plain-Node
// entry points (headless server, standalone athenaNet sandbox) that share the engine.
const mainInputs: Record<string, string> = {
  index: resolve('electron/main/index.ts'),
  serve: resolve('electron/headless/serve.ts'),
}
if (existsSync('electron/sandbox/athena/cli.ts')) mainInputs.sandbox = resolve('electron/sandbox/athena/cli.ts')

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: { input: mainInputs },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: { input: { index: resolve('electron/preload/index.ts') } },
    },
  },
  renderer: {
    root: 'renderer',
    plugins: [react()],
    build: {
      outDir: resolve('out/renderer'),
      minify: true,
      chunkSizeWarningLimit: 2000,
      rollupOptions: { input: resolve('renderer/index.html') },
    },
  },
})
