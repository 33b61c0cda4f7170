/**
 * A break-glass session nobody has signed off within a week raises an alert. It is an alert kind
 * of the console's alert rules (alert-kinds.ts), so it is edge-triggered, repeats, resolves when
 * the review is done, and goes to the practice's e-mail/webhook channels like any other. The first
 * break-glass start on a practice adds the rule (threshold: days without review, 7 by default);
 * an admin may then change the days, the channels or the repeat like any rule, and is audited.
 */
import type { EngineContext } from '../core/engine'
import { alertKinds, consoleLink } from '../console/alert-kinds'
import { consoleModule } from '../console/console-handlers'

export const BREAKGLASS_REVIEW_KIND = 'breakglass_unreviewed'
export const BREAKGLASS_REVIEW_DAYS = 7

export function registerBreakGlassReviewKind(ctx: EngineContext): void {
  alertKinds(ctx).register({
    kind: BREAKGLASS_REVIEW_KIND,
    label: 'Break-glass not reviewed',
    description: 'An emergency (break-glass) access to this practice ended at least `threshold` days ago and no admin has signed it off (People → Break-glass).',
    uses: ['threshold'],
    thresholdLabel: 'days without review',
    measure: (rule) => {
      const { n, oldest } = ctx.access.overdueReviews(rule.practiceId, rule.threshold)
      return {
        value: n,
        alert: n > 0,
        message:
          n > 0
            ? `${n} break-glass session${n === 1 ? '' : 's'} of this practice ${n === 1 ? 'is' : 'are'} still not reviewed ${rule.threshold} days after ending (oldest ended ${new Date(oldest!).toISOString().slice(0, 10)}).`
            : 'Every break-glass session of this practice is reviewed within its time.',
        link: consoleLink('/people', { practiceId: rule.practiceId }),
      }
    },
  })
}

/** Adds the practice's review rule if it has none of this kind yet (run when break-glass starts there). */
export function ensureBreakGlassReviewRule(ctx: EngineContext, practiceId: string): void {
  const { alerts } = consoleModule(ctx)
  if (alerts.rules(practiceId).some((r) => r.kind === BREAKGLASS_REVIEW_KIND)) return
  alerts.save(
    {
      practiceId,
      name: 'Break-glass review overdue',
      kind: BREAKGLASS_REVIEW_KIND,
      enabled: true,
      level: 'warning',
      connector: null,
      channel: null,
      threshold: BREAKGLASS_REVIEW_DAYS,
      windowMinutes: 15,
      errorCode: null,
      channels: [],
      quietHours: null,
      repeatMinutes: 24 * 60,
      notifyResolved: true,
    },
    'system (break-glass review)',
    () => null,
  )
}
