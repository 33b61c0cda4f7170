import { ActionIcon, AppShell, Badge, Burger, Group, NavLink, Select, Text, Tooltip, useComputedColorScheme, useMantineColorScheme } from '@mantine/core'
import { useDisclosure } from '@mantine/hooks'
import { IconMoon, IconSun } from '@tabler/icons-react'
import type { ReactNode } from 'react'
import { Link, useLocation } from 'wouter'
import { NotificationBell } from '../components/console/NotificationCenter'
import { StorageBanner } from '../components/console/StorageBanner'
import { SecurityBanner } from '../components/console/SecurityBanner'
import { NAV } from './nav'
import { usePractice } from './practice-context'

export function Shell({ children, connected }: { children: ReactNode; connected: boolean }) {
  const [opened, { toggle }] = useDisclosure()
  const [location] = useLocation()
  const { practices, practiceId, setPracticeId } = usePractice()
  const { setColorScheme } = useMantineColorScheme()
  const scheme = useComputedColorScheme('light')

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Text fw={700}>Practice Studio</Text>
            <Text c="dimmed" size="sm" visibleFrom="md">
              athenahealth integration console
            </Text>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Select
              aria-label="Practice"
              data-testid="practice-switcher"
              w={260}
              value={practiceId}
              onChange={(v) => v && setPracticeId(v)}
              data={practices.map((p) => ({ value: p.id, label: `${p.name} (${p.id})` }))}
              allowDeselect={false}
              searchable
            />
            <Tooltip label={connected ? 'Live updates connected' : 'Reconnecting to the engine…'}>
              <Badge color={connected ? 'teal' : 'orange'} variant="dot" data-testid="live-status">
                {connected ? 'live' : 'offline'}
              </Badge>
            </Tooltip>
            <NotificationBell />
            <ActionIcon variant="default" size="lg" aria-label="Toggle color scheme" onClick={() => setColorScheme(scheme === 'dark' ? 'light' : 'dark')}>
              {scheme === 'dark' ? <IconSun size={18} /> : <IconMoon size={18} />}
            </ActionIcon>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        {NAV.map((item) => {
          const active = item.path === '/' ? location === '/' : location.startsWith(item.path)
          return (
            <NavLink
              key={item.path}
              component={Link}
              href={item.path}
              label={item.label}
              leftSection={<item.icon size={18} stroke={1.6} />}
              active={active}
              onClick={() => opened && toggle()}
            />
          )
        })}
      </AppShell.Navbar>
      <AppShell.Main>
        <StorageBanner />
        <SecurityBanner />
        {children}
      </AppShell.Main>
    </AppShell>
  )
}
