/** What the connection forms share: their props, their state, their field errors and their footer. */
import { Button, Group, NumberInput, Switch, Text, TextInput } from '@mantine/core'
import { useState, type FormEvent } from 'react'
import type { Connection } from '../../../../shared/api/connections'
import { ApiError } from '../../api/client'
import { ErrorAlert } from '../../components/ErrorAlert'

export interface ConnectionFormProps {
  initial?: Connection
  onSubmit(v: { name: string; enabled: boolean; config: Record<string, unknown> }): void
  onCancel(): void
  error: ApiError | null
  busy: boolean
}

export interface TlsValues {
  enabled: boolean
  certFile: string | null
  keyFile: string | null
  caFile: string | null
  requestClientCert: boolean
  clientCertFingerprints: string[]
}

export const NO_TLS: TlsValues = { enabled: false, certFile: null, keyFile: null, caFile: null, requestClientCert: false, clientCertFingerprints: [] }

export const orNull = (s: string): string | null => (s.trim() === '' ? null : s.trim())

/** Name, Enabled and the settings of an HL7 connection form, started from what is stored over the defaults. */
export function useHl7ConnectionForm<V extends { tls: TlsValues }>(initial: Connection | undefined, defaults: V, defaultName: string, onSubmit: ConnectionFormProps['onSubmit']) {
  const start = { ...defaults, ...(initial?.config as Partial<V> | undefined) }
  const [name, setName] = useState(initial?.name ?? defaultName)
  const [enabled, setEnabled] = useState(initial?.enabled ?? true)
  const [v, setV] = useState<V>({ ...start, tls: { ...defaults.tls, ...start.tls } })
  const set = <K extends keyof V>(k: K, value: V[K]) => setV((o) => ({ ...o, [k]: value }))
  const setTls = <K extends keyof TlsValues>(k: K, value: TlsValues[K]) => setV((o) => ({ ...o, tls: { ...o.tls, [k]: value } }))
  const formProps = {
    onSubmit: (e: FormEvent) => {
      e.preventDefault()
      onSubmit({ name, enabled, config: { ...v } })
    },
  }
  return { name, setName, enabled, setEnabled, v, set, setTls, formProps }
}

/**
 * The field errors of a connection save (`config.port` → message) and the ones a form has no
 * input for, so none is lost: the engine validates every key, the form shows only some.
 */
export function configErrors(error: ApiError | null, shown: readonly string[]): { fe: Record<string, string>; err(path: string): string | undefined; unplaced: [string, string][] } {
  const fe = error instanceof ApiError ? error.fieldErrors() : {}
  const placed = new Set(shown.map((k) => `config.${k}`))
  return {
    fe,
    err: (path) => fe[`config.${path}`],
    unplaced: Object.entries(fe).filter(([k]) => k.startsWith('config.') && !placed.has(k)),
  }
}

/** The end of every connection form: errors without a field of their own, Enabled, Cancel / Save. */
export function ConnectionFormFooter({
  enabled,
  onEnabled,
  error,
  fieldErrors,
  unplaced = [],
  isNew,
  busy,
  onCancel,
  createLabel = 'Create connection',
}: {
  enabled: boolean
  onEnabled(v: boolean): void
  error: ApiError | null
  fieldErrors: Record<string, string>
  unplaced?: [string, string][]
  isNew: boolean
  busy: boolean
  onCancel(): void
  createLabel?: string
}) {
  return (
    <>
      {unplaced.length ? (
        <Text size="sm" c="red" data-testid="config-errors">
          {unplaced.map(([k, m]) => `${k.slice('config.'.length)}: ${m}`).join('; ')}
        </Text>
      ) : null}
      <Switch label="Enabled" checked={enabled} onChange={(e) => onEnabled(e.currentTarget.checked)} />
      <ErrorAlert error={error && Object.keys(fieldErrors).length === 0 ? error : null} />
      <Group justify="flex-end">
        <Button variant="default" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" loading={busy}>
          {isNew ? createLabel : 'Save'}
        </Button>
      </Group>
    </>
  )
}

/** A numeric setting of a connection form: its key, label and bounds. */
export type NumSpec = { key: string; label: string; description?: string; min?: number; max?: number; step?: number }

/** A numeric setting as an input; an emptied input gives undefined (the engine's default applies). */
export function NumField({ n, value, error, onChange }: { n: NumSpec; value: unknown; error?: string; onChange(v: number | undefined): void }) {
  return (
    <NumberInput
      label={n.label}
      description={n.description}
      min={n.min}
      max={n.max}
      step={n.step}
      value={typeof value === 'number' ? value : undefined}
      error={error}
      onChange={(v) => onChange(typeof v === 'number' ? v : undefined)}
    />
  )
}

/** A file location's scratch folder: where the connectivity test writes, renames and deletes its probe file. */
export function ScratchFolderField({ value, error, onChange }: { value: string; error?: string; onChange(v: string): void }) {
  return <TextInput label="Scratch folder" description="Where the connectivity test writes, renames and deletes its probe file." value={value} error={error} onChange={(e) => onChange(e.currentTarget.value)} />
}

/** Name, host and port of a file location's server (SFTP, FTPS). */
export function ServerFields(p: { name: string; host: string; port: number; defaultPort: number; nameError?: string; err(path: string): string | undefined; onName(v: string): void; onHost(v: string): void; onPort(v: number): void }) {
  return (
    <Group grow align="flex-start">
      <TextInput label="Name" required value={p.name} error={p.nameError} onChange={(e) => p.onName(e.currentTarget.value)} />
      <TextInput label="Host" required value={p.host} error={p.err('host')} onChange={(e) => p.onHost(e.currentTarget.value)} />
      <NumberInput label="Port" min={1} max={65535} value={p.port} error={p.err('port')} onChange={(n) => p.onPort(Number(n) || p.defaultPort)} />
    </Group>
  )
}
