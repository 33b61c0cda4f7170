import { Alert, Badge, Button, Code, Group, ScrollArea, SegmentedControl, Stack, Text } from '@mantine/core'
import { IconEye, IconEyeOff } from '@tabler/icons-react'
import { useState } from 'react'
import type { InspectorNode, InspectorStage } from '../../../../shared/api/inspector'
import { api } from '../../api/client'
import { InspectorTree } from '../../components/console/InspectorTree'
import type { RevealGate } from '../../components/console/reveal-gate'
import { ErrorAlert } from '../../components/ErrorAlert'

export const STAGE_LABEL: Record<string, string> = { raw: 'Raw', current: 'Edited', parsed: 'Parsed', mapped: 'Mapped', outbound: 'Outbound', response: 'ACK / response' }

/** Revealed fields of one stage, and the whole stage in clear; each reveal goes through the gate (reason policy) and can be hidden again. */
export function useStageReveal(txId: number, stage: InspectorStage, gate: RevealGate) {
  const [revealed, setRevealed] = useState<Record<string, InspectorNode>>({})
  const [fullText, setFullText] = useState<string | null>(null)
  const [error, setError] = useState<Error | null>(null)
  const label = STAGE_LABEL[stage.stage]?.toLowerCase() ?? stage.stage
  return {
    revealed,
    fullText,
    error,
    reveal: (path: string) =>
      gate.gate(`${path} of the ${label} message`, (reason) =>
        api('inspector.reveal', { id: txId, stage: stage.stage, path, ...(reason ? { reason } : {}) })
          .then((r) => r.node && setRevealed((m) => ({ ...m, [path]: r.node! })))
          .catch((e: Error) => setError(e)),
      ),
    hide: (path: string) =>
      setRevealed((m) => {
        const { [path]: _gone, ...rest } = m
        return rest
      }),
    revealAll: () =>
      gate.gate(`the whole ${label} message`, (reason) =>
        api('inspector.reveal', { id: txId, stage: stage.stage, path: '*', ...(reason ? { reason } : {}) })
          .then((r) => setFullText(r.text))
          .catch((e: Error) => setError(e)),
      ),
    hideAll: () => {
      setFullText(null)
      setRevealed({})
    },
  }
}

export function StageView({ txId, stage, gate, highlight }: { txId: number; stage: InspectorStage; gate: RevealGate; highlight?: ReadonlySet<string> }) {
  const [mode, setMode] = useState<'tree' | 'text'>(stage.tree.length ? 'tree' : 'text')
  const r = useStageReveal(txId, stage, gate)
  const anyRevealed = r.fullText !== null || Object.keys(r.revealed).length > 0
  return (
    <Stack gap="xs" data-testid={`stage-${stage.stage}`}>
      <Group justify="space-between">
        <Group gap="xs">
          <SegmentedControl
            size="xs"
            value={mode}
            onChange={(v) => setMode(v as 'tree' | 'text')}
            aria-label="Show as"
            data={[
              { value: 'tree', label: 'Tree', disabled: stage.tree.length === 0 },
              { value: 'text', label: 'Text' },
            ]}
          />
          <Badge variant="light" color="gray">
            {stage.format}
          </Badge>
          {stage.maskedCount > 0 ? (
            <Text size="xs" c="dimmed">
              {stage.maskedCount} PHI field{stage.maskedCount === 1 ? '' : 's'} masked; revealing one is recorded in the audit trail.
            </Text>
          ) : null}
        </Group>
        <Group gap="xs">
          {anyRevealed ? (
            <Button size="xs" variant="default" leftSection={<IconEyeOff size={14} />} onClick={r.hideAll}>
              Hide revealed data
            </Button>
          ) : null}
          {stage.maskedCount > 0 ? (
            <Button size="xs" variant="light" color="orange" leftSection={<IconEye size={14} />} onClick={r.revealAll} disabled={r.fullText !== null}>
              Reveal whole {STAGE_LABEL[stage.stage]?.toLowerCase() ?? stage.stage}
            </Button>
          ) : null}
        </Group>
      </Group>
      {stage.parseError ? (
        <Alert color="orange" p="xs">
          Shown without validation{stage.format === 'hl7' ? ', every value masked' : ''}: {stage.parseError}
        </Alert>
      ) : null}
      <ErrorAlert error={r.error} />
      <ScrollArea.Autosize mah="calc(100vh - 420px)">
        {mode === 'tree' ? (
          <InspectorTree nodes={stage.tree} revealed={r.revealed} onReveal={r.reveal} onHide={r.hide} {...(highlight ? { highlight } : {})} />
        ) : (
          <Code block data-testid={`text-${stage.stage}`} style={{ whiteSpace: 'pre', overflowX: 'auto' }}>
            {r.fullText ?? stage.text ?? ''}
          </Code>
        )}
      </ScrollArea.Autosize>
    </Stack>
  )
}
