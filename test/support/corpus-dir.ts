/**
 * Where the test corpus lives: the vendored copy in test/corpus (byte-for-byte from ../shared/corpus,
 * licences in test/corpus/SOURCES.md), so a clean clone tests the same files. CORPUS_DIR overrides it.
 * Resolved from the working directory (the repository root for vitest, playwright and the benches)
 * because Playwright loads this file as CommonJS, where import.meta does not exist.
 */
import { resolve } from 'node:path'

export const CORPUS_ROOT = resolve(process.env.CORPUS_DIR ?? 'test/corpus')
export const HL7_CORPUS = resolve(process.env.HL7_CORPUS_DIR ?? `${CORPUS_ROOT}/hl7`)
