/**
 * What a person may do, one code per kind of action. Every method of the contract declares the
 * one permission it needs (`method(permission, input, output)` in define.ts), so an engine check
 * can refuse a call before its handler runs and a test can walk the whole contract. Grants are
 * per practice; `session` needs only a signed-in person and reads no practice's data, `public`
 * needs nobody (signing in).
 */
export const PERMISSIONS = [
  'public',
  'session',
  'msg.view_meta',
  'msg.view_phi',
  'msg.reveal_phi',
  'msg.reprocess',
  'msg.edit_payload',
  'msg.discard',
  'msg.export',
  'records.write',
  'mapping.edit',
  'mapping.publish',
  'conn.start_stop',
  'conn.manage',
  'users.manage',
  'audit.view',
  'breakglass.invoke',
] as const
export type Permission = (typeof PERMISSIONS)[number]
