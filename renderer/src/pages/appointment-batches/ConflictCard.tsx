import { Badge, Button, Card, Group, Stack, Table, Text, TextInput } from '@mantine/core'
import { useState } from 'react'
import type { ApptConflict } from '../../../../shared/appointment-batch'
import { useApi, useApiMutation } from '../../api/client'
import { useMayCall } from '../../app/auth'
import { ErrorAlert } from '../../components/ErrorAlert'

const show = (v: unknown): string => (v === null || v === undefined || v === '' ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v))

/** One conflict: the rule in words, each field side by side (last synced, Practice Studio now, the file), and the three ways out. */
export function ConflictCard({ practiceId, conflict }: { practiceId: string; conflict: ApptConflict }) {
  const detail = useApi('appointments.conflict', { practiceId, id: conflict.id })
  const resolve = useApiMutation('appointments.resolveConflict', ['appointments.conflicts', 'appointments.conflict', 'appointments.runs'])
  const mayResolve = useMayCall('appointments.resolveConflict', practiceId)
  const [editing, setEditing] = useState<Record<string, string> | null>(null)
  const current = detail.data?.current ?? conflict.ours
  return (
    <Card withBorder data-testid={`conflict-${conflict.appointmentId}`}>
      <Stack gap="xs">
        <Group justify="space-between">
          <Text fw={600}>
            Appointment {conflict.appointmentId} <Text span c="dimmed" size="sm">(file line {conflict.line})</Text>
          </Text>
          <Badge color={conflict.status === 'open' ? 'orange' : 'teal'}>{conflict.status === 'open' ? conflict.rule.replace('_', ' ') : `resolved: ${conflict.resolution}`}</Badge>
        </Group>
        <Text size="sm">{conflict.ruleWords}</Text>
        <Table withTableBorder>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Field</Table.Th>
              <Table.Th>Last synced</Table.Th>
              <Table.Th>Practice Studio (ours)</Table.Th>
              <Table.Th>File (theirs)</Table.Th>
              {editing ? <Table.Th>Edit</Table.Th> : null}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {conflict.fields.map((f) => (
              <Table.Tr key={f.field}>
                <Table.Td>{f.field}</Table.Td>
                <Table.Td>{show(f.base)}</Table.Td>
                <Table.Td data-testid={`ours-${f.field}`}>{show(current[f.field])}</Table.Td>
                <Table.Td data-testid={`theirs-${f.field}`}>{show(f.theirs)}</Table.Td>
                {editing ? (
                  <Table.Td>
                    <TextInput size="xs" aria-label={`New ${f.field}`} value={editing[f.field] ?? ''} onChange={(e) => setEditing({ ...editing, [f.field]: e.currentTarget.value })} />
                  </Table.Td>
                ) : null}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {resolve.error ? <ErrorAlert error={resolve.error} /> : null}
        {conflict.status === 'open' && mayResolve ? (
          <Group gap="xs">
            <Button size="xs" onClick={() => resolve.mutate({ practiceId, id: conflict.id, resolution: 'theirs' })}>
              Take theirs
            </Button>
            <Button size="xs" variant="light" onClick={() => resolve.mutate({ practiceId, id: conflict.id, resolution: 'ours' })}>
              Keep ours
            </Button>
            {editing ? (
              <Button size="xs" variant="outline" onClick={() => resolve.mutate({ practiceId, id: conflict.id, resolution: 'edit', values: editing })}>
                Save edit
              </Button>
            ) : (
              <Button size="xs" variant="subtle" onClick={() => setEditing(Object.fromEntries(conflict.fields.map((f) => [f.field, show(current[f.field]) === '—' ? '' : show(current[f.field])])))}>
                Edit…
              </Button>
            )}
          </Group>
        ) : null}
      </Stack>
    </Card>
  )
}
