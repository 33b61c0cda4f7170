/**
 * Where the test corpus lives: the vendored copy in test/corpus (byte-for-byte from ../shared/corpus,
 * licences in test/corpus/SOURCES.md), so a clean clone tests the same files. CORPUS_DIR overrides it.
 */
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const CORPUS_ROOT = process.env.CORPUS_DIR ?? resolve(fileURLToPath(new URL('.', import.meta.url)), '../corpus')
export const HL7_CORPUS = process.env.HL7_CORPUS_DIR ?? resolve(CORPUS_ROOT, 'hl7')
