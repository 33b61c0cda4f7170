import { ActionIcon, AppShell, Badge, Burger, Button, Group, Menu, NavLink, Select, Text, Tooltip, useComputedColorScheme, useMantineColorScheme } from '@mantine/core'
import { useDisclosure } from '@mantine/hooks'
import { IconMoon, IconSun, IconUserCircle } from '@tabler/icons-react'
import { useEffect, useRef, useState, type ReactNode } from 'react'
import { Link, useLocation } from 'wouter'
import { BreakGlassBanner, BreakGlassModal } from '../components/BreakGlass'
import { NotificationBell } from '../components/console/NotificationCenter'
import { StorageBanner } from '../components/console/StorageBanner'
import { SecurityBanner } from '../components/console/SecurityBanner'
import { useAuth } from './auth'
import { NAV } from './nav'
import { usePractice } from './practice-context'

export function Shell({ children, connected }: { children: ReactNode; connected: boolean }) {
  const [opened, { toggle }] = useDisclosure()
  const [location] = useLocation()
  const { practices, practiceId, setPracticeId } = usePractice()
  const { setColorScheme } = useMantineColorScheme()
  const scheme = useComputedColorScheme('light')
  const { me, can, signOut } = useAuth()
  const [, navigate] = useLocation()
  const [breakGlass, setBreakGlass] = useState(false)
  const emergency = practiceId !== null && can('breakglass.invoke', practiceId) && !can('msg.view_phi', practiceId)
  const main = useRef<HTMLElement>(null)
  const first = useRef(true)
  useEffect(() => {
    // The inspector's search lives in the query, and an alert's link to the Errors page (which reads it once); it means nothing on other pages.
    if (!/^\/(transactions(\/\d+)?|errors)$/.test(location) && window.location.search) history.replaceState(history.state, '', window.location.pathname + window.location.hash)
    if (first.current) {
      first.current = false
      return
    }
    // Focus is kept after navigation: on the control used when it is still there, else on the new page.
    const id = requestAnimationFrame(() => {
      const a = document.activeElement
      if (!a || a === document.body || !a.isConnected) main.current?.focus()
    })
    return () => cancelAnimationFrame(id)
  }, [location])

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <a
          href="#main-content"
          className="ps-skip-link"
          onClick={(e) => {
            // Not a hash navigation: the console routes on the hash.
            e.preventDefault()
            main.current?.focus()
          }}
        >
          Skip to content
        </a>
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
            <Menu position="bottom-end">
              <Menu.Target>
                <Button variant="default" leftSection={<IconUserCircle size={18} />} data-testid="user-menu">
                  {me.username}
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>{me.displayName}</Menu.Label>
                <Menu.Item onClick={() => navigate('/account')}>My account</Menu.Item>
                {emergency ? (
                  <Menu.Item color="red" onClick={() => setBreakGlass(true)}>
                    Emergency access…
                  </Menu.Item>
                ) : null}
                <Menu.Item onClick={() => void signOut()}>Sign out</Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        {NAV.filter((item) => !item.anyOf || item.anyOf.some((p) => can(p))).map((item) => {
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
      <AppShell.Main id="main-content" ref={main} tabIndex={-1} style={{ outline: 'none' }}>
        <BreakGlassBanner />
        <StorageBanner />
        <SecurityBanner />
        {children}
      </AppShell.Main>
      {practiceId ? <BreakGlassModal practiceId={practiceId} opened={breakGlass} onClose={() => setBreakGlass(false)} /> : null}
    </AppShell>
  )
}
