// `npm run bench`: every benchmark under test/bench, one after the other (they compete for the
// same two cores otherwise). Each prints its own figures next to a baseline measured in the same run.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'

const only = process.argv.slice(2)
const files = readdirSync('test/bench')
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()
let failed = 0
for (const f of files) {
  console.log(`\n━━ ${f}`)
  const r = spawnSync('npx', ['tsx', `test/bench/${f}`], { stdio: 'inherit' })
  if (r.status !== 0) {
    failed++
    console.error(`✗ ${f} exited with ${r.status ?? r.signal}`)
  }
}
process.exit(failed ? 1 : 0)
