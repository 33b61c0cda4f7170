/**
 * For every contract method: which practice a call concerns, so the dispatcher can check the
 * method's permission there (shared/api/*.ts declares the permission), and whether it needs a
 * recent password (step-up). The type lists every method, so a new method without a rule is a
 * compile error: nobody can add a call that skips the check.
 *
 *   none      no practice's data (signing in, one's own account, engine status); the output
 *             net in guard.ts still drops rows of practices the caller cannot see
 *   practice  one practice (or several), from `input.practiceId` or the row an id points to;
 *             a practice the caller has no grant on answers not_found, as if it did not exist
 *   list      every practice the caller holds the permission on, or one (`practiceId`); the
 *             handler passes `ctx.scope` to its repository query
 *   global    the permission on every practice (a `*` grant): engine-wide changes
 */
import type { Method, ParsedInputOf } from '../../../shared/api'
import { ALL_PRACTICES } from '../../../shared/api/access'
import type { Db } from '../store/database'

export type PracticeOf<M extends Method> = (input: ParsedInputOf<M>) => string | readonly string[] | null | undefined

export type MethodRule<M extends Method> = {
  scope: 'none' | 'list' | 'global' | 'practice'
  /** For `practice`: the practice(s) concerned; default `input.practiceId`. */
  practice?: PracticeOf<M>
  /** Needs the password entered within the step-up window (reveal PHI, export, publish, people, break-glass). */
  stepUp?: boolean
}

export type MethodRules = { [M in Method]: MethodRule<M> }

/** The practice of each row an id names (unknown ids name none; the handler reports them). */
export interface PracticeLookups {
  transactions(ids: readonly number[]): string[]
  connection(id: string): string | null
  savedSearch(id: string): string | null
  alertRule(id: string): string | null
  alertChannel(id: string): string | null
  notifications(ids: readonly string[]): string[]
  breakGlass(id: string): string | null
}

export function sqlLookups(db: Db): PracticeLookups {
  const one = (sql: string) => {
    const st = db.prepare(sql).pluck()
    return (id: unknown): string | null => (st.get(id) as string | undefined) ?? null
  }
  const tx = one('SELECT practice_id FROM transactions WHERE id = ?')
  const conn = one('SELECT practice_id FROM connections WHERE id = ?')
  const saved = one('SELECT practice_id FROM saved_searches WHERE id = ?')
  const rule = one('SELECT practice_id FROM alert_rules WHERE id = ?')
  const channel = one('SELECT practice_id FROM alert_channels WHERE id = ?')
  const note = one('SELECT practice_id FROM notifications WHERE id = ?')
  const bg = one('SELECT practice_id FROM breakglass_sessions WHERE id = ?')
  const many = <T>(f: (id: T) => string | null, ids: readonly T[]): string[] => [...new Set(ids.map(f).filter((x): x is string => x !== null))]
  return {
    transactions: (ids) => many(tx, ids),
    connection: conn,
    savedSearch: saved,
    alertRule: rule,
    alertChannel: channel,
    notifications: (ids) => many(note, ids),
    breakGlass: bg,
  }
}

export function methodRules(l: PracticeLookups): MethodRules {
  const tx = (i: { id: number }) => l.transactions([i.id])
  const txs = (i: { ids: readonly number[] }) => l.transactions(i.ids)
  const conn = (i: { id: string }) => l.connection(i.id)
  const selection = (i: { selection: { kind: 'ids'; ids: number[] } | { kind: 'group'; practiceId: string } | { kind: 'filter'; filter: { practiceId: string } } }) =>
    i.selection.kind === 'ids' ? l.transactions(i.selection.ids) : i.selection.kind === 'group' ? i.selection.practiceId : i.selection.filter.practiceId
  const practiceIdOf = (i: { id: string }) => i.id
  const practice = { scope: 'practice' } as const
  return {
    'system.status': { scope: 'none' },
    'system.ping': { scope: 'none' },

    'practices.list': { scope: 'list' },
    'practices.get': { scope: 'practice', practice: practiceIdOf },
    'practices.create': { scope: 'global' },
    'practices.update': { scope: 'practice', practice: practiceIdOf },
    'practices.usage': { scope: 'practice', practice: practiceIdOf },
    // Deleting a practice erases all its data: only someone who manages every practice.
    'practices.delete': { scope: 'global', practice: practiceIdOf },

    'connections.list': practice,
    'connections.create': practice,
    'connections.update': { scope: 'practice', practice: conn },
    'connections.delete': { scope: 'practice', practice: conn },
    'connections.setSecret': { scope: 'practice', practice: conn },
    'connections.clearSecret': { scope: 'practice', practice: conn },
    'connections.test': { scope: 'practice', practice: conn },
    'connections.lastTests': practice,
    'connections.testAll': practice,

    'transactions.list': { scope: 'list' },
    'transactions.get': { scope: 'practice', practice: tx },
    'transactions.payload': { scope: 'practice', practice: tx },
    'transactions.reprocess': { scope: 'practice', practice: txs },
    'transactions.editAndReprocess': { scope: 'practice', practice: tx },
    'transactions.discard': { scope: 'practice', practice: txs },
    'transactions.counts': { scope: 'list' },

    'audit.list': { scope: 'list' },
    'audit.export': { scope: 'list', stepUp: true },
    'audit.verify': { scope: 'list' },
    // Security alerts are about the whole trail: anyone who audits sees them; acknowledging one is for who audits everything.
    'audit.alerts': { scope: 'list' },
    'audit.acknowledgeAlert': { scope: 'global' },
    // Starting a new checkpoint series after a break is about the whole installation's trail.
    'audit.acceptBreak': { scope: 'global' },
    // Installation-wide settings, retention and backups (maintenance/).
    'system.settings': { scope: 'none' },
    'system.saveSettings': { scope: 'global' },
    'retention.runs': { scope: 'list' },
    'retention.pruneNow': { scope: 'global' },
    'backups.list': { scope: 'list' },
    'backups.create': { scope: 'global' },
    'config.export': { scope: 'list', stepUp: true },
    // An import can create practices and change any of them.
    'config.import': { scope: 'global' },

    'mappings.sets': practice,
    'mappings.get': practice,
    'mappings.effective': practice,
    'mappings.saveDraft': practice,
    'mappings.discardDraft': practice,
    'mappings.preview': practice,
    'mappings.runTests': practice,
    'mappings.testFromSample': practice,
    'mappings.publish': { scope: 'practice', stepUp: true },
    'mappings.versions': practice,
    'mappings.diff': practice,
    'mappings.rollback': { scope: 'practice', stepUp: true },
    'mappings.export': practice,
    'mappings.import': practice,
    'mappings.codeMapExport': practice,
    'mappings.codeMapImport': practice,
    'mappings.samples.list': practice,
    'mappings.samples.add': practice,
    'mappings.samples.remove': practice,
    'mappings.samples.sources': practice,
    'mappings.samples.browse': practice,
    'mappings.samples.import': practice,
    'mappings.samples.tree': practice,
    'mappings.samples.reveal': { scope: 'practice', stepUp: true },
    'mappings.misses': practice,
    'mappings.addMissEntry': practice,
    'mappings.reprocessMisses': practice,
    'mappings.dismissMiss': practice,

    'dashboard.summary': practice,
    'dashboard.lanes': practice,
    'dashboard.beginExport': { scope: 'practice', practice: (i) => i.filter.practiceId, stepUp: true },

    'errors.groups': practice,
    'errors.plan': { scope: 'practice', practice: selection },
    'errors.reprocess': { scope: 'practice', practice: selection },
    'errors.discard': { scope: 'practice', practice: selection },
    'errors.triage': { scope: 'practice', practice: selection },
    'errors.preview': { scope: 'practice', practice: tx },

    'inspector.view': { scope: 'practice', practice: tx },
    'inspector.reveal': { scope: 'practice', practice: tx, stepUp: true },
    'inspector.settings': { scope: 'none' },
    // The reveal policy holds for every practice: only someone who manages people everywhere.
    'inspector.saveSettings': { scope: 'global' },

    'savedSearches.list': practice,
    'savedSearches.save': practice,
    'savedSearches.delete': { scope: 'practice', practice: (i) => l.savedSearch(i.id) },

    'alerts.rules': practice,
    'alerts.saveRule': { scope: 'practice', practice: (i) => (i.id ? [i.practiceId, l.alertRule(i.id) ?? i.practiceId] : i.practiceId) },
    'alerts.deleteRule': { scope: 'practice', practice: (i) => l.alertRule(i.id) },
    'alerts.evaluate': practice,
    'alerts.notifications': { scope: 'list' },
    'alerts.markRead': { scope: 'list', practice: (i) => (i.ids ? l.notifications(i.ids) : i.practiceId) },

    'athena.sync': practice,
    'athena.syncStatus': practice,
    'athena.searchPatients': practice,
    'athena.bestMatch': practice,
    'athena.importPatient': practice,
    'athena.createPatient': practice,
    'athena.updatePatient': practice,
    'athena.referenceData': practice,
    'athena.openSlots': practice,
    'athena.bookedAppointments': practice,
    'athena.createSlots': practice,
    'athena.book': practice,
    'athena.cancel': practice,
    'athena.reschedule': practice,
    'athena.pushAppointment': practice,
    'athena.uploadDocument': practice,
    'athena.apiLog.list': { scope: 'list' },
    'athena.apiLog.endpoints': { scope: 'list' },
    'athena.apiLog.export': { scope: 'list', stepUp: true },
    'athena.apiLog.get': practice,
    'athena.usage': practice,
    'athena.usageAll': { scope: 'list' },
    'athena.circuit': practice,

    'hl7.listeners': { scope: 'list' },
    'hl7.destinations': { scope: 'list' },
    'hl7.sendTest': { scope: 'practice', practice: conn },
    // Tries rules on a pasted message; touches no practice's data.
    'hl7.tryInterface': { scope: 'list' },
    'hl7.supportedTypes': { scope: 'none' },

    'logs.tail': { scope: 'list' },

    'auth.state': { scope: 'none' },
    'auth.setup': { scope: 'none' },
    'auth.signIn': { scope: 'none' },
    'auth.signOut': { scope: 'none' },
    'auth.reauthenticate': { scope: 'none' },
    'auth.oidcBegin': { scope: 'none' },
    'auth.oidcFinish': { scope: 'none' },
    'auth.oidcLoopbackFinish': { scope: 'none' },
    'account.changePassword': { scope: 'none' },
    'account.totpBegin': { scope: 'none' },
    'account.totpConfirm': { scope: 'none' },
    'account.totpDisable': { scope: 'none' },
    'account.sessions': { scope: 'none' },
    'account.revokeSession': { scope: 'none' },

    // People: the handlers also check that the person works only in practices the caller manages.
    'people.list': { scope: 'list' },
    'people.invite': { scope: 'practice', practice: (i) => i.grants.map((g) => g.practiceId).filter((p) => p !== ALL_PRACTICES), stepUp: true },
    'people.update': { scope: 'list', stepUp: true },
    'people.setGrants': { scope: 'practice', practice: (i) => i.practiceIds.filter((p) => p !== ALL_PRACTICES), stepUp: true },
    'people.setStatus': { scope: 'list', stepUp: true },
    'people.resetSecondFactor': { scope: 'list', stepUp: true },
    'people.resetPassword': { scope: 'list', stepUp: true },
    'people.sessions': { scope: 'list' },
    'people.revokeSession': { scope: 'list', stepUp: true },
    'roles.list': { scope: 'none' },
    'roles.save': { scope: 'global', stepUp: true },
    'roles.delete': { scope: 'global', stepUp: true },

    // Break-glass re-checks the password itself (with the second factor), whatever the step-up window.
    'breakglass.start': practice,
    'breakglass.stop': { scope: 'none' },
    'breakglass.list': { scope: 'list' },
    'breakglass.review': { scope: 'practice', practice: (i) => l.breakGlass(i.id) },

    // FHIR: every call names its practice; handlers check that a row id belongs to it.
    'fhir.capabilities': practice,
    'fhir.pull.patient': practice,
    'fhir.pull.clinical': practice,
    'fhir.pull.panel': practice,
    'fhir.pull.reference': practice,
    'fhir.write': practice,
    'fhir.topics': practice,
    'fhir.subscriptions.list': { scope: 'list' },
    'fhir.subscriptions.renew': practice,
    'fhir.subscriptions.delete': practice,
    'fhir.subscriptions.sync': practice,
    'fhir.subscriptions.sendTest': practice,
    'fhir.webhook.status': practice,
    'fhir.reconcile': practice,

    // Files: jobs, files and reports name their practice; a location's identity follows its connection.
    'files.kinds': { scope: 'none' },
    'files.jobs.list': { scope: 'list' },
    'files.jobs.create': practice,
    'files.jobs.update': practice,
    'files.jobs.delete': practice,
    'files.jobs.run': practice,
    'files.jobs.runs': practice,
    'files.list': { scope: 'list' },
    'files.report': practice,
    'files.reportCsv': { scope: 'practice', stepUp: true },
    'files.identity': { scope: 'practice', practice: (i) => l.connection(i.connectionId) },
    'files.trustIdentity': { scope: 'practice', practice: (i) => l.connection(i.connectionId) },
    'files.changes': { scope: 'list' },
    'files.decideChanges': practice,

    'matching.worklist': { scope: 'list' },
    'matching.pair': practice,
    'matching.resolve': practice,
    'matching.undo': practice,
    'matching.exportCsv': { scope: 'practice', stepUp: true },

    'patients.links': { scope: 'list' },
    'patients.undoLink': practice,

    'billing.settings': practice,
    'billing.saveSettings': practice,
    'billing.previewClaims': practice,
    'billing.generateClaims': practice,
    'billing.resubmitClaim': practice,
    'billing.claims': { scope: 'list' },
    'billing.claimFiles': practice,
    'billing.claimFileContent': { scope: 'practice', stepUp: true },
    'billing.importRemittance': practice,
    'billing.importDeposits': practice,
    'billing.remittances': practice,
    'billing.remittanceClaims': practice,
    'billing.deposits': practice,
    'billing.reconciliation': practice,
    'billing.exportReconciliation': { scope: 'practice', stepUp: true },

    'appointments.batchSettings': practice,
    'appointments.saveBatchSettings': practice,
    'appointments.importFile': practice,
    'appointments.runs': { scope: 'list' },
    'appointments.runRows': practice,
    'appointments.runReportCsv': { scope: 'practice', stepUp: true },
    'appointments.conflicts': { scope: 'list' },
    'appointments.conflict': practice,
    'appointments.resolveConflict': practice,
    'appointments.held': practice,
    'appointments.retryHeld': practice,
    'appointments.export': { scope: 'practice', stepUp: true },

    'alerts.kinds': { scope: 'none' },
    'errors.advice': { scope: 'none' },
    'alerts.channels': practice,
    'alerts.saveChannel': { scope: 'practice', practice: (i) => (i.id ? [i.practiceId, l.alertChannel(i.id) ?? i.practiceId] : i.practiceId) },
    'alerts.deleteChannel': { scope: 'practice', practice: (i) => l.alertChannel(i.id) },
    'alerts.testChannel': { scope: 'practice', practice: (i) => l.alertChannel(i.id) },
    'alerts.deliveries': practice,
  }
}
