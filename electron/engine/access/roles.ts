/**
 * The shipped roles (reference: access-and-scale.md A2). A role is only a set of permissions;
 * custom roles are rows of the same table, editable by whoever holds `users.manage` on every
 * practice. The system administrator runs the platform and sees no PHI by default: PHI needs a
 * practice role that carries it, or break-glass.
 */
import { PERMISSIONS, type Permission } from '../../../shared/api/permissions'

export interface RoleDef {
  id: string
  name: string
  description: string
  permissions: Permission[]
}

export const BUILTIN_ROLES: readonly RoleDef[] = [
  { id: 'viewer', name: 'Viewer', description: 'Sees message metadata (status, ids, times, errors); no PHI.', permissions: ['msg.view_meta'] },
  {
    id: 'operator',
    name: 'Operator',
    description: 'Works the queues: PHI (masked, revealed field by field), reprocess, discard, start/stop interfaces, patient and appointment writes, break-glass.',
    permissions: ['msg.view_meta', 'msg.view_phi', 'msg.reveal_phi', 'msg.reprocess', 'msg.discard', 'records.write', 'conn.start_stop', 'breakglass.invoke'],
  },
  { id: 'mapping_designer', name: 'Mapping designer', description: 'Edits mapping drafts against sample data; cannot publish.', permissions: ['msg.view_meta', 'msg.view_phi', 'mapping.edit'] },
  {
    id: 'practice_admin',
    name: 'Practice admin',
    description: "Everything within the practice: messages and PHI, mappings (publish included), connections and secrets, the practice's people, its audit trail.",
    // Every permission there is, within the practice.
    permissions: PERMISSIONS.filter((p) => p !== 'public' && p !== 'session'),
  },
  {
    id: 'system_admin',
    name: 'System admin',
    description: 'Runs the platform: practices, connections and secrets, people, the audit trail. No PHI unless also granted a role that carries it.',
    permissions: ['msg.view_meta', 'conn.start_stop', 'conn.manage', 'users.manage', 'audit.view'],
  },
  { id: 'auditor', name: 'Auditor', description: 'Reads the audit trail and message metadata; reviews break-glass sessions.', permissions: ['msg.view_meta', 'audit.view'] },
]

/** Break-glass grants these on its one practice, for its duration. */
export const BREAKGLASS_PERMISSIONS: readonly Permission[] = ['msg.view_meta', 'msg.view_phi', 'msg.reveal_phi', 'msg.reprocess']
