/**
 * Every time the console shows goes through one module (renderer/src/components/time.ts, via
 * app/time-format.tsx), so every page writes it the same way, in the chosen zone, with the zone
 * named. This fails when a page formats a time any other way.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(__dirname, '../../../renderer/src')

/** Files allowed to build dates: the module itself, and machine formats (ISO in exports and file names, datetime-local inputs). */
const ALLOWED: Record<string, string> = {
  'components/time.ts': 'the formatting module',
  'app/time-format.tsx': 'the hook over it (ISO in the <time> attribute)',
  'components/console/time-presets.ts': 'datetime-local input values',
  'components/console/export-format.ts': 'ISO 8601 in exported files',
  'pages/transactions/ExportButton.tsx': 'the export file name',
  'pages/settings/ConfigCard.tsx': 'the config file name',
}

const FORBIDDEN: [RegExp, string][] = [
  [/\.toLocaleDateString\(/, 'toLocaleDateString'],
  [/\.toLocaleTimeString\(/, 'toLocaleTimeString'],
  [/Intl\.DateTimeFormat/, 'Intl.DateTimeFormat'],
  [/new Date\(/, 'new Date('],
  [/\.toISOString\(/, 'toISOString'],
  [/\.toUTCString\(|\.toDateString\(|\.toTimeString\(/, 'Date to-string'],
  [/\bdayjs\b|from 'luxon'/, 'a date library'],
  [/formatInstant\(|formatClock\(|formatDay\(/, 'the pure formatter without the person\'s zone (use useTimeFormat / <Time>)'],
]

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? walk(p) : /\.(ts|tsx)$/.test(n) ? [p] : []
  })
}

describe('one time format in the console', () => {
  const files = walk(ROOT)

  it('finds the renderer sources', () => {
    expect(files.length).toBeGreaterThan(50)
  })

  it('no page formats a time itself', () => {
    const offences: string[] = []
    for (const f of files) {
      const rel = relative(ROOT, f).replace(/\\/g, '/')
      if (ALLOWED[rel]) continue
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/^\s*(\/\/|\*|\/\*)/.test(line)) return
          for (const [re, what] of FORBIDDEN) if (re.test(line)) offences.push(`${rel}:${i + 1} uses ${what}`)
        })
    }
    expect(offences).toEqual([])
  })

  it('detects an offence (the rule is live)', () => {
    const line = "  <Text>{new Date(t.receivedAt).toLocaleString()}</Text>"
    expect(FORBIDDEN.some(([re]) => re.test(line))).toBe(true)
  })
})
