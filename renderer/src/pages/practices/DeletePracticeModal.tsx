import { Alert, Button, Group, List, Modal, Stack, Text, TextInput } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { useState } from 'react'
import type { Practice } from '../../../../shared/api/practices'
import { useApi, useApiMutation } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'

/** Deleting a practice removes its data; the confirmation says exactly how much and asks for the id. */
export function DeletePracticeModal({ practice, onClose }: { practice: Practice | null; onClose(): void }) {
  const [confirm, setConfirm] = useState('')
  const usage = useApi('practices.usage', { id: practice?.id ?? '' }, { enabled: Boolean(practice) })
  const del = useApiMutation('practices.delete', ['practices.list'])
  const close = () => {
    setConfirm('')
    del.reset()
    onClose()
  }
  return (
    <Modal opened={practice !== null} onClose={close} title={`Delete ${practice?.name ?? ''}?`}>
      {practice ? (
        <Stack>
          <Alert color="red" title="This cannot be undone">
            <Text size="sm">Deleting this practice also deletes:</Text>
            <List size="sm" data-testid="delete-usage">
              <List.Item>{usage.data?.connections ?? '…'} connections and interfaces (and their keychain secrets)</List.Item>
              <List.Item>{usage.data?.records ?? '…'} Practice Studio records</List.Item>
              <List.Item>{usage.data?.transactions ?? '…'} transactions</List.Item>
            </List>
            <Text size="sm" mt="xs">
              The audit trail keeps the record of this deletion.
            </Text>
          </Alert>
          <TextInput label={`Type "${practice.id}" to confirm`} value={confirm} onChange={(e) => setConfirm(e.currentTarget.value)} data-testid="delete-confirm" />
          <ErrorAlert error={del.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button
              color="red"
              disabled={confirm !== practice.id}
              loading={del.isPending}
              onClick={() =>
                del.mutate(
                  { id: practice.id, confirm },
                  {
                    onSuccess: () => {
                      notifications.show({ color: 'teal', title: 'Practice deleted', message: practice.name })
                      close()
                    },
                  },
                )
              }
            >
              Delete practice
            </Button>
          </Group>
        </Stack>
      ) : null}
    </Modal>
  )
}
