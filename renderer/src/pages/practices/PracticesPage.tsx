import { Badge, Button, Group, Modal, Table, Text } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { IconPencil, IconPlus, IconTrash } from '@tabler/icons-react'
import { useState } from 'react'
import type { Practice } from '../../../../shared/api/practices'
import { ALL_PRACTICES } from '../../../../shared/api/access'
import { useApi, useApiMutation } from '../../api/client'
import { useAuth } from '../../app/auth'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageHeader } from '../../components/PageHeader'
import { Time } from '../../app/time-format'
import { DeletePracticeModal } from './DeletePracticeModal'
import { PracticeForm, retentionInput, type PracticeFormValues } from './PracticeForm'

export function PracticesPage() {
  const list = useApi('practices.list', {})
  const create = useApiMutation('practices.create', ['practices.list'])
  const update = useApiMutation('practices.update', ['practices.list'])
  const { mayCall } = useAuth()
  const [editing, setEditing] = useState<Practice | 'new' | null>(null)
  const [deleting, setDeleting] = useState<Practice | null>(null)

  const submit = (v: PracticeFormValues) => {
    const common = {
      name: v.name,
      athenaPracticeId: v.athenaPracticeId.trim() === '' ? null : v.athenaPracticeId.trim(),
      environment: v.environment,
      timeZone: v.timeZone,
    }
    if (editing === 'new') {
      create.mutate(
        { id: v.id, ...common, settings: { unknownPatientRule: v.unknownPatientRule, phoneCountry: 'US', ...(retentionInput(v.retention, undefined) ? { retention: retentionInput(v.retention, undefined) } : {}) } },
        {
          onSuccess: (p) => {
            notifications.show({ color: 'teal', title: 'Practice created', message: `${p.name} (${p.id})` })
            setEditing(null)
          },
        },
      )
    } else if (editing) {
      update.mutate(
        { id: editing.id, ...common, settings: { unknownPatientRule: v.unknownPatientRule, ...(retentionInput(v.retention, editing.settings.retention) ? { retention: retentionInput(v.retention, editing.settings.retention) } : {}) } },
        {
          onSuccess: (p) => {
            notifications.show({ color: 'teal', title: 'Practice saved', message: `${p.name} (${p.id})` })
            setEditing(null)
          },
        },
      )
    }
  }

  return (
    <>
      <PageHeader
        title="Practices"
        description="athenahealth practices configured side by side. Their data never mixes."
        actions={
          mayCall('practices.create', ALL_PRACTICES) ? (
            <Button leftSection={<IconPlus size={16} />} onClick={() => (create.reset(), setEditing('new'))}>
              New practice
            </Button>
          ) : null
        }
      />
      <ErrorAlert error={list.error} />
      <Table striped highlightOnHover data-testid="practices-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Id</Table.Th>
            <Table.Th>athenaNet practice</Table.Th>
            <Table.Th>Environment</Table.Th>
            <Table.Th>Time zone</Table.Th>
            <Table.Th>Unknown patients</Table.Th>
            <Table.Th>Updated</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(list.data ?? []).map((p) => (
            <Table.Tr key={p.id} data-testid={`practice-row-${p.id}`}>
              <Table.Td>
                <Group gap="xs">
                  <Text fw={500}>{p.name}</Text>
                  {p.builtin ? <Badge size="xs" variant="light">built-in</Badge> : null}
                </Group>
              </Table.Td>
              <Table.Td>
                <Text ff="monospace" size="sm">
                  {p.id}
                </Text>
              </Table.Td>
              <Table.Td>{p.athenaPracticeId ?? '—'}</Table.Td>
              <Table.Td>
                <Badge variant="outline" color={p.environment === 'production' ? 'red' : p.environment === 'preview' ? 'blue' : 'gray'}>
                  {p.environment}
                </Badge>
              </Table.Td>
              <Table.Td>{p.timeZone}</Table.Td>
              <Table.Td>{p.settings.unknownPatientRule}</Table.Td>
              <Table.Td><Time value={p.updatedAt} /></Table.Td>
              <Table.Td>
                <Group gap={4} justify="flex-end" wrap="nowrap">
                  {mayCall('practices.update', p.id) ? (
                    <Button size="xs" variant="subtle" leftSection={<IconPencil size={14} />} onClick={() => (update.reset(), setEditing(p))} aria-label={`Edit ${p.id}`}>
                      Edit
                    </Button>
                  ) : null}
                  {mayCall('practices.delete', ALL_PRACTICES) ? (
                    <Button size="xs" variant="subtle" color="red" leftSection={<IconTrash size={14} />} disabled={p.builtin} onClick={() => setDeleting(p)} aria-label={`Delete ${p.id}`}>
                      Delete
                    </Button>
                  ) : null}
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>

      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? 'New practice' : 'Edit practice'} size="lg">
        {editing !== null ? (
          <PracticeForm
            key={editing === 'new' ? 'new' : editing.id}
            initial={editing === 'new' ? undefined : editing}
            submitLabel={editing === 'new' ? 'Create practice' : 'Save'}
            onSubmit={submit}
            onCancel={() => setEditing(null)}
            error={editing === 'new' ? create.error : update.error}
            busy={create.isPending || update.isPending}
          />
        ) : null}
      </Modal>
      <DeletePracticeModal practice={deleting} onClose={() => setDeleting(null)} />
    </>
  )
}
