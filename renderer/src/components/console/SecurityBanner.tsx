import { Alert, Button, Group, Modal, Stack, Text, Textarea } from '@mantine/core'
import { IconShieldX } from '@tabler/icons-react'
import { useState } from 'react'
import { useApi, useApiMutation } from '../../api/client'
import { ErrorAlert } from '../ErrorAlert'
import { Time } from '../../app/time-format'

/**
 * On every page while a security alert (the audit trail failed verification) is open. It stays
 * until a person acknowledges it here, with an optional note; "mark all read" in the bell does not
 * close it. Acknowledging is audited and does not repair anything: Settings keeps showing the
 * trail's state.
 */
export function SecurityBanner() {
  const open = useApi('audit.alerts', { openOnly: true, limit: 20 }, { refetchInterval: 60_000, retry: false })
  const ack = useApiMutation('audit.acknowledgeAlert', ['audit.alerts', 'system.status'])
  const [target, setTarget] = useState<string | null>(null)
  const [note, setNote] = useState('')
  const alerts = open.data ?? []
  if (alerts.length === 0) return null
  return (
    <>
      {alerts.map((a) => (
        <Alert key={a.id} color="red" variant="filled" icon={<IconShieldX size={20} />} title={a.title} mb="md" data-testid="security-banner">
          <Stack gap={6}>
            <Text size="sm">{a.message}</Text>
            <Group justify="space-between">
              <Text size="xs">Raised <Time value={a.raisedAt} /></Text>
              <Button size="xs" variant="white" color="red" onClick={() => setTarget(a.id)} data-testid="security-acknowledge">
                Acknowledge…
              </Button>
            </Group>
          </Stack>
        </Alert>
      ))}
      <Modal opened={target !== null} onClose={() => setTarget(null)} title="Acknowledge the security alert">
        <Stack>
          <Text size="sm">Acknowledging records that you have seen this alert (your name and note go into the audit trail). It does not repair the audit trail.</Text>
          <Textarea label="Note (optional)" placeholder="What was found, ticket number…" value={note} onChange={(e) => setNote(e.currentTarget.value)} autosize minRows={2} />
          <ErrorAlert error={ack.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setTarget(null)}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={ack.isPending}
              onClick={() =>
                target &&
                ack.mutate(
                  { id: target, ...(note.trim() ? { note: note.trim() } : {}) },
                  {
                    onSuccess: () => {
                      setTarget(null)
                      setNote('')
                    },
                  },
                )
              }
            >
              Acknowledge
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  )
}
