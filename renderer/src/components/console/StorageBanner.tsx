import { Alert } from '@mantine/core'
import { IconDatabaseOff } from '@tabler/icons-react'
import { useApi } from '../../api/client'
import { Time } from '../../app/time-format'

/**
 * On every page while the disk under the data folder is full (senders are being refused) or
 * running low. The engine pushes `storage.changed` the moment it fills or frees, so this appears and
 * clears without waiting for the poll; the poll catches a disk that slowly runs low.
 */
export function StorageBanner() {
  const status = useApi('system.status', {}, { refetchInterval: 30_000 })
  const storage = status.data?.storage
  if (!storage || storage.state === 'ok') return null
  const full = storage.state === 'full'
  return (
    <Alert
      color={full ? 'red' : 'yellow'}
      icon={<IconDatabaseOff size={18} />}
      title={full ? 'The disk is full: received messages are being refused' : 'Low disk space'}
      mb="md"
      data-testid="storage-banner"
      data-state={storage.state}
    >
      {full && storage.since ? <>Full since <Time value={storage.since} />. </> : ''}
      {storage.detail} Data folder: {status.data?.dataDir}
    </Alert>
  )
}
