/**
 * Who is signed in and what they may do. The gate shows the first-run, sign-in, change-password
 * or enrol pages until the engine says the person may use the console; `useCan` lets pages hide
 * what the person may not do (the engine refuses it anyway). Also: the password prompt for
 * step-up, and the idle timer (the engine ends an idle session; this notices it promptly).
 */
import { Button, Modal, PasswordInput, Stack, Text, TextInput } from '@mantine/core'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import { contract, type Method } from '../../../shared/api'
import type { AuthState, Me } from '../../../shared/api/access'
import type { Permission } from '../../../shared/api/permissions'
import { api, type ApiError, setAccessHandlers } from '../api/client'
import { idleForMs, setIdleLimit } from '../api/transport'
import { ErrorAlert } from '../components/ErrorAlert'
import { AccountGate } from '../pages/auth/AccountGate'
import { SignInPage } from '../pages/auth/SignInPage'

interface AuthValue {
  me: Me
  refresh(): Promise<void>
  /** Whether the person holds `permission` on the practice (or, without one, on any practice). */
  can(permission: Permission, practiceId?: string | null): boolean
  /** Whether the person may call the contract method (on the practice); see useMayCall. */
  mayCall(method: Method, practiceId?: string | null): boolean
  signOut(): Promise<void>
}

const Ctx = createContext<AuthValue | null>(null)

export function useAuth(): AuthValue {
  const v = useContext(Ctx)
  if (!v) throw new Error('useAuth outside AuthGate')
  return v
}

export function useCan(permission: Permission, practiceId?: string | null): boolean {
  return useAuth().can(permission, practiceId)
}

/**
 * Whether the person may call `method` (on the practice): reads the permission the contract declares
 * for it, so a button gated by the method it calls cannot drift from what the engine enforces.
 * Engine-wide methods (scope `global` in electron/engine/access/method-access.ts: practices.create,
 * system.saveSettings, backups.create, ...) need the permission on every practice: pass ALL_PRACTICES.
 */
export function useMayCall(method: Method, practiceId?: string | null): boolean {
  return useAuth().mayCall(method, practiceId)
}

export function canIn(me: Me, permission: Permission, practiceId?: string | null): boolean {
  const has = (k: string) => me.permissions[k]?.includes(permission) ?? false
  if (has('*')) return true
  if (practiceId) return has(practiceId)
  return Object.values(me.permissions).some((p) => p.includes(permission))
}

export function AuthGate({ children }: { children: ReactNode }) {
  const qc = useQueryClient()
  const state = useQuery<AuthState, ApiError>({ queryKey: ['auth.state'], queryFn: () => api('auth.state', {}), staleTime: Infinity, retry: false })
  const refresh = useCallback(async () => {
    await qc.invalidateQueries({ queryKey: ['auth.state'] })
  }, [qc])
  const [reauth, setReauth] = useState<((ok: boolean) => void) | null>(null)

  useEffect(() => {
    setAccessHandlers({
      reauthenticate: () => new Promise<boolean>((resolve) => setReauth(() => resolve)),
      sessionEnded: () => void refresh(),
    })
  }, [refresh])

  const me = state.data?.me ?? null
  // The idle limit: once the person has not touched the console for that long, ask the engine (it has ended the session).
  useEffect(() => {
    if (!me) return
    setIdleLimit(me.session.idleMs)
    const t = setInterval(() => {
      if (idleForMs() >= me.session.idleMs) void refresh()
    }, Math.min(5_000, Math.max(1_000, me.session.idleMs / 4)))
    return () => clearInterval(t)
  }, [me, refresh])

  const value = useMemo<AuthValue | null>(
    () =>
      me
        ? {
            me,
            refresh,
            can: (permission, practiceId) => canIn(me, permission, practiceId),
            mayCall: (method, practiceId) => canIn(me, contract[method].permission, practiceId),
            signOut: async () => {
              await api('auth.signOut', {}).catch(() => undefined)
              qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'auth.state' })
              await refresh()
            },
          }
        : null,
    [me, refresh, qc],
  )

  if (state.isPending) return null
  if (state.error) return <ErrorAlert error={state.error} title="The console cannot reach the engine" />
  if (!value) {
    return (
      <SignInPage
        state={state.data!}
        onSignedIn={async () => {
          qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'auth.state' })
          await refresh()
        }}
      />
    )
  }
  if (value.me.mustChangePassword || value.me.needsSecondFactor) return <AccountGate me={value.me} onDone={refresh} />
  return (
    <Ctx.Provider value={value}>
      {children}
      <ReauthModal
        open={reauth !== null}
        secondFactor={value.me.secondFactor}
        onClose={(ok) => {
          reauth?.(ok)
          setReauth(null)
        }}
      />
    </Ctx.Provider>
  )
}

/** Step-up: the password (and code) again before revealing PHI, exporting, publishing, managing people. */
function ReauthModal({ open, secondFactor, onClose }: { open: boolean; secondFactor: boolean; onClose: (ok: boolean) => void }) {
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  const [error, setError] = useState<ApiError | null>(null)
  const [busy, setBusy] = useState(false)
  const first = useRef<HTMLInputElement>(null)
  useEffect(() => {
    if (open) {
      setPassword('')
      setCode('')
      setError(null)
    }
  }, [open])
  const submit = async () => {
    setBusy(true)
    try {
      await api('auth.reauthenticate', { password, ...(code ? { code } : {}) })
      onClose(true)
    } catch (e) {
      setError(e as ApiError)
    } finally {
      setBusy(false)
    }
  }
  return (
    <Modal opened={open} onClose={() => onClose(false)} title="Confirm it is you" data-testid="reauth-modal">
      <form
        onSubmit={(e) => {
          e.preventDefault()
          void submit()
        }}
      >
        <Stack>
          <Text size="sm">This action needs your password again (it was entered more than a few minutes ago).</Text>
          <PasswordInput ref={first} label="Password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} autoComplete="current-password" data-autofocus required />
          {secondFactor ? <TextInput label="Code from your authenticator app" value={code} onChange={(e) => setCode(e.currentTarget.value)} autoComplete="one-time-code" inputMode="numeric" /> : null}
          <ErrorAlert error={error} title="Not confirmed" />
          <Button type="submit" loading={busy}>
            Confirm
          </Button>
        </Stack>
      </form>
    </Modal>
  )
}
