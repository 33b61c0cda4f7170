import { Badge } from '@mantine/core'
import type { TxStatus } from '../../../../shared/api/transactions'

export const STATUS_COLOR: Record<TxStatus, string> = {
  received: 'gray',
  queued: 'blue',
  processing: 'cyan',
  done: 'teal',
  filtered: 'yellow',
  error: 'red',
  discarded: 'dark',
}

export function StatusBadge({ status }: { status: TxStatus }) {
  return (
    <Badge size="sm" variant="light" color={STATUS_COLOR[status]}>
      {status}
    </Badge>
  )
}
