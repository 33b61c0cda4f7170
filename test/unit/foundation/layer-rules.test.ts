/**
 * The layer rules of docs/ARCHITECTURE.md are enforced by eslint.config.mjs. This proves they bite:
 * the project's own ESLint configuration lints small snippets under virtual file paths, and a
 * forbidden import is an error where the rule applies and not where it does not. A second check
 * walks the real source tree and resolves every relative import, independently of ESLint's globs.
 */
import { builtinModules } from 'node:module'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const eslint = new ESLint({ cwd: process.cwd() })

/** The layer-rule messages ESLint reports for `code` as if it lived at `filePath`. */
async function layerErrors(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath })
  const fatal = result.messages.filter((m) => m.fatal)
  expect(fatal, `${filePath} must parse`).toEqual([])
  return result.messages.filter((m) => m.severity === 2 && (m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-globals')).map((m) => m.message)
}

describe('layer rules (eslint.config.mjs)', () => {
  it('the virtual files are linted, not ignored', async () => {
    for (const f of ['electron/engine/x.ts', 'renderer/src/x.tsx', 'shared/x.ts', 'electron/main/x.ts']) {
      expect(await eslint.isPathIgnored(f), f).toBe(false)
    }
  })

  describe('rule 1: engine, headless and sandbox never import electron', () => {
    it.each(['electron/engine/x.ts', 'electron/engine/pipeline/x.ts', 'electron/headless/x.ts', 'electron/sandbox/x.ts'])('%s: import electron → error', async (file) => {
      const errors = await layerErrors("import { app } from 'electron'\nexport const a = app\n", file)
      expect(errors).toHaveLength(1)
      expect(errors[0]).toMatch(/Layer rule 1/)
    })

    it('electron/engine: importing shell code via an .../electron/main/... path → error', async () => {
      expect(await layerErrors("import { x } from '../../electron/main/ipc-transport'\nexport const a = x\n", 'electron/engine/x.ts')).toEqual([expect.stringMatching(/Layer rule 1/)])
    })

    it('electron/engine: importing shell code via a short relative path (../main/...) → error', async () => {
      // The shell pulls in electron; reaching it with the natural relative path must not slip through.
      expect(await layerErrors("import { x } from '../main/ipc-transport'\nexport const a = x\n", 'electron/engine/x.ts')).toEqual([expect.stringMatching(/Layer rule 1/)])
      expect(await layerErrors("import { x } from '../../main/harden'\nexport const a = x\n", 'electron/engine/core/x.ts')).toEqual([expect.stringMatching(/Layer rule 1/)])
    })

    it('electron/main may import electron', async () => {
      expect(await layerErrors("import { app } from 'electron'\nexport const a = app\n", 'electron/main/x.ts')).toEqual([])
    })

    it('electron/engine may import node:fs and native modules', async () => {
      expect(await layerErrors("import fs from 'node:fs'\nimport Database from 'better-sqlite3-multiple-ciphers'\nexport const a = [fs, Database]\n", 'electron/engine/x.ts')).toEqual([])
    })
  })

  describe('rule 2: the renderer imports no Node, native modules, electron or engine code', () => {
    it.each([
      ["import fs from 'node:fs'", /Layer rule 2/],
      ["import fs from 'fs'", /Layer rule 2/],
      ["import { join } from 'path'", /Layer rule 2/],
      ["import { AsyncEntry } from '@napi-rs/keyring'", /Layer rule 2/],
      ["import Database from 'better-sqlite3-multiple-ciphers'", /Layer rule 2/],
      ["import { ipcRenderer } from 'electron'", /Layer rule 2/],
      ["import { openEngine } from '../../electron/engine/core/engine'", /Layer rule 2/],
    ])('renderer/src/x.tsx: %s → error', async (imp, message) => {
      const name = /import (?:\{ )?(\w+)/.exec(imp)![1]
      const errors = await layerErrors(`${imp}\nexport const a = ${name}\n`, 'renderer/src/x.tsx')
      expect(errors).toHaveLength(1)
      expect(errors[0]).toMatch(message)
    })

    it('the renderer may import the shared contract and React', async () => {
      expect(await layerErrors("import { contract } from '../../shared/api'\nimport { useState } from 'react'\nexport const a = [contract, useState]\n", 'renderer/src/x.tsx')).toEqual([])
    })
  })

  describe('rule 3: shared/ imports neither Node, DOM, React nor Electron', () => {
    it.each([
      ["import { join } from 'path'", /Layer rule 3/],
      ["import { readFileSync } from 'node:fs'", /Layer rule 3/],
      ["import { app } from 'electron'", /Layer rule 3/],
      ["import { useState } from 'react'", /Layer rule 3/],
      ["import { openEngine } from '../electron/engine/core/engine'", /Layer rule 3/],
    ])('shared/x.ts: %s → error', async (imp, message) => {
      const name = /import (?:\{ )?(\w+)/.exec(imp)![1]
      const errors = await layerErrors(`${imp}\nexport const a = ${name}\n`, 'shared/x.ts')
      expect(errors).toHaveLength(1)
      expect(errors[0]).toMatch(message)
    })

    it('shared/x.ts: DOM and Node globals are refused too', async () => {
      const errors = await layerErrors('export const a = [window.location, process.env, Buffer.from("x")]\n', 'shared/x.ts')
      expect(errors.length).toBe(3)
    })

    it('shared/ may import zod and other shared modules', async () => {
      expect(await layerErrors("import { z } from 'zod'\nimport { slugSchema } from './config'\nexport const a = [z, slugSchema]\n", 'shared/x.ts')).toEqual([])
    })

    it('the same Node import is fine in the engine', async () => {
      expect(await layerErrors("import { join } from 'path'\nexport const a = join\n", 'electron/engine/x.ts')).toEqual([])
    })
  })

  it('tests may not be skipped or focused', async () => {
    const [result] = await eslint.lintText("import { it } from 'vitest'\nit.skip('x', () => {})\nit.only('y', () => {})\n", { filePath: 'test/unit/x.test.ts' })
    expect(result.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message)).toEqual([
      'Tests must run: no .only / .skip / .todo.',
      'Tests must run: no .only / .skip / .todo.',
    ])
  })
})

describe('layer rules on the real source tree (import graph)', () => {
  const root = process.cwd()
  const sources = (dir: string): string[] => {
    if (!existsSync(dir)) return []
    const out: string[] = []
    for (const name of readdirSync(dir)) {
      const p = join(dir, name)
      if (statSync(p).isDirectory()) out.push(...sources(p))
      else if (/\.(ts|tsx|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(p)
    }
    return out
  }
  const importsOf = (file: string): string[] => {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
    const specs: string[] = []
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      specs.push(m[1] ?? m[2] ?? m[3] ?? m[4])
    }
    return specs
  }
  const target = (file: string, spec: string): string | null => (spec.startsWith('.') ? relative(root, resolve(dirname(file), spec)) : null)
  const NODE = new Set(builtinModules)
  const isNode = (spec: string) => spec.startsWith('node:') || NODE.has(spec.split('/')[0])

  it('the import scanner sees real imports (so the checks below are not vacuous)', () => {
    const specs = importsOf(join(root, 'electron/engine/core/engine.ts'))
    expect(specs).toContain('node:crypto')
    expect(specs).toContain('../store/database')
    expect(specs).toContain('../../../shared/errors')
    expect(importsOf(join(root, 'electron/main/index.ts'))).toContain('electron')
  })

  it('engine, headless and sandbox files never import electron or the Electron shell', () => {
    const bad: string[] = []
    for (const f of ['electron/engine', 'electron/headless', 'electron/sandbox'].flatMap((d) => sources(join(root, d)))) {
      for (const spec of importsOf(f)) {
        const t = target(f, spec)
        if (spec === 'electron' || spec.startsWith('electron/') || (t && /^electron\/(main|preload)(\/|$)/.test(t))) bad.push(`${relative(root, f)} → ${spec}`)
      }
    }
    expect(bad).toEqual([])
  })

  it('renderer files import no Node built-ins, electron or code under electron/', () => {
    const bad: string[] = []
    for (const f of sources(join(root, 'renderer'))) {
      for (const spec of importsOf(f)) {
        const t = target(f, spec)
        if (isNode(spec) || spec === 'electron' || (t && /^electron(\/|$)/.test(t))) bad.push(`${relative(root, f)} → ${spec}`)
      }
    }
    expect(bad).toEqual([])
  })

  it('shared/ files import only zod and other shared/ files', () => {
    const bad: string[] = []
    const files = sources(join(root, 'shared'))
    expect(files.length).toBeGreaterThan(0)
    for (const f of files) {
      for (const spec of importsOf(f)) {
        const t = target(f, spec)
        if (t ? !/^shared(\/|$)/.test(t) : spec !== 'zod') bad.push(`${relative(root, f)} → ${spec}`)
      }
    }
    expect(bad).toEqual([])
  })
})
