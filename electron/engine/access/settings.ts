/**
 * Access settings of one deployment (docs/CONFIG.md, "Access"): session limits, step-up,
 * break-glass length, lockout, whether a second factor is required, and single sign-on. `serve`
 * reads them from `--access-config FILE`; the desktop app uses the defaults.
 */
import { z } from 'zod'

export const oidcSettingsSchema = z.object({
  /** The provider's issuer URL (its discovery document is at <issuer>/.well-known/openid-configuration). */
  issuer: z.string().url(),
  clientId: z.string().min(1),
  /** Shown on the sign-in button. */
  label: z.string().min(1).max(60).default('Sign in with single sign-on'),
  scopes: z.array(z.string()).default(['openid', 'profile', 'email']),
  /** The claim matched against a person's username when their account is not yet linked (first SSO sign-in). */
  usernameClaim: z.string().default('preferred_username'),
  /** Where the provider redirects back; default: the console's own /auth/callback (headless). */
  redirectUri: z.string().url().optional(),
  /** Allows an http:// issuer (a provider on loopback, for tests). */
  allowInsecure: z.boolean().default(false),
})
export type OidcSettings = z.infer<typeof oidcSettingsSchema>

export const accessSettingsSchema = z
  .object({
    /** Sign-out after this long without activity (HIPAA automatic logoff). */
    idleMinutes: z.number().positive().max(24 * 60).default(15),
    /** A session ends this long after sign-in, whatever the activity. */
    absoluteHours: z.number().positive().max(7 * 24).default(12),
    /** Revealing PHI, exporting, publishing, managing people and break-glass ask for the password again after this long. */
    stepUpMinutes: z.number().min(0).max(24 * 60).default(5),
    breakGlassMinutes: z.number().positive().max(24 * 60).default(60),
    /** Every person must enrol a second factor (TOTP) before doing anything else. */
    requireSecondFactor: z.boolean().default(false),
    lockout: z
      .object({
        /** Failed attempts before the account is locked. */
        threshold: z.number().int().min(1).max(100).default(5),
        /** First lock; each further failure doubles it, up to maxSeconds. */
        baseSeconds: z.number().int().min(1).default(30),
        maxSeconds: z.number().int().min(1).default(900),
      })
      .strict()
      .default({ threshold: 5, baseSeconds: 30, maxSeconds: 900 }),
    oidc: oidcSettingsSchema.nullable().default(null),
  })
  .strict()
export type AccessSettings = z.infer<typeof accessSettingsSchema>

export const DEFAULT_ACCESS_SETTINGS: AccessSettings = accessSettingsSchema.parse({})
