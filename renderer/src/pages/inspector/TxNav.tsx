import { Button, Group, Text } from '@mantine/core'
import { IconChevronLeft, IconChevronRight } from '@tabler/icons-react'
import { useState } from 'react'
import { Link, useSearch } from 'wouter'
import { useApi } from '../../api/client'
import { toTxFilter } from '../transactions/log-filter'
import { neighbours, searchToFilter } from '../transactions/filter-url'

/** Previous / next within the search the message was opened from (kept in the URL's query). */
export function TxNav({ id, practiceId }: { id: number; practiceId: string }) {
  const search = useSearch()
  const filter = searchToFilter(search)
  const [now] = useState(() => Date.now())
  const base = filter ? toTxFilter(practiceId, filter, now) : null
  const page = useApi('transactions.list', { ...(base ?? { practiceId }), limit: 500 }, { enabled: base !== null })
  const ids = (page.data?.items ?? []).map((t) => t.id)
  const at = neighbours(ids, id)
  // Past the first 500, the next older match is still one keyset step away.
  const older = useApi('transactions.list', { ...(base ?? { practiceId }), before: id, limit: 1 }, { enabled: base !== null && page.isSuccess && at.index < 0 })
  if (!filter) return null
  const next = at.index >= 0 ? at.next : (older.data?.items[0]?.id ?? null)
  const href = (to: number) => `/transactions/${to}?${search}`
  const total = `${ids.length}${page.data?.nextCursor ? '+' : ''}`
  return (
    <Group gap="xs" data-testid="tx-nav" wrap="nowrap">
      <NavButton to={at.prev !== null ? href(at.prev) : null} label="Previous" left />
      <Text size="sm" data-testid="tx-nav-position" style={{ whiteSpace: 'nowrap' }}>
        {at.index >= 0 ? `${at.index + 1} of ${total}` : 'in search'}
      </Text>
      <NavButton to={next !== null ? href(next) : null} label="Next" />
    </Group>
  )
}

function NavButton({ to, label, left }: { to: string | null; label: string; left?: boolean }) {
  const icon = left ? { leftSection: <IconChevronLeft size={14} /> } : { rightSection: <IconChevronRight size={14} /> }
  if (to === null)
    return (
      <Button variant="default" size="xs" disabled {...icon}>
        {label}
      </Button>
    )
  return (
    <Button component={Link} href={to} variant="default" size="xs" {...icon}>
      {label}
    </Button>
  )
}
