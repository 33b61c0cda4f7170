import { Badge, Button, Card, Code, Group, Modal, Table, Text } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { IconPencil, IconPlayerPlay, IconPlus, IconTrash } from '@tabler/icons-react'
import { useState } from 'react'
import type { Connection } from '../../../../shared/api/connections'
import type { FileJobDto } from '../../../../shared/api/files'
import { ApiError, api, useApi, useApiMutation } from '../../api/client'
import { useMayCall } from '../../app/auth'
import { Time } from '../../app/time-format'
import { ErrorAlert } from '../../components/ErrorAlert'
import { FileJobForm, type FileJobFormValues } from './FileJobForm'

const RUN_COLOR: Record<string, string> = { ok: 'teal', partial: 'orange', error: 'red', interrupted: 'red', running: 'blue' }

/** What a run did, in a few words (the summary's counts). */
function summaryText(s: Record<string, unknown>): string {
  const parts = ['received', 'duplicates', 'errors', 'produced', 'rows'].filter((k) => typeof s[k] === 'number').map((k) => `${k} ${String(s[k])}`)
  if (typeof s.name === 'string') parts.push(s.name)
  return parts.join(', ')
}

/** The file jobs of a practice: each pickup or drop with its location, schedule and last run; run now, edit, delete. */
export function FileJobsCard({ practiceId, locations }: { practiceId: string; locations: Connection[] }) {
  const jobs = useApi('files.jobs.list', { practiceId }, { refetchInterval: 5000 })
  const kinds = useApi('files.kinds', {})
  const run = useApiMutation('files.jobs.run', ['files.jobs.list', 'files.list', 'audit.list'])
  const remove = useApiMutation('files.jobs.delete', ['files.jobs.list'])
  const mayManage = useMayCall('files.jobs.create', practiceId)
  const mayRun = useMayCall('files.jobs.run', practiceId)
  const [editing, setEditing] = useState<{ job?: FileJobDto } | null>(null)
  const [busy, setBusy] = useState(false)
  const [saveError, setSaveError] = useState<ApiError | null>(null)
  const [running, setRunning] = useState<string | null>(null)
  const label = (k: string, d: string) => kinds.data?.find((x) => x.kind === k && x.direction === d)?.label ?? k
  const where = (id: string) => locations.find((l) => l.id === id)?.name ?? id

  const save = async (v: FileJobFormValues) => {
    setBusy(true)
    setSaveError(null)
    try {
      const body = { practiceId, name: v.name, enabled: v.enabled, config: v.config as FileJobDto['config'] }
      const saved = editing?.job ? await api('files.jobs.update', { id: editing.job.id, ...body }) : await api('files.jobs.create', body)
      await jobs.refetch()
      notifications.show({ color: 'teal', title: editing?.job ? 'File job saved' : 'File job created', message: saved.name })
      setEditing(null)
    } catch (e) {
      setSaveError(e instanceof ApiError ? e : new ApiError({ code: 'internal', message: (e as Error).message, retryable: false }))
    } finally {
      setBusy(false)
    }
  }

  const runNow = (j: FileJobDto) => {
    setRunning(j.id)
    run.mutate({ id: j.id, practiceId, waitForRows: true }, { onSettled: () => setRunning(null) })
  }

  return (
    <Card withBorder mt="md" data-testid="file-jobs">
      <Group justify="space-between" mb="xs">
        <Text fw={600}>File jobs</Text>
        {mayManage ? (
          <Button size="xs" leftSection={<IconPlus size={14} />} onClick={() => { setSaveError(null); setEditing({}) }} disabled={!kinds.data}>
            New file job
          </Button>
        ) : null}
      </Group>
      <ErrorAlert error={jobs.error ?? run.error ?? remove.error} />
      {jobs.data && jobs.data.length === 0 ? (
        <Text size="sm" c="dimmed">
          No file jobs yet: a job picks files up from a location, or drops files there, now or on a schedule.
        </Text>
      ) : null}
      {jobs.data?.length ? (
        <Table data-testid="file-jobs-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Kind</Table.Th>
              <Table.Th>Where</Table.Th>
              <Table.Th>Schedule</Table.Th>
              <Table.Th>Last run</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {jobs.data.map((j) => (
              <Table.Tr key={j.id} data-testid={`file-job-${j.name}`}>
                <Table.Td>{j.name}</Table.Td>
                <Table.Td>
                  <Badge variant="light" color={j.config.direction === 'inbound' ? 'blue' : 'grape'}>
                    {j.config.direction === 'inbound' ? 'pick up' : 'drop'}
                  </Badge>{' '}
                  {label(j.config.kind, j.config.direction)}
                </Table.Td>
                <Table.Td>
                  <Code>
                    {where(j.config.connectionId)}:/{j.config.folder}
                  </Code>
                </Table.Td>
                <Table.Td>{j.config.schedule ? <Code>{j.config.schedule}</Code> : <Text size="sm" c="dimmed">run now only</Text>}</Table.Td>
                <Table.Td data-testid="last-run">
                  {j.lastRun ? (
                    <Group gap={6}>
                      <Badge color={RUN_COLOR[j.lastRun.status] ?? 'gray'} data-testid="last-run-status">
                        {j.lastRun.status}
                      </Badge>
                      <Text size="xs" data-testid="last-run-summary">
                        {j.lastRun.error ? `${j.lastRun.error.code}: ${j.lastRun.error.message}` : summaryText(j.lastRun.summary)}
                      </Text>
                      <Text size="xs" c="dimmed">
                        <Time value={j.lastRun.startedAt} />
                      </Text>
                    </Group>
                  ) : (
                    <Text size="sm" c="dimmed">never</Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Group gap={4} justify="flex-end" wrap="nowrap">
                    {mayRun ? (
                      <Button size="xs" variant="light" leftSection={<IconPlayerPlay size={14} />} loading={running === j.id || j.running} disabled={running !== null} onClick={() => runNow(j)} aria-label={`Run ${j.name} now`}>
                        Run now
                      </Button>
                    ) : null}
                    {mayManage ? (
                      <>
                        <Button size="xs" variant="subtle" leftSection={<IconPencil size={14} />} onClick={() => { setSaveError(null); setEditing({ job: j }) }} aria-label={`Edit job ${j.name}`}>
                          Edit
                        </Button>
                        <Button size="xs" variant="subtle" color="red" leftSection={<IconTrash size={14} />} aria-label={`Delete job ${j.name}`} onClick={() => { if (window.confirm(`Delete file job "${j.name}"?`)) remove.mutate({ id: j.id, practiceId }) }}>
                          Delete
                        </Button>
                      </>
                    ) : null}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing?.job ? `Edit file job ${editing.job.name}` : 'New file job'} size="xl">
        {editing && kinds.data ? (
          <FileJobForm key={editing.job?.id ?? 'new'} initial={editing.job} kinds={kinds.data} locations={locations} onSubmit={(v) => void save(v)} onCancel={() => setEditing(null)} error={saveError} busy={busy} />
        ) : null}
      </Modal>
    </Card>
  )
}
