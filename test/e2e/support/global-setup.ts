import { execFileSync } from 'node:child_process'

/** The e2e tests run the built server; build once so they always test the current code. */
export default function globalSetup(): void {
  execFileSync('npx', ['electron-vite', 'build'], { stdio: 'inherit' })
}
