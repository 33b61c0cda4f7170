import { Button, Card, Group, NumberInput, Select, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core'
import { notifications } from '@mantine/notifications'
import { useEffect, useState } from 'react'
import type { SystemSettings } from '../../../../shared/config'
import { ALL_PRACTICES } from '../../../../shared/api/access'
import { ApiError, useApi, useApiMutation } from '../../api/client'
import { useMayCall } from '../../app/auth'
import { ErrorAlert } from '../../components/ErrorAlert'

interface Form {
  syslogHost: string
  syslogPort: number
  syslogProtocol: 'udp' | 'tcp'
  anchorFile: string
  backupDir: string
  backupSchedule: string
  backupKeep: number
  windowStart: string
  windowEnd: string
}

const toForm = (s: SystemSettings): Form => ({
  syslogHost: s.auditExport.syslog?.host ?? '',
  syslogPort: s.auditExport.syslog?.port ?? 514,
  syslogProtocol: s.auditExport.syslog?.protocol ?? 'udp',
  anchorFile: s.auditExport.file ?? '',
  backupDir: s.backups.dir ?? '',
  backupSchedule: s.backups.schedule ?? '',
  backupKeep: s.backups.keep,
  windowStart: s.pruner.windowStart,
  windowEnd: s.pruner.windowEnd,
})

/** The installation's settings: where audit checkpoints are also sent, backups, the pruner's window. */
export function SystemSettingsCard() {
  const current = useApi('system.settings', {})
  const save = useApiMutation('system.saveSettings', ['system.settings', 'backups.list', 'system.status'])
  const maySave = useMayCall('system.saveSettings', ALL_PRACTICES)
  const [f, setF] = useState<Form | null>(null)
  useEffect(() => {
    if (current.data && !f) setF(toForm(current.data))
  }, [current.data, f])
  if (!current.data || !f) return <ErrorAlert error={current.error} />
  const s = current.data
  const fe = save.error instanceof ApiError ? save.error.fieldErrors() : {}
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setF({ ...f, [k]: v })
  const submit = () =>
    save.mutate(
      {
        auditExport: {
          syslog: f.syslogHost.trim() ? { ...(s.auditExport.syslog ?? { facility: 13, appName: 'practice-studio' }), host: f.syslogHost.trim(), port: f.syslogPort, protocol: f.syslogProtocol } : null,
          file: f.anchorFile.trim() || null,
        },
        backups: { dir: f.backupDir.trim() || null, schedule: f.backupSchedule.trim() || null, keep: f.backupKeep },
        pruner: { ...s.pruner, windowStart: f.windowStart, windowEnd: f.windowEnd },
      },
      { onSuccess: (r) => (setF(toForm(r)), notifications.show({ color: 'teal', title: 'Settings saved', message: 'Audit export, backups and retention window updated.' })) },
    )
  return (
    <Card withBorder data-testid="system-settings">
      <Stack>
        <div>
          <Title order={4}>Audit export, backups and retention window</Title>
          <Text size="sm" c="dimmed">
            Each audit checkpoint (and any failed verification) can also go to your SIEM over syslog (RFC 5424) and/or a file you keep elsewhere.
          </Text>
        </div>
        <SimpleGrid cols={{ base: 1, md: 3 }}>
          <TextInput label="Syslog host" placeholder="siem.example.org (empty = off)" value={f.syslogHost} error={fe['auditExport.syslog.host']} onChange={(e) => set('syslogHost', e.currentTarget.value)} />
          <NumberInput label="Syslog port" min={1} max={65535} value={f.syslogPort} error={fe['auditExport.syslog.port']} onChange={(v) => set('syslogPort', Number(v) || 514)} />
          <Select label="Syslog transport" data={['udp', 'tcp']} value={f.syslogProtocol} allowDeselect={false} onChange={(v) => v && set('syslogProtocol', v as Form['syslogProtocol'])} />
        </SimpleGrid>
        <TextInput label="Checkpoint file" description="Absolute path; one JSON line per checkpoint (empty = off)" value={f.anchorFile} error={fe['auditExport.file']} onChange={(e) => set('anchorFile', e.currentTarget.value)} />
        <SimpleGrid cols={{ base: 1, md: 3 }}>
          <TextInput label="Backup folder" description="Absolute path (empty = backups in the data folder)" value={f.backupDir} error={fe['backups.dir']} onChange={(e) => set('backupDir', e.currentTarget.value)} />
          <TextInput label="Backup schedule" description='Cron, local time, e.g. "0 2 * * *" (empty = on demand)' value={f.backupSchedule} error={fe['backups.schedule']} onChange={(e) => set('backupSchedule', e.currentTarget.value)} />
          <NumberInput label="Backups kept" min={1} max={1000} value={f.backupKeep} error={fe['backups.keep']} onChange={(v) => set('backupKeep', Number(v) || 1)} />
        </SimpleGrid>
        <SimpleGrid cols={{ base: 1, md: 3 }}>
          <TextInput label="Retention runs from" description="HH:MM, this machine's time" value={f.windowStart} error={fe['pruner.windowStart']} onChange={(e) => set('windowStart', e.currentTarget.value)} />
          <TextInput label="until" description="HH:MM (before the start = past midnight)" value={f.windowEnd} error={fe['pruner.windowEnd']} onChange={(e) => set('windowEnd', e.currentTarget.value)} />
        </SimpleGrid>
        <ErrorAlert error={save.error && Object.keys(fe).length === 0 ? save.error : null} />
        {maySave ? (
          <Group justify="flex-end">
            <Button onClick={submit} loading={save.isPending} data-testid="system-settings-save">
              Save
            </Button>
          </Group>
        ) : (
          <Text size="sm" c="dimmed" data-testid="system-settings-read-only">
            Read-only: changing the installation's settings needs Manage connections on every practice.
          </Text>
        )}
      </Stack>
    </Card>
  )
}
