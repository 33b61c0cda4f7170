// `npm test`: the whole suite, in the order that fails fastest. Every stage must pass.
import { spawnSync } from 'node:child_process'
import { ensurePeers } from './peers.mjs'

// build comes before integration: the serve tests start the built out/main/serve.js as a child.
const stages = [
  ['typecheck', 'npm', ['run', '-s', 'typecheck']],
  ['lint (incl. layer rules)', 'npm', ['run', '-s', 'lint']],
  ['unit', 'npx', ['vitest', 'run', '--project', 'unit']],
  ['build', 'npm', ['run', '-s', 'build']],
  ['integration (real SQLite, sockets, gnome-keyring, python3-hl7, sandbox)', 'scripts/with-keyring.sh', ['npx', 'vitest', 'run', '--project', 'integration']],
  ['end-to-end (Chromium against npm run serve)', 'scripts/with-keyring.sh', ['npx', 'playwright', 'test']],
]

ensurePeers()
const only = process.argv.slice(2)
const t0 = Date.now()
for (const [name, cmd, args] of stages) {
  if (only.length && !only.some((o) => name.startsWith(o))) continue
  const t = Date.now()
  console.log(`\n━━ ${name}`)
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '1' } })
  if (r.status !== 0) {
    console.error(`\n✗ ${name} failed (exit ${r.status ?? r.signal})`)
    process.exit(r.status ?? 1)
  }
  console.log(`✓ ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`)
}
console.log(`\nAll stages passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
