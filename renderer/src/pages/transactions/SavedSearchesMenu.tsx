import { ActionIcon, Button, Group, Menu, Modal, Stack, Text, TextInput } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { IconBookmark, IconTrash } from '@tabler/icons-react'
import { useState } from 'react'
import { useApi, useApiMutation } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'
import { fromSaved, toSaved, type LogFilter } from './log-filter'

/** Saved searches of this practice (kept in the engine, shared by every operator, audited). */
export function SavedSearchesMenu({ practiceId, current, onApply }: { practiceId: string; current: LogFilter; onApply(f: LogFilter): void }) {
  const list = useApi('savedSearches.list', { practiceId })
  const save = useApiMutation('savedSearches.save', ['savedSearches.list'])
  const del = useApiMutation('savedSearches.delete', ['savedSearches.list'])
  const [naming, setNaming] = useState(false)
  const [name, setName] = useState('')

  return (
    <>
      <Menu position="bottom-end" width={300}>
        <Menu.Target>
          <Button variant="default" leftSection={<IconBookmark size={16} />}>
            Saved searches
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          {(list.data ?? []).length === 0 ? <Menu.Label>No saved searches yet</Menu.Label> : <Menu.Label>Apply</Menu.Label>}
          {(list.data ?? []).map((s) => (
            <Group key={s.id} gap={0} wrap="nowrap">
              <Menu.Item onClick={() => onApply(fromSaved(s.filter))} style={{ flex: 1 }}>
                {s.name}
              </Menu.Item>
              <ActionIcon variant="subtle" color="red" aria-label={`Delete saved search ${s.name}`} onClick={() => del.mutate({ id: s.id })}>
                <IconTrash size={14} />
              </ActionIcon>
            </Group>
          ))}
          <Menu.Divider />
          <Menu.Item onClick={() => (save.reset(), setName(''), setNaming(true))}>Save current search…</Menu.Item>
        </Menu.Dropdown>
      </Menu>
      <Modal opened={naming} onClose={() => setNaming(false)} title="Save search">
        <Stack>
          <Text size="sm" c="dimmed">
            Every operator of this practice will see it. A custom time range is not saved; presets such as "last 24 hours" are.
          </Text>
          <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
          <ErrorAlert error={save.error} />
          <Group justify="flex-end">
            <Button
              disabled={!name.trim()}
              loading={save.isPending}
              onClick={() =>
                save.mutate(
                  { practiceId, name: name.trim(), filter: toSaved(current) },
                  {
                    onSuccess: (s) => {
                      notifications.show({ color: 'teal', title: 'Search saved', message: s.name })
                      setNaming(false)
                    },
                  },
                )
              }
            >
              Save
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  )
}
