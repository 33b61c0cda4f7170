/** My account: password, second factor (TOTP with a QR code and recovery codes), my sessions. */
import { Alert, Badge, Button, Card, Code, Group, Image, PasswordInput, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core'
import { useState } from 'react'
import { api, type ApiError, useApi, useApiMutation } from '../../api/client'
import { useAuth } from '../../app/auth'
import { ErrorAlert } from '../../components/ErrorAlert'
import { PageHeader } from '../../components/PageHeader'
import { Time } from '../../app/time-format'

export function AccountPage() {
  const { me, refresh } = useAuth()
  return (
    <>
      <PageHeader title="My account" description={`${me.displayName} (${me.username})`} />
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <Card withBorder>
          <Title order={4} mb="sm">
            Password
          </Title>
          <ChangePasswordForm onDone={refresh} />
        </Card>
        <Card withBorder>
          <Title order={4} mb="sm">
            Second factor
          </Title>
          {me.secondFactor ? <TotpEnrolled onDone={refresh} /> : <TotpEnrolment onDone={refresh} />}
        </Card>
      </SimpleGrid>
      <Card withBorder mt="md">
        <Title order={4} mb="sm">
          My sessions
        </Title>
        <SessionsTable />
      </Card>
    </>
  )
}

export function ChangePasswordForm({ onDone, temporary }: { onDone: () => Promise<void>; temporary?: boolean }) {
  const [current, setCurrent] = useState('')
  const [next, setNext] = useState('')
  const [repeat, setRepeat] = useState('')
  const [error, setError] = useState<ApiError | null>(null)
  const [done, setDone] = useState(false)
  const [busy, setBusy] = useState(false)
  const mismatch = repeat.length > 0 && repeat !== next
  return (
    <form
      data-testid="change-password-form"
      onSubmit={async (e) => {
        e.preventDefault()
        if (mismatch) return
        setBusy(true)
        setError(null)
        try {
          await api('account.changePassword', { current, next })
          setDone(true)
          setCurrent('')
          setNext('')
          setRepeat('')
          await onDone()
        } catch (err) {
          setError(err as ApiError)
        } finally {
          setBusy(false)
        }
      }}
    >
      <Stack>
        <PasswordInput label={temporary ? 'Temporary password' : 'Current password'} value={current} onChange={(e) => setCurrent(e.currentTarget.value)} autoComplete="current-password" required />
        <PasswordInput label="New password" description="At least 12 characters; not a common password, not your name." value={next} onChange={(e) => setNext(e.currentTarget.value)} autoComplete="new-password" required />
        <PasswordInput label="Repeat new password" value={repeat} onChange={(e) => setRepeat(e.currentTarget.value)} autoComplete="new-password" error={mismatch ? 'Does not match' : undefined} required />
        <ErrorAlert error={error} title="Not changed" />
        {done ? <Alert color="teal">Password changed. Your other sessions were signed out.</Alert> : null}
        <Button type="submit" loading={busy}>
          Change password
        </Button>
      </Stack>
    </form>
  )
}

export function TotpEnrolment({ onDone }: { onDone: () => Promise<void> }) {
  const [password, setPassword] = useState('')
  const [enrol, setEnrol] = useState<{ secret: string; qrDataUrl: string } | null>(null)
  const [code, setCode] = useState('')
  const [codes, setCodes] = useState<string[] | null>(null)
  const [error, setError] = useState<ApiError | null>(null)
  if (codes) {
    return (
      <Stack data-testid="recovery-codes">
        <Alert color="teal" title="Second factor on">
          Keep these recovery codes somewhere safe (each works once, if your phone is lost). They are not shown again.
        </Alert>
        <SimpleGrid cols={2}>
          {codes.map((c) => (
            <Code key={c}>{c}</Code>
          ))}
        </SimpleGrid>
        <Button onClick={() => void onDone()}>Done</Button>
      </Stack>
    )
  }
  if (!enrol) {
    return (
      <form
        onSubmit={async (e) => {
          e.preventDefault()
          try {
            setEnrol(await api('account.totpBegin', { password }))
            setError(null)
          } catch (err) {
            setError(err as ApiError)
          }
        }}
      >
        <Stack>
          <Text size="sm">Use an authenticator app (any that reads a QR code: Microsoft or Google Authenticator, 1Password, …). Enter your password to start.</Text>
          <PasswordInput label="Password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} autoComplete="current-password" required />
          <ErrorAlert error={error} />
          <Button type="submit">Set up second factor</Button>
        </Stack>
      </form>
    )
  }
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault()
        try {
          setCodes((await api('account.totpConfirm', { code })).recoveryCodes)
        } catch (err) {
          setError(err as ApiError)
        }
      }}
    >
      <Stack>
        <Group align="flex-start" wrap="nowrap">
          <Image src={enrol.qrDataUrl} alt="QR code for the authenticator app" w={180} h={180} />
          <Stack gap={4}>
            <Text size="sm">Scan the code, or type this key:</Text>
            <Code data-testid="totp-secret">{enrol.secret}</Code>
          </Stack>
        </Group>
        <TextInput label="Code from your authenticator app" value={code} onChange={(e) => setCode(e.currentTarget.value)} autoComplete="one-time-code" inputMode="numeric" required />
        <ErrorAlert error={error} />
        <Button type="submit">Turn on</Button>
      </Stack>
    </form>
  )
}

function TotpEnrolled({ onDone }: { onDone: () => Promise<void> }) {
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  const remove = useApiMutation('account.totpDisable')
  return (
    <Stack>
      <Group>
        <Badge color="teal">On</Badge>
        <Text size="sm">Sign-in asks for a code from your authenticator app.</Text>
      </Group>
      <Text size="sm" c="dimmed">
        To move it to a new phone, remove it and set it up again.
      </Text>
      <Group align="flex-end">
        <PasswordInput label="Password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} w={180} />
        <TextInput label="Code" value={code} onChange={(e) => setCode(e.currentTarget.value)} w={120} />
        <Button variant="light" color="red" loading={remove.isPending} onClick={() => remove.mutate({ password, code }, { onSuccess: () => void onDone() })}>
          Remove
        </Button>
      </Group>
      <ErrorAlert error={remove.error} />
    </Stack>
  )
}

export function SessionsTable({ personId }: { personId?: string }) {
  const mine = useApi('account.sessions', {}, { enabled: !personId })
  const theirs = useApi('people.sessions', { id: personId ?? '' }, { enabled: Boolean(personId) })
  const revokeMine = useApiMutation('account.revokeSession', ['account.sessions'])
  const revokeTheirs = useApiMutation('people.revokeSession', ['people.sessions'])
  const q = personId ? theirs : mine
  const rows = q.data ?? []
  return (
    <Stack>
      <ErrorAlert error={q.error ?? revokeMine.error ?? revokeTheirs.error} />
      <Table fz="sm" data-testid="sessions-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Signed in</Table.Th>
            <Table.Th>How</Table.Th>
            <Table.Th>From</Table.Th>
            <Table.Th>Last active</Table.Th>
            <Table.Th>Ends at the latest</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((s) => (
            <Table.Tr key={s.id}>
              <Table.Td><Time value={s.createdAt} /></Table.Td>
              <Table.Td>{s.method}</Table.Td>
              <Table.Td>
                <Text size="xs">{s.client}</Text>
              </Table.Td>
              <Table.Td><Time value={s.lastSeenAt} /></Table.Td>
              <Table.Td><Time value={s.expiresAt} /></Table.Td>
              <Table.Td>
                {s.current ? (
                  <Badge variant="light">this session</Badge>
                ) : (
                  <Button size="xs" variant="light" color="red" onClick={() => (personId ? revokeTheirs.mutate({ id: personId, sessionId: s.id }) : revokeMine.mutate({ id: s.id }))}>
                    End
                  </Button>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {!personId && rows.length > 1 ? (
        <Group>
          <Button size="xs" variant="light" color="red" onClick={() => revokeMine.mutate({ others: true })}>
            End all my other sessions
          </Button>
        </Group>
      ) : null}
    </Stack>
  )
}
