/** Small pieces every mapping-studio view uses: provenance badges, value rendering, labels. */
import { Badge, Text, Tooltip } from '@mantine/core'
import type { MappingFormat, Provenance } from '../../../../shared/mapping'

export const FORMAT_LABELS: Record<MappingFormat, string> = {
  athena: 'athenaNet JSON',
  hl7: 'HL7 v2',
  fhir: 'FHIR R4',
  csv: 'CSV',
  studio: 'Practice Studio',
}

const PROVENANCE_COLOR: Record<Provenance, string> = { inherited: 'gray', overridden: 'blue', added: 'teal', removed: 'red' }
const PROVENANCE_HELP: Record<Provenance, string> = {
  inherited: 'As shipped: later shipped versions update it',
  overridden: "Changed for this practice: the shipped row is replaced",
  added: 'Added by this practice',
  removed: 'Shipped, but switched off for this practice',
}

export function ProvenanceBadge({ p, size = 'xs' }: { p: Provenance; size?: 'xs' | 'sm' }) {
  return (
    <Tooltip label={PROVENANCE_HELP[p]} withArrow>
      <Badge size={size} variant={p === 'inherited' ? 'outline' : 'light'} color={PROVENANCE_COLOR[p]} data-provenance={p}>
        {p}
      </Badge>
    </Tooltip>
  )
}

/** A mapped value as text: strings as they are, anything else as JSON, empty as a dash. */
export function showValue(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—'
  if (typeof v === 'string') return v
  return JSON.stringify(v)
}

export function ValueText({ value, masked, error, testId }: { value: unknown; masked?: boolean; error?: string | null; testId?: string }) {
  if (error) {
    return (
      <Text size="sm" c="red" fw={500} style={{ wordBreak: 'break-word' }} data-testid={testId} data-error="true">
        {error}
      </Text>
    )
  }
  return (
    <Text size="sm" ff="monospace" c={masked ? 'dimmed' : value === null || value === undefined ? 'dimmed' : undefined} style={{ wordBreak: 'break-all' }} data-testid={testId}>
      {showValue(value)}
    </Text>
  )
}

export function sourceText(source: string | string[] | undefined): string {
  if (source === undefined) return '—'
  return Array.isArray(source) ? source.join(' | ') : source
}
