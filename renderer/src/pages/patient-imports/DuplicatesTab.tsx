import { Badge, Button, Card, Group, Stack, Table, Text } from '@mantine/core'
import { useState } from 'react'
import type { DuplicatePairDto } from '../../../../shared/api/matching'
import { api, useApi, useApiMutation } from '../../api/client'
import { useMayCall } from '../../app/auth'
import { ErrorAlert } from '../../components/ErrorAlert'
import { downloadText } from '../../components/download'
import { show } from './show-value'

const GRADE_COLOR: Record<string, string> = { certain: 'teal', probable: 'orange', possible: 'yellow' }
const FIELDS = ['first_name', 'middle_name', 'last_name', 'date_of_birth', 'gender', 'address', 'phone_home', 'phone_mobile', 'email', 'insurance'] as const

/** One pair side by side with the score's reasons; merge (keeps both records, reversible), link, keep separate, not a duplicate. */
function PairCard({ practiceId, pair }: { practiceId: string; pair: DuplicatePairDto }) {
  const detail = useApi('matching.pair', { practiceId, id: pair.id })
  const resolve = useApiMutation('matching.resolve', ['matching.worklist', 'matching.pair', 'audit.list'])
  const mayResolve = useMayCall('matching.resolve', practiceId)
  const a = detail.data?.a
  const b = detail.data?.b
  const act = (action: 'link' | 'merge' | 'distinct' | 'not_duplicate') => resolve.mutate({ practiceId, id: pair.id, action, ...(action === 'merge' ? { survivor: pair.recordA } : {}) })
  return (
    <Card withBorder data-testid={`pair-${pair.id}`}>
      <Stack gap="xs">
        <Group justify="space-between">
          <Text fw={600}>
            Records {pair.recordA} and {pair.recordB}
            {pair.line ? <Text span c="dimmed" size="sm"> (file line {pair.line})</Text> : null}
          </Text>
          <Group gap={6}>
            <Badge color={GRADE_COLOR[pair.grade]} data-testid="pair-grade">
              {pair.grade} {pair.score.toFixed(1)}
            </Badge>
            {pair.trap ? <Badge color="red" variant="light">{pair.trap}</Badge> : null}
          </Group>
        </Group>
        <Text size="sm" data-testid="pair-reasons">
          Why: {pair.reasons.join(', ')}
        </Text>
        <ErrorAlert error={detail.error ?? resolve.error} />
        {a && b ? (
          <Table withTableBorder>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Field</Table.Th>
                <Table.Th>Record {a.id} (kept when merged)</Table.Th>
                <Table.Th>Record {b.id}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {FIELDS.filter((f) => a.data[f] !== undefined || b.data[f] !== undefined).map((f) => (
                <Table.Tr key={f}>
                  <Table.Td>{f}</Table.Td>
                  <Table.Td data-testid={`a-${f}`}>{show(a.data[f])}</Table.Td>
                  <Table.Td data-testid={`b-${f}`}>{show(b.data[f])}</Table.Td>
                </Table.Tr>
              ))}
              <Table.Tr>
                <Table.Td>ids</Table.Td>
                <Table.Td>{a.externalIds.map((x) => x.value).join(', ')}</Table.Td>
                <Table.Td>{b.externalIds.map((x) => x.value).join(', ')}</Table.Td>
              </Table.Tr>
            </Table.Tbody>
          </Table>
        ) : null}
        {mayResolve ? (
          <Group gap="xs">
            <Button size="xs" onClick={() => act('merge')} loading={resolve.isPending}>
              Merge into record {pair.recordA}
            </Button>
            <Button size="xs" variant="light" onClick={() => act('link')}>
              Link (same person, keep both)
            </Button>
            <Button size="xs" variant="light" onClick={() => act('distinct')}>
              Keep separate
            </Button>
            <Button size="xs" variant="subtle" onClick={() => act('not_duplicate')}>
              Not a duplicate
            </Button>
          </Group>
        ) : null}
      </Stack>
    </Card>
  )
}

/** The potential-duplicates worklist: open pairs (never merged automatically) and the CSV export of every decision. */
export function DuplicatesTab({ practiceId }: { practiceId: string }) {
  const open = useApi('matching.worklist', { practiceId, status: 'open' })
  const mayExport = useMayCall('matching.exportCsv', practiceId)
  const [exportError, setExportError] = useState<Error | null>(null)
  const pairs = open.data ?? []
  return (
    <Stack>
      <ErrorAlert error={open.error ?? exportError} />
      {mayExport ? (
        <Group>
          <Button
            size="xs"
            variant="light"
            onClick={() => {
              setExportError(null)
              void api('matching.exportCsv', { practiceId }).then((f) => downloadText(f.fileName, f.csv), setExportError)
            }}
          >
            Export worklist (CSV)
          </Button>
        </Group>
      ) : null}
      {open.data && pairs.length === 0 ? (
        <Text c="dimmed" data-testid="no-duplicates">
          No possible duplicate waits for a decision.
        </Text>
      ) : null}
      {pairs.map((p) => (
        <PairCard key={p.id} practiceId={practiceId} pair={p} />
      ))}
    </Stack>
  )
}
