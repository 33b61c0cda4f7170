/**
 * The athenaNet daily quota, one way everywhere it shows (dashboard, connections, API logs): one
 * query (same key, same refresh) and one figure, "used" = the limit minus what the engine says is
 * left (its own count, or athena's when the server reports a smaller one), the number the engine
 * refuses calls by.
 */
import { Text } from '@mantine/core'
import type { OutputOf } from '../../../../shared/api'
import { useApi } from '../../api/client'

export type AthenaUsage = OutputOf<'athena.usage'>

/** The practice's athenaNet usage, every 5 s, or every `everyMs` where a page shows a run live. */
export function useAthenaUsage(practiceId: string | null, everyMs = 5000) {
  return useApi('athena.usage', { practiceId: practiceId ?? '' }, { enabled: Boolean(practiceId), refetchInterval: everyMs })
}

export function quotaUsed(u: AthenaUsage): number | null {
  return u.dailyQuota === null || u.remainingQuota === null ? null : u.dailyQuota - u.remainingQuota
}

/** "1,234 of 50,000 calls" (or a dash when the practice has no athenaNet connection). */
export function QuotaUsed({ usage, size = 'sm' }: { usage: AthenaUsage; size?: string }) {
  const used = quotaUsed(usage)
  if (used === null)
    return (
      <Text size={size} span>
        —
      </Text>
    )
  return (
    <Text size={size} span data-testid="quota-used" data-used={used} data-limit={usage.dailyQuota}>
      {used.toLocaleString('en-US')} of {usage.dailyQuota!.toLocaleString('en-US')} quota calls used
    </Text>
  )
}
