import { ActionIcon, Badge, Button, Group, Indicator, Popover, ScrollArea, Stack, Text, Tooltip } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { IconBell } from '@tabler/icons-react'
import { useApi, useApiMutation } from '../../api/client'
import { usePractice } from '../../app/practice-context'
import { Time } from '../../app/time-format'
import { useEngineEvent } from './engine-events'

const COLOR = { info: 'blue', warning: 'orange', error: 'red' } as const

/** Shows each raised alert as a toast, wherever the operator is in the console. Renders nothing. */
export function NotificationToasts() {
  useEngineEvent('notifications.raised', (n) => {
    notifications.show({ color: COLOR[n.level], title: n.title, message: n.message, autoClose: n.level === 'error' ? false : 8000 })
  })
  return null
}

/** The bell: unread alert notifications of the current practice, newest first. */
export function NotificationBell() {
  const { practiceId } = usePractice()
  const list = useApi('alerts.notifications', { practiceId: practiceId ?? undefined, limit: 30 }, { enabled: Boolean(practiceId) })
  const markRead = useApiMutation('alerts.markRead', ['alerts.notifications'])
  const unread = list.data?.unread ?? 0
  return (
    <Popover width={420} position="bottom-end" shadow="md">
      <Popover.Target>
        <Indicator label={unread} size={16} disabled={unread === 0} color="red">
          <Tooltip label="Alert notifications">
            <ActionIcon variant="default" size="lg" aria-label={`Notifications (${unread} unread)`} data-testid="notification-bell">
              <IconBell size={18} />
            </ActionIcon>
          </Tooltip>
        </Indicator>
      </Popover.Target>
      <Popover.Dropdown>
        <Group justify="space-between" mb="xs">
          <Text fw={600}>Notifications</Text>
          <Button size="xs" variant="subtle" disabled={unread === 0} onClick={() => markRead.mutate({ practiceId: practiceId ?? undefined })}>
            Mark all read
          </Button>
        </Group>
        <ScrollArea.Autosize mah={400}>
          <Stack gap="xs" data-testid="notification-list">
            {(list.data?.items ?? []).length === 0 ? <Text size="sm" c="dimmed">No notifications.</Text> : null}
            {(list.data?.items ?? []).map((n) => (
              <div key={n.id} style={{ opacity: n.readAt ? 0.6 : 1 }}>
                <Group gap="xs" wrap="nowrap">
                  <Badge size="xs" color={COLOR[n.level]}>
                    {n.level}
                  </Badge>
                  <Text size="sm" fw={500}>
                    {n.title}
                  </Text>
                </Group>
                <Text size="xs">{n.message}</Text>
                <Text size="xs" c="dimmed">
                  <Time value={n.at} />
                </Text>
              </div>
            ))}
          </Stack>
        </ScrollArea.Autosize>
      </Popover.Dropdown>
    </Popover>
  )
}
