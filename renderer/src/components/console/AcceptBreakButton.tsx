import { Button, Group, Modal, Stack, Text, Textarea } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { useState } from 'react'
import { ALL_PRACTICES } from '../../../../shared/api/access'
import { useApiMutation } from '../../api/client'
import { useMayCall } from '../../app/auth'
import { ErrorAlert } from '../ErrorAlert'

const MIN_REASON = 10

/**
 * Shown where a failed audit verification shows, to people who manage users (the permission
 * audit.acceptBreak declares): after the break was investigated, accepting it records it for good
 * in the audit trail with the person's reason and starts a new checkpoint series, so the console
 * stops alerting about it. Tampering after that is detected again.
 */
export function AcceptBreakButton({ onAccepted }: { onAccepted?: () => void }) {
  const may = useMayCall('audit.acceptBreak', ALL_PRACTICES)
  const accept = useApiMutation('audit.acceptBreak', ['system.status', 'audit.alerts', 'audit.list'])
  const [open, setOpen] = useState(false)
  const [reason, setReason] = useState('')
  if (!may) return null
  const short = reason.trim().length < MIN_REASON
  return (
    <>
      <Button size="xs" color="red" variant="light" onClick={() => setOpen(true)} data-testid="audit-accept-break">
        Accept break and start a new series
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title="Accept the break in the audit trail">
        <Stack>
          <Text size="sm">
            Do this only once the break has been investigated. The break (its first broken entry and the last checkpoint), your name and your reason are recorded
            in the audit trail for good, and a new checkpoint series starts from the newest entry. The entries before it stay as found; they are no longer checked.
          </Text>
          <Textarea
            label="Reason"
            description={`At least ${MIN_REASON} characters: what was found, the ticket number.`}
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            autosize
            minRows={2}
            data-testid="audit-accept-break-reason"
          />
          <ErrorAlert error={accept.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button
              color="red"
              disabled={short}
              loading={accept.isPending}
              data-testid="audit-accept-break-confirm"
              onClick={() =>
                accept.mutate(
                  { reason: reason.trim() },
                  {
                    onSuccess: (r) => {
                      setOpen(false)
                      setReason('')
                      onAccepted?.()
                      notifications.show({ color: 'teal', message: `Break accepted; a new checkpoint series starts at entry ${r.seriesStart}.` })
                    },
                  },
                )
              }
            >
              Accept break
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  )
}
