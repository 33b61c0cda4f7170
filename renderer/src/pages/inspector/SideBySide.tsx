import { Badge, Card, Grid, ScrollArea, Table, Text, Title, UnstyledButton } from '@mantine/core'
import { useMemo, useState } from 'react'
import type { InspectorNode, InspectorStage, LineageEntry } from '../../../../shared/api/inspector'
import type { RevealGate } from '../../components/console/reveal-gate'
import { StageView, STAGE_LABEL } from './StageView'

/** `PID-5.1` → the tree paths to light up: the component and its field (`PID-5`). */
export function sourceNodes(sources: string[]): Set<string> {
  const out = new Set<string>()
  for (const s of sources) {
    out.add(s)
    const field = /^([A-Z][A-Z0-9]{2}(?:\[\d+\])?-\d+)/.exec(s)
    if (field) out.add(field[1] as string)
  }
  return out
}

function findNode(nodes: InspectorNode[], path: string): InspectorNode | undefined {
  for (const n of nodes) {
    if (n.path === path) return n
    if (n.children && path.startsWith(`${n.path}/`)) {
      const c = findNode(n.children, path)
      if (c) return c
    }
  }
  return undefined
}

/**
 * The message and what it was mapped to, side by side: each mapped field names the source path
 * that fed it; choosing one highlights that field in the message.
 */
export function SideBySide({ txId, source, mapped, gate }: { txId: number; source: InspectorStage; mapped: InspectorStage; gate: RevealGate }) {
  const lineage = useMemo(() => mapped.lineage ?? [], [mapped])
  const [chosen, setChosen] = useState<LineageEntry | null>(lineage[0] ?? null)
  const highlight = useMemo(() => sourceNodes(chosen?.sources ?? []), [chosen])
  return (
    <Grid data-testid="side-by-side">
      <Grid.Col span={{ base: 12, md: 6 }}>
        <Card withBorder>
          <Title order={5} mb="xs">
            {STAGE_LABEL[source.stage]} message
          </Title>
          {/* Remounted per choice so the segments holding the source open. */}
          <StageView key={chosen?.path ?? 'none'} txId={txId} stage={source} gate={gate} highlight={highlight} />
        </Card>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 6 }}>
        <Card withBorder>
          <Title order={5} mb="xs">
            Mapped fields and where each came from
          </Title>
          {lineage.length === 0 ? (
            <Text size="sm" c="dimmed">
              No lineage for this transaction (it was not mapped by an HL7 mapping set).
            </Text>
          ) : (
            <ScrollArea.Autosize mah="calc(100vh - 420px)">
              <Table fz="sm" data-testid="lineage-table" highlightOnHover>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Field</Table.Th>
                    <Table.Th>Value</Table.Th>
                    <Table.Th>From</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {lineage.map((e) => {
                    const node = findNode(mapped.tree, e.path)
                    const on = chosen?.path === e.path
                    return (
                      <Table.Tr key={e.path} bg={on ? 'var(--mantine-color-yellow-light)' : undefined} data-testid={`lineage-${e.target}`}>
                        <Table.Td>
                          <UnstyledButton onClick={() => setChosen(e)} aria-pressed={on} aria-label={`Show the source of ${e.target}`} ff="monospace" fz="sm">
                            {e.target}
                          </UnstyledButton>
                        </Table.Td>
                        <Table.Td ff="monospace">{node?.masked ? '•••' : (node?.value ?? '')}</Table.Td>
                        <Table.Td>
                          {e.sources.map((s) => (
                            <Badge key={s} variant="light" tt="none" mr={4}>
                              {s}
                            </Badge>
                          ))}
                        </Table.Td>
                      </Table.Tr>
                    )
                  })}
                </Table.Tbody>
              </Table>
              <Text size="xs" c="dimmed" mt="xs">
                Read from {lineage[0]?.mappingSet}
                {lineage[0]?.version ? ` (practice version ${lineage[0].version})` : ' (shipped set)'}, as published now.
              </Text>
            </ScrollArea.Autosize>
          )}
        </Card>
      </Grid.Col>
    </Grid>
  )
}
