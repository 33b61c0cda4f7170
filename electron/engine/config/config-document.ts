/**
 * The configuration document: practices with their connections and HL7 interfaces, as
 * diff-friendly JSON (stable key order, one practice per array element, no secrets, no ids that
 * differ between installs). See docs/CONFIG.md.
 */
import { z } from 'zod'
import { connectionConfigSchema, practiceConfigSchema, systemSettingsSchema } from '../../../shared/config'

export const CONFIG_FORMAT = 'practice-studio-config'
export const CONFIG_VERSION = 1

const connectionEntry = connectionConfigSchema
export const configPracticeSchema = practiceConfigSchema.extend({
  connections: z.array(connectionEntry).default([]),
  interfaces: z.array(connectionEntry).default([]),
  /** Mapping-set overrides per practice (see docs/CONFIG.md, "mappingSets"). */
  mappingSets: z.array(z.record(z.string(), z.unknown())).default([]),
})

export const configDocumentSchema = z
  .object({
    format: z.literal(CONFIG_FORMAT),
    version: z.literal(CONFIG_VERSION),
    practices: z.array(configPracticeSchema),
    /** The installation's settings (audit export, backups, pruner window); absent = left as they are. */
    system: systemSettingsSchema.optional(),
  })
  .superRefine((doc, ctx) => {
    const seen = new Set<string>()
    doc.practices.forEach((p, i) => {
      if (seen.has(p.id)) ctx.addIssue({ code: 'custom', path: ['practices', i, 'id'], message: `duplicate practice id "${p.id}"` })
      seen.add(p.id)
      const names = new Set<string>()
      for (const [field, list] of [['connections', p.connections], ['interfaces', p.interfaces]] as const) {
        list.forEach((c, j) => {
          const isInterface = c.kind === 'hl7-inbound' || c.kind === 'hl7-outbound'
          if (isInterface !== (field === 'interfaces')) {
            ctx.addIssue({ code: 'custom', path: ['practices', i, field, j, 'kind'], message: field === 'interfaces' ? 'interfaces are hl7-inbound or hl7-outbound' : 'HL7 interfaces belong under "interfaces"' })
          }
          if (names.has(c.name)) ctx.addIssue({ code: 'custom', path: ['practices', i, field, j, 'name'], message: `duplicate name "${c.name}" in practice "${p.id}"` })
          names.add(c.name)
        })
      }
    })
  })

export type ConfigDocument = z.infer<typeof configDocumentSchema>
export type ConfigPractice = z.infer<typeof configPracticeSchema>
