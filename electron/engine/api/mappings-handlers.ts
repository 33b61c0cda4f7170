/** The mapping studio's API: thin wrappers over MappingStudio (electron/engine/mapping-store). */
import type { EngineContext } from '../core/engine-context'
import { MappingStudio } from '../mapping-store/mapping-studio'
import type { Handlers } from './dispatcher'

type MappingMethods = Extract<keyof Handlers, `mappings.${string}`>

export function mappingsHandlers(ctx: EngineContext): Pick<Handlers, MappingMethods> {
  const studio = new MappingStudio({
    db: ctx.db,
    mappings: ctx.mappings,
    practices: ctx.practices,
    txRepo: ctx.txRepo,
    pipeline: ctx.pipeline,
    audit: ctx.audit,
    clock: ctx.clock,
  })
  return {
    'mappings.sets': ({ practiceId }) => studio.sets(practiceId),
    'mappings.get': ({ practiceId, key }) => studio.editorState(practiceId, key),
    'mappings.effective': ({ practiceId, key, override }) => studio.effectiveView(practiceId, key, override),
    'mappings.saveDraft': ({ practiceId, key, override }, c) => studio.saveDraft(practiceId, key, override, c.actor),
    'mappings.discardDraft': ({ practiceId, key }) => ({ discarded: studio.discardDraft(practiceId, key) }),
    'mappings.preview': ({ practiceId, key, override, sample, traceFieldId }) => studio.preview(practiceId, key, override, sample, traceFieldId),
    'mappings.runTests': ({ practiceId, key, override }) => studio.runTests(practiceId, key, override),
    'mappings.testFromSample': ({ practiceId, key, override, sample, name }) => studio.testFromSample(practiceId, key, override, sample, name),
    'mappings.publish': ({ practiceId, key, ...input }, c) => studio.publish(practiceId, key, input, c.actor),
    'mappings.versions': ({ practiceId, key }) => studio.versions(practiceId, key),
    'mappings.diff': ({ practiceId, key, from, to }) => studio.diff(practiceId, key, from, to),
    'mappings.rollback': ({ practiceId, key, version, comment }, c) => studio.rollback(practiceId, key, version, c.actor, comment),
    'mappings.export': ({ practiceId, key, version, content }) => studio.exportSet(practiceId, key, version, content),
    'mappings.import': ({ practiceId, key, json }, c) => studio.importSet(practiceId, key, json, c.actor),
    'mappings.codeMapExport': ({ practiceId, key, override, map }) => studio.codeMapExport(practiceId, key, override, map),
    'mappings.codeMapImport': ({ practiceId, key, override, map, csv, mode }) => studio.codeMapImport(practiceId, key, override, map, csv, mode),
    'mappings.samples.list': ({ practiceId }) => studio.listSamples(practiceId),
    'mappings.samples.add': ({ practiceId, ...input }, c) => studio.addSample(practiceId, input, c.actor),
    'mappings.samples.remove': ({ practiceId, id }) => ({ removed: studio.removeSample(practiceId, id) }),
    'mappings.samples.sources': ({ practiceId }) => studio.sources(practiceId),
    'mappings.samples.browse': ({ practiceId, source, key, q }) => studio.browse(practiceId, source, key, q),
    'mappings.samples.import': ({ practiceId, source, id }, c) => studio.importSample(practiceId, source, id, c.actor),
    'mappings.samples.tree': ({ practiceId, key, sample }) => studio.tree(practiceId, key, sample),
    'mappings.samples.reveal': ({ practiceId, id, reason }, c) => ({ revealedUntil: studio.reveal(practiceId, id, reason, c.actor) }),
    'mappings.misses': ({ practiceId, includeResolved }) => studio.misses(practiceId, includeResolved ?? false),
    'mappings.addMissEntry': ({ practiceId, key, ...input }, c) => studio.addMissEntry(practiceId, key, input, c.actor),
    'mappings.reprocessMisses': ({ practiceId, key, map, value }, c) => studio.reprocessMisses(practiceId, key, map, value, c.actor),
    'mappings.dismissMiss': ({ practiceId, key, map, value }, c) => ({ dismissed: studio.dismissMiss(practiceId, key, map, value, c.actor) }),
  }
}
