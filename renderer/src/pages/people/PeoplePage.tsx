/**
 * People: invite, roles per practice, reset password / second factor, disable (their sessions end
 * at once), sessions; the role matrix (custom roles for whoever manages every practice); and the
 * break-glass review list. The engine decides who may do what; this page only hides the rest.
 */
import { ActionIcon, Alert, Badge, Button, Checkbox, Code, Group, Menu, Modal, Select, Stack, Table, Tabs, Text, TextInput, Textarea } from '@mantine/core'
import { IconDots, IconPlus, IconTrash } from '@tabler/icons-react'
import { useState } from 'react'
import type { Grant, Person, Role } from '../../../../shared/api/access'
import { PERMISSIONS, type Permission } from '../../../../shared/api/permissions'
import { type ApiError, useApi, useApiMutation } from '../../api/client'
import { useAuth } from '../../app/auth'
import { usePractice } from '../../app/practice-context'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageHeader } from '../../components/PageHeader'
import { Time } from '../../app/time-format'
import { SessionsTable } from '../account/AccountPage'

const GRANTABLE = PERMISSIONS.filter((p) => p !== 'public' && p !== 'session')

export function PeoplePage() {
  const { can } = useAuth()
  return (
    <>
      <PageHeader title="People" description="Who may use this console, and what they may do in which practice. A person sees nothing of a practice they hold no role in." />
      <Tabs defaultValue="people" keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="people">People</Tabs.Tab>
          <Tabs.Tab value="roles">Roles</Tabs.Tab>
          {can('audit.view') ? <Tabs.Tab value="breakglass">Break-glass review</Tabs.Tab> : null}
        </Tabs.List>
        <Tabs.Panel value="people">{can('users.manage') ? <PeopleTab /> : <Text c="dimmed">You do not manage people in any practice.</Text>}</Tabs.Panel>
        <Tabs.Panel value="roles">
          <RolesTab />
        </Tabs.Panel>
        <Tabs.Panel value="breakglass">
          <BreakGlassTab />
        </Tabs.Panel>
      </Tabs>
    </>
  )
}

function roleName(roles: Role[], id: string): string {
  return roles.find((r) => r.id === id)?.name ?? id
}

function PeopleTab() {
  const people = useApi('people.list', {})
  const roles = useApi('roles.list', {})
  const [invite, setInvite] = useState(false)
  const [editing, setEditing] = useState<Person | null>(null)
  const [sessionsOf, setSessionsOf] = useState<Person | null>(null)
  const [temp, setTemp] = useState<{ username: string; password: string } | null>(null)
  const setStatus = useApiMutation('people.setStatus', ['people.list'])
  const resetFactor = useApiMutation('people.resetSecondFactor', ['people.list'])
  const resetPassword = useApiMutation('people.resetPassword', ['people.list'])
  const { me } = useAuth()
  const allRoles = roles.data ?? []
  return (
    <Stack>
      <Group>
        <Button leftSection={<IconPlus size={16} />} onClick={() => setInvite(true)}>
          Invite a person
        </Button>
      </Group>
      <ErrorAlert error={people.error ?? setStatus.error ?? resetFactor.error ?? resetPassword.error} />
      {temp ? (
        <Alert color="teal" title={`One-time password for ${temp.username}`} withCloseButton onClose={() => setTemp(null)} data-testid="temporary-password">
          Give it to them in person or by phone; they must choose their own at first sign-in: <Code>{temp.password}</Code>
        </Alert>
      ) : null}
      <Table striped fz="sm" data-testid="people-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Username</Table.Th>
            <Table.Th>Name</Table.Th>
            <Table.Th>Roles</Table.Th>
            <Table.Th>Second factor</Table.Th>
            <Table.Th>Last sign-in</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(people.data ?? []).map((p) => (
            <Table.Tr key={p.id} data-testid={`person-${p.username}`}>
              <Table.Td>{p.username}</Table.Td>
              <Table.Td>{p.displayName}</Table.Td>
              <Table.Td>
                <Group gap={4}>
                  {p.grants.map((g) => (
                    <Badge key={`${g.practiceId}/${g.roleId}`} variant="light" size="sm">
                      {g.practiceId === '*' ? 'all practices' : g.practiceId}: {roleName(allRoles, g.roleId)}
                    </Badge>
                  ))}
                </Group>
              </Table.Td>
              <Table.Td>{p.secondFactor ? 'on' : p.sso ? 'SSO' : 'off'}</Table.Td>
              <Table.Td>{p.lastSignInAt ? <Time value={p.lastSignInAt} /> : '—'}</Table.Td>
              <Table.Td>
                <Badge color={p.status === 'active' ? (p.locked ? 'orange' : 'teal') : 'gray'}>{p.status === 'active' && p.locked ? 'locked' : p.status}</Badge>
              </Table.Td>
              <Table.Td>
                <Menu position="bottom-end">
                  <Menu.Target>
                    <ActionIcon variant="subtle" aria-label={`Actions for ${p.username}`}>
                      <IconDots size={16} />
                    </ActionIcon>
                  </Menu.Target>
                  <Menu.Dropdown>
                    <Menu.Item onClick={() => setEditing(p)}>Roles…</Menu.Item>
                    <Menu.Item onClick={() => setSessionsOf(p)}>Sessions…</Menu.Item>
                    <Menu.Item onClick={() => resetPassword.mutate({ id: p.id }, { onSuccess: (r) => setTemp({ username: p.username, password: r.temporaryPassword }) })}>Reset password</Menu.Item>
                    {p.secondFactor ? <Menu.Item onClick={() => resetFactor.mutate({ id: p.id })}>Reset second factor</Menu.Item> : null}
                    {p.id !== me.id ? (
                      <Menu.Item color={p.status === 'active' ? 'red' : undefined} onClick={() => setStatus.mutate({ id: p.id, status: p.status === 'active' ? 'disabled' : 'active' })}>
                        {p.status === 'active' ? 'Disable' : 'Enable'}
                      </Menu.Item>
                    ) : null}
                  </Menu.Dropdown>
                </Menu>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <InviteModal open={invite} roles={allRoles} onClose={() => setInvite(false)} onInvited={(username, password) => setTemp({ username, password })} />
      {editing ? <GrantsModal person={editing} roles={allRoles} onClose={() => setEditing(null)} /> : null}
      <Modal opened={sessionsOf !== null} onClose={() => setSessionsOf(null)} title={`Sessions of ${sessionsOf?.username ?? ''}`} size="xl">
        {sessionsOf ? <SessionsTable personId={sessionsOf.id} /> : null}
      </Modal>
    </Stack>
  )
}

/** Practices the signed-in person manages people for ('*' first when they manage all). */
function useManagedPractices(): { value: string; label: string }[] {
  const { can, me } = useAuth()
  const { practices } = usePractice()
  const everywhere = me.permissions['*']?.includes('users.manage') ?? false
  return [...(everywhere ? [{ value: '*', label: 'All practices' }] : []), ...practices.filter((p) => can('users.manage', p.id)).map((p) => ({ value: p.id, label: `${p.name} (${p.id})` }))]
}

function GrantRows({ grants, setGrants, roles }: { grants: Grant[]; setGrants: (g: Grant[]) => void; roles: Role[] }) {
  const practices = useManagedPractices()
  return (
    <Stack gap="xs">
      {grants.map((g, i) => (
        <Group key={i} align="flex-end" wrap="nowrap">
          <Select label={i === 0 ? 'Practice' : undefined} aria-label="Practice" data={practices} value={g.practiceId} onChange={(v) => setGrants(grants.map((x, j) => (j === i ? { ...x, practiceId: v ?? '' } : x)))} w={240} allowDeselect={false} />
          <Select label={i === 0 ? 'Role' : undefined} aria-label="Role" data={roles.map((r) => ({ value: r.id, label: r.name }))} value={g.roleId} onChange={(v) => setGrants(grants.map((x, j) => (j === i ? { ...x, roleId: v ?? '' } : x)))} w={200} allowDeselect={false} />
          <ActionIcon variant="subtle" color="red" aria-label="Remove role" onClick={() => setGrants(grants.filter((_, j) => j !== i))}>
            <IconTrash size={16} />
          </ActionIcon>
        </Group>
      ))}
      <Group>
        <Button size="xs" variant="light" leftSection={<IconPlus size={14} />} onClick={() => setGrants([...grants, { practiceId: practices[0]?.value ?? '', roleId: 'viewer' }])}>
          Add a role
        </Button>
      </Group>
    </Stack>
  )
}

function InviteModal({ open, roles, onClose, onInvited }: { open: boolean; roles: Role[]; onClose: () => void; onInvited: (username: string, password: string) => void }) {
  const [username, setUsername] = useState('')
  const [displayName, setDisplayName] = useState('')
  const [email, setEmail] = useState('')
  const [grants, setGrants] = useState<Grant[]>([])
  const invite = useApiMutation('people.invite', ['people.list'])
  return (
    <Modal opened={open} onClose={onClose} title="Invite a person" size="lg">
      <form
        data-testid="invite-form"
        onSubmit={(e) => {
          e.preventDefault()
          invite.mutate(
            { username, displayName, ...(email ? { email } : {}), grants },
            {
              onSuccess: (r) => {
                onInvited(username, r.temporaryPassword)
                setUsername('')
                setDisplayName('')
                setEmail('')
                setGrants([])
                onClose()
              },
            },
          )
        }}
      >
        <Stack>
          <TextInput label="Username" value={username} onChange={(e) => setUsername(e.currentTarget.value)} required />
          <TextInput label="Full name" value={displayName} onChange={(e) => setDisplayName(e.currentTarget.value)} required />
          <TextInput label="Email (optional)" value={email} onChange={(e) => setEmail(e.currentTarget.value)} />
          <GrantRows grants={grants} setGrants={setGrants} roles={roles} />
          <ErrorAlert error={invite.error} title="Not invited" />
          <Button type="submit" loading={invite.isPending}>
            Invite
          </Button>
        </Stack>
      </form>
    </Modal>
  )
}

function GrantsModal({ person, roles, onClose }: { person: Person; roles: Role[]; onClose: () => void }) {
  const managed = useManagedPractices().map((p) => p.value)
  const [grants, setGrants] = useState<Grant[]>(person.grants.filter((g) => managed.includes(g.practiceId)))
  const save = useApiMutation('people.setGrants', ['people.list'])
  const others = person.grants.filter((g) => !managed.includes(g.practiceId))
  return (
    <Modal opened onClose={onClose} title={`Roles of ${person.username}`} size="lg">
      <Stack>
        {others.length ? <Text size="sm" c="dimmed">Also holds {others.length} role(s) in practices you do not manage (unchanged).</Text> : null}
        <GrantRows grants={grants} setGrants={setGrants} roles={roles} />
        <ErrorAlert error={save.error} title="Not saved" />
        <Button loading={save.isPending} onClick={() => save.mutate({ id: person.id, practiceIds: [...new Set([...managed.filter((m) => person.grants.some((g) => g.practiceId === m)), ...grants.map((g) => g.practiceId)])].filter(Boolean), grants }, { onSuccess: onClose })}>
          Save roles
        </Button>
      </Stack>
    </Modal>
  )
}

function RolesTab() {
  const roles = useApi('roles.list', {})
  const { can, me } = useAuth()
  const editable = can('users.manage', '*') && Boolean(me.permissions['*']?.includes('users.manage'))
  const [name, setName] = useState('')
  const [perms, setPerms] = useState<Permission[]>(['msg.view_meta'])
  const save = useApiMutation('roles.save', ['roles.list'])
  const remove = useApiMutation('roles.delete', ['roles.list'])
  const list = roles.data ?? []
  return (
    <Stack>
      <ErrorAlert error={roles.error ?? save.error ?? remove.error} />
      <Table withColumnBorders fz="xs" data-testid="role-matrix">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Permission</Table.Th>
            {list.map((r) => (
              <Table.Th key={r.id}>
                <Group gap={4} wrap="nowrap">
                  {r.name}
                  {!r.builtin && editable ? (
                    <ActionIcon size="xs" variant="subtle" color="red" aria-label={`Delete role ${r.name}`} onClick={() => remove.mutate({ id: r.id })}>
                      <IconTrash size={12} />
                    </ActionIcon>
                  ) : null}
                </Group>
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {GRANTABLE.map((p) => (
            <Table.Tr key={p}>
              <Table.Td>
                <Code>{p}</Code>
              </Table.Td>
              {list.map((r) => (
                <Table.Td key={r.id} ta="center">
                  {r.permissions.includes(p) ? '✓' : ''}
                </Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {editable ? (
        <form
          onSubmit={(e) => {
            e.preventDefault()
            save.mutate({ name, permissions: perms }, { onSuccess: () => setName('') })
          }}
        >
          <Stack gap="xs" maw={640}>
            <Text fw={600}>New custom role</Text>
            <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} required w={300} />
            <Group gap="md">
              {GRANTABLE.map((p) => (
                <Checkbox key={p} label={p} checked={perms.includes(p)} onChange={(e) => setPerms(e.currentTarget.checked ? [...perms, p] : perms.filter((x) => x !== p))} />
              ))}
            </Group>
            <Group>
              <Button type="submit" loading={save.isPending}>
                Create role
              </Button>
            </Group>
          </Stack>
        </form>
      ) : null}
    </Stack>
  )
}

function BreakGlassTab() {
  const [unreviewed, setUnreviewed] = useState(true)
  const list = useApi('breakglass.list', { unreviewedOnly: unreviewed })
  const review = useApiMutation('breakglass.review', ['breakglass.list'])
  const [note, setNote] = useState<Record<string, string>>({})
  const { me } = useAuth()
  return (
    <Stack>
      <Checkbox label="Only sessions not yet reviewed" checked={unreviewed} onChange={(e) => setUnreviewed(e.currentTarget.checked)} />
      <ErrorAlert error={(list.error ?? review.error) as ApiError | null} />
      <Table fz="sm" data-testid="breakglass-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Who</Table.Th>
            <Table.Th>Practice</Table.Th>
            <Table.Th>Reason</Table.Th>
            <Table.Th>From – to</Table.Th>
            <Table.Th>Review</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(list.data ?? []).map((b) => (
            <Table.Tr key={b.id}>
              <Table.Td>{b.person}</Table.Td>
              <Table.Td>{b.practiceId}</Table.Td>
              <Table.Td>
                <Text size="sm">
                  <Badge size="xs" mr={4}>
                    {b.reasonCategory}
                  </Badge>
                  {b.reason}
                </Text>
              </Table.Td>
              <Table.Td>
                <Time value={b.startedAt} /> – {b.endedAt ? <><Time value={b.endedAt} /> ({b.endReason})</> : 'open'}
              </Table.Td>
              <Table.Td>
                {b.reviewedAt ? (
                  <Text size="sm">
                    {b.reviewedBy}: {b.reviewNote}
                  </Text>
                ) : b.endedAt && b.personId !== me.id ? (
                  <Group wrap="nowrap">
                    <Textarea aria-label="Review note" placeholder="What was looked at, and was it justified?" value={note[b.id] ?? ''} onChange={(e) => setNote({ ...note, [b.id]: e.currentTarget.value })} autosize minRows={1} w={260} />
                    <Button size="xs" onClick={() => review.mutate({ id: b.id, note: note[b.id] ?? '' })}>
                      Sign off
                    </Button>
                  </Group>
                ) : (
                  <Text size="sm" c="dimmed">
                    {b.endedAt ? 'someone else reviews it' : 'after it ends'}
                  </Text>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  )
}
