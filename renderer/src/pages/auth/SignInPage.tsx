/**
 * The first page: create the administrator (first run), or sign in with a password (and the
 * second factor when the person has one), or with single sign-on when the installation has it.
 */
import { Alert, Button, Center, Divider, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core'
import { useEffect, useState } from 'react'
import type { AuthState } from '../../../../shared/api/access'
import { api, type ApiError } from '../../api/client'
import { takeSetupToken } from '../../api/transport'
import { ErrorAlert } from '../../components/ErrorAlert'

const ENDED: Record<string, string> = {
  idle: 'You were signed out after a period without activity.',
  expired: 'Your session reached its time limit.',
  revoked: 'This session was ended from elsewhere.',
  disabled: 'This account was disabled.',
  password_changed: 'The password was changed in another session.',
  password_reset: 'An administrator reset your password.',
  factor_reset: 'An administrator reset your second factor.',
}

export function SignInPage({ state, onSignedIn }: { state: AuthState; onSignedIn: () => Promise<void> }) {
  const [error, setError] = useState<ApiError | null>(null)
  const [busy, setBusy] = useState(false)
  // The identity provider redirected back here: finish the sign-in, then clean the address.
  useEffect(() => {
    if (location.pathname !== '/auth/callback') return
    const href = location.href
    history.replaceState(null, '', '/#/')
    setBusy(true)
    api('auth.oidcFinish', { callbackUrl: href })
      .then(onSignedIn)
      .catch((e: ApiError) => setError(e))
      .finally(() => setBusy(false))
  }, [onSignedIn])

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder p="xl" w={420} radius="md">
        <Stack>
          <Title order={3}>Practice Studio</Title>
          {state.setupRequired ? <Setup onSignedIn={onSignedIn} needsToken={state.setupNeedsToken} /> : <SignIn state={state} onSignedIn={onSignedIn} busy={busy} />}
          <ErrorAlert error={error} title="Single sign-on failed" />
        </Stack>
      </Paper>
    </Center>
  )
}

function Setup({ onSignedIn, needsToken }: { onSignedIn: () => Promise<void>; needsToken: boolean }) {
  const [username, setUsername] = useState('')
  const [displayName, setDisplayName] = useState('')
  const [password, setPassword] = useState('')
  const [repeat, setRepeat] = useState('')
  const [error, setError] = useState<ApiError | null>(null)
  const [busy, setBusy] = useState(false)
  const token = takeSetupToken()
  if (needsToken && !token) {
    return (
      <Alert color="orange" title="Open the setup link">
        The first administrator is created from the address <code>npm run serve</code> printed at this start (it ends in <code>#setup=…</code>). Open that address.
      </Alert>
    )
  }
  const mismatch = repeat.length > 0 && repeat !== password
  return (
    <form
      data-testid="setup-form"
      onSubmit={async (e) => {
        e.preventDefault()
        if (mismatch) return
        setBusy(true)
        try {
          await api('auth.setup', { username, displayName, password, ...(token ? { setupToken: token } : {}) })
          await onSignedIn()
        } catch (err) {
          setError(err as ApiError)
        } finally {
          setBusy(false)
        }
      }}
    >
      <Stack>
        <Text size="sm">Create the administrator. They run the platform (practices, connections, people, the audit trail) and can give roles to others.</Text>
        <TextInput label="Username" value={username} onChange={(e) => setUsername(e.currentTarget.value)} autoComplete="username" required />
        <TextInput label="Full name" value={displayName} onChange={(e) => setDisplayName(e.currentTarget.value)} autoComplete="name" required />
        <PasswordInput label="Password" description="At least 12 characters; a few unrelated words work well." value={password} onChange={(e) => setPassword(e.currentTarget.value)} autoComplete="new-password" required />
        <PasswordInput label="Repeat password" value={repeat} onChange={(e) => setRepeat(e.currentTarget.value)} autoComplete="new-password" error={mismatch ? 'Does not match' : undefined} required />
        <ErrorAlert error={error} title="Not created" />
        <Button type="submit" loading={busy}>
          Create administrator
        </Button>
      </Stack>
    </form>
  )
}

function SignIn({ state, onSignedIn, busy: finishing }: { state: AuthState; onSignedIn: () => Promise<void>; busy: boolean }) {
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  const [needCode, setNeedCode] = useState(false)
  const [error, setError] = useState<ApiError | null>(null)
  const [busy, setBusy] = useState(false)
  return (
    <form
      data-testid="sign-in-form"
      onSubmit={async (e) => {
        e.preventDefault()
        setBusy(true)
        setError(null)
        try {
          const r = await api('auth.signIn', { username, password, ...(needCode && code ? { code } : {}) })
          if (r.status === 'second_factor_required') setNeedCode(true)
          else await onSignedIn()
        } catch (err) {
          setError(err as ApiError)
        } finally {
          setBusy(false)
        }
      }}
    >
      <Stack>
        {state.ended && ENDED[state.ended] ? (
          <Alert color="blue" data-testid="session-ended">
            {ENDED[state.ended]} Sign in again.
          </Alert>
        ) : null}
        <TextInput label="Username" value={username} onChange={(e) => setUsername(e.currentTarget.value)} autoComplete="username" required />
        <PasswordInput label="Password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} autoComplete="current-password" required />
        {needCode ? (
          <TextInput label="Code from your authenticator app" description="Or one of your recovery codes." value={code} onChange={(e) => setCode(e.currentTarget.value)} autoComplete="one-time-code" autoFocus required />
        ) : null}
        <ErrorAlert error={error} title="Not signed in" />
        <Button type="submit" loading={busy || finishing}>
          Sign in
        </Button>
        {state.oidc.enabled ? (
          <>
            <Divider label="or" />
            <Button
              variant="default"
              onClick={async () => {
                try {
                  if (window.practiceStudio) {
                    // Desktop: the main process opens the provider in the system browser, which
                    // comes back to a one-shot loopback listener; the engine then signs this window in.
                    setBusy(true)
                    try {
                      const { url } = await api('auth.oidcBegin', { loopback: true })
                      await api('auth.oidcLoopbackFinish', { state: new URL(url).searchParams.get('state') ?? '' })
                      await onSignedIn()
                    } finally {
                      setBusy(false)
                    }
                    return
                  }
                  const { url } = await api('auth.oidcBegin', { redirectUri: `${location.origin}/auth/callback` })
                  location.assign(url)
                } catch (err) {
                  setError(err as ApiError)
                }
              }}
            >
              {state.oidc.label}
            </Button>
          </>
        ) : null}
      </Stack>
    </form>
  )
}
