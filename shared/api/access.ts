/**
 * People, roles, per-practice grants, sign-in, sessions and break-glass (electron/engine/access).
 * A grant is person + practice (or `*`, every practice) + role; a role is a set of permissions.
 * The engine checks every call against them (the dispatcher); the console only hides what a
 * person may not do.
 */
import { z } from 'zod'
import { empty, method } from './define'
import { PERMISSIONS } from './permissions'

export const ALL_PRACTICES = '*'

const permissionSchema = z.enum(PERMISSIONS)
const username = z
  .string()
  .trim()
  .min(2)
  .max(64)
  .regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits and . _ @ - only')
const password = z.string().min(1).max(256)
const otp = z.string().trim().max(64).optional()

export const grantSchema = z.object({ practiceId: z.string().min(1), roleId: z.string().min(1) })
export type Grant = z.infer<typeof grantSchema>

export const roleSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  permissions: z.array(permissionSchema),
  builtin: z.boolean(),
})
export type Role = z.infer<typeof roleSchema>

export const breakGlassSchema = z.object({
  id: z.string(),
  personId: z.string(),
  person: z.string(),
  practiceId: z.string(),
  reasonCategory: z.string(),
  reason: z.string(),
  startedAt: z.number(),
  expiresAt: z.number(),
  endedAt: z.number().nullable(),
  endReason: z.string().nullable(),
  reviewedBy: z.string().nullable(),
  reviewedAt: z.number().nullable(),
  reviewNote: z.string().nullable(),
})
export type BreakGlass = z.infer<typeof breakGlassSchema>

/** The signed-in person as the console sees them: who, and what they may do where. */
export const meSchema = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  mustChangePassword: z.boolean(),
  secondFactor: z.boolean(),
  /** The deployment requires a second factor and none is enrolled yet. */
  needsSecondFactor: z.boolean(),
  /** Practice id (or `*`) → the permissions held there (grants plus any open break-glass). */
  permissions: z.record(z.string(), z.array(permissionSchema)),
  breakGlass: z.array(breakGlassSchema),
  session: z.object({ id: z.string(), createdAt: z.number(), expiresAt: z.number(), idleMs: z.number(), authAt: z.number() }),
})
export type Me = z.infer<typeof meSchema>

export const authStateSchema = z.object({
  /** No person exists yet: the first one to sign in creates the administrator. */
  setupRequired: z.boolean(),
  /** The setup needs the one-time setup token printed by `npm run serve`. */
  setupNeedsToken: z.boolean(),
  me: meSchema.nullable(),
  oidc: z.object({ enabled: z.boolean(), label: z.string() }),
  /** Why the last session ended, when the console asks right after (idle, expired, revoked, disabled). */
  ended: z.string().nullable(),
})
export type AuthState = z.infer<typeof authStateSchema>

export const sessionSchema = z.object({
  id: z.string(),
  personId: z.string(),
  person: z.string(),
  transport: z.string(),
  client: z.string(),
  method: z.string(),
  createdAt: z.number(),
  lastSeenAt: z.number(),
  expiresAt: z.number(),
  current: z.boolean(),
})
export type SessionDto = z.infer<typeof sessionSchema>

export const personSchema = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  email: z.string().nullable(),
  status: z.enum(['active', 'disabled']),
  secondFactor: z.boolean(),
  sso: z.boolean(),
  locked: z.boolean(),
  lastSignInAt: z.number().nullable(),
  grants: z.array(grantSchema),
  createdAt: z.number(),
})
export type Person = z.infer<typeof personSchema>

const signInResult = z.discriminatedUnion('status', [
  z.object({ status: z.literal('signed_in'), me: meSchema }),
  z.object({ status: z.literal('second_factor_required') }),
])

export const BREAKGLASS_REASONS = ['treatment', 'patient_safety', 'system_outage'] as const

export const accessApi = {
  /** Where the console stands: setup needed, signed in (and as whom), SSO available. */
  'auth.state': method('public', empty, authStateSchema),
  /** First run only: creates the administrator (system admin on every practice) and signs them in. */
  'auth.setup': method('public',
    z.object({ setupToken: z.string().max(200).optional(), username, displayName: z.string().trim().min(1).max(200), password }),
    z.object({ me: meSchema }),
  ),
  'auth.signIn': method('public', z.object({ username: z.string().trim().min(1).max(64), password, code: otp }), signInResult),
  'auth.signOut': method('session', empty, z.object({ signedOut: z.literal(true) })),
  /** Step-up: the password (and second factor) again, for reveal, export, publish, people and break-glass. */
  'auth.reauthenticate': method('session', z.object({ password, code: otp }), z.object({ authAt: z.number() })),
  /**
   * Single sign-on: the identity provider's authorization URL (code flow with PKCE). `loopback`
   * (desktop app only): the provider comes back to a one-shot listener on 127.0.0.1 (RFC 8252);
   * open the URL in the system browser and call auth.oidcLoopbackFinish with its `state`.
   */
  'auth.oidcBegin': method('public', z.object({ redirectUri: z.string().url().optional(), loopback: z.boolean().optional() }), z.object({ url: z.string() })),
  /** The redirect came back: `callbackUrl` is the full URL the provider redirected to. */
  'auth.oidcFinish': method('public', z.object({ callbackUrl: z.string().url().max(8000) }), z.object({ me: meSchema })),
  /** Desktop single sign-on: waits (up to 10 minutes) for the browser to reach the loopback listener, then signs in. */
  'auth.oidcLoopbackFinish': method('public', z.object({ state: z.string().min(1).max(200) }), z.object({ me: meSchema })),

  'account.changePassword': method('session', z.object({ current: password, next: password }), z.object({ changed: z.literal(true) })),
  /** Starts second-factor enrolment (needs the password): a new secret, its otpauth URL and a QR code. */
  'account.totpBegin': method('session', z.object({ password }), z.object({ secret: z.string(), otpauthUrl: z.string(), qrDataUrl: z.string() })),
  /** Confirms enrolment with a current code; returns recovery codes, shown once. */
  'account.totpConfirm': method('session', z.object({ code: z.string().trim().min(6).max(10) }), z.object({ recoveryCodes: z.array(z.string()) })),
  'account.totpDisable': method('session', z.object({ password, code: otp }), z.object({ disabled: z.literal(true) })),
  'account.sessions': method('session', empty, z.array(sessionSchema)),
  /** Ends one of my sessions, or `others: true` for every one but this. */
  'account.revokeSession': method('session', z.object({ id: z.string().optional(), others: z.boolean().optional() }), z.object({ revoked: z.number().int() })),

  /** People with a grant on a practice I manage (everyone, with `users.manage` on every practice). */
  'people.list': method('users.manage', z.object({ practiceId: z.string().optional() }), z.array(personSchema)),
  /** Invites a person: returns a one-time password they must change at first sign-in. */
  'people.invite': method('users.manage',
    z.object({ username, displayName: z.string().trim().min(1).max(200), email: z.string().email().max(200).optional(), grants: z.array(grantSchema).max(200) }),
    z.object({ person: personSchema, temporaryPassword: z.string() }),
  ),
  'people.update': method('users.manage', z.object({ id: z.string(), displayName: z.string().trim().min(1).max(200).optional(), email: z.string().email().max(200).nullable().optional() }), personSchema),
  /** Replaces the person's grants on the practices in `practiceIds` (those I manage) with `grants`. */
  'people.setGrants': method('users.manage', z.object({ id: z.string(), practiceIds: z.array(z.string()).min(1).max(500), grants: z.array(grantSchema).max(200) }), personSchema),
  /** Disables (sessions end at once) or enables a person. */
  'people.setStatus': method('users.manage', z.object({ id: z.string(), status: z.enum(['active', 'disabled']) }), personSchema),
  'people.resetSecondFactor': method('users.manage', z.object({ id: z.string() }), personSchema),
  'people.resetPassword': method('users.manage', z.object({ id: z.string() }), z.object({ temporaryPassword: z.string() })),
  'people.sessions': method('users.manage', z.object({ id: z.string() }), z.array(sessionSchema)),
  'people.revokeSession': method('users.manage', z.object({ id: z.string(), sessionId: z.string() }), z.object({ revoked: z.number().int() })),

  /** Every role with its permissions (the role matrix). */
  'roles.list': method('session', empty, z.array(roleSchema)),
  /** Creates or changes a custom role (built-in roles are fixed). */
  'roles.save': method('users.manage',
    z.object({ id: z.string().regex(/^[a-z0-9_-]{2,40}$/).optional(), name: z.string().trim().min(2).max(60), description: z.string().max(500).default(''), permissions: z.array(permissionSchema).min(1) }),
    roleSchema,
  ),
  'roles.delete': method('users.manage', z.object({ id: z.string() }), z.object({ deleted: z.literal(true) })),

  /**
   * Emergency access to one practice's PHI for a bounded time, after the password (and second
   * factor) again and a reason. Practice admins are alerted; the session lands in the review list.
   */
  'breakglass.start': method('breakglass.invoke',
    z.object({ practiceId: z.string(), reasonCategory: z.enum(BREAKGLASS_REASONS), reason: z.string().trim().min(20).max(2000), password, code: otp }),
    breakGlassSchema,
  ),
  'breakglass.stop': method('session', z.object({ id: z.string() }), breakGlassSchema),
  /** Break-glass sessions for review (newest first). */
  'breakglass.list': method('audit.view', z.object({ practiceId: z.string().optional(), unreviewedOnly: z.boolean().default(false) }), z.array(breakGlassSchema)),
  /** Signs a finished break-glass session off (not one's own). */
  'breakglass.review': method('audit.view', z.object({ id: z.string(), note: z.string().trim().min(3).max(2000) }), breakGlassSchema),
}
