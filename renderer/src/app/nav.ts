import {
  IconActivity,
  IconAlertTriangle,
  IconCalendarEvent,
  IconReceipt,
  IconBuildingHospital,
  IconBroadcast,
  IconHeartRateMonitor,
  IconLayoutDashboard,
  IconFileText,
  IconFileImport,
  IconListDetails,
  IconPlugConnected,
  IconSettings,
  IconShieldCheck,
  IconTransform,
  IconUsers,
} from '@tabler/icons-react'
import type { ComponentType } from 'react'
import type { Permission } from '../../../shared/api/permissions'

export interface NavItem {
  path: string
  label: string
  icon: ComponentType<{ size?: number; stroke?: number }>
  /** Shown only to people holding one of these somewhere (the engine refuses the rest anyway). */
  anyOf?: Permission[]
}

export const NAV: NavItem[] = [
  { path: '/', label: 'Dashboard', icon: IconLayoutDashboard },
  { path: '/transactions', label: 'Transactions', icon: IconListDetails },
  { path: '/errors', label: 'Error queue', icon: IconAlertTriangle },
  { path: '/mappings', label: 'Mappings', icon: IconTransform },
  { path: '/connections', label: 'Connections', icon: IconPlugConnected },
  { path: '/connectivity', label: 'Connectivity', icon: IconHeartRateMonitor },
  { path: '/subscriptions', label: 'Subscriptions', icon: IconBroadcast, anyOf: ['msg.view_meta'] },
  { path: '/api-logs', label: 'API logs', icon: IconActivity },
  { path: '/engine-log', label: 'Engine log', icon: IconFileText },
  { path: '/practices', label: 'Practices', icon: IconBuildingHospital },
  { path: '/audit', label: 'Audit', icon: IconShieldCheck, anyOf: ['audit.view'] },
  { path: '/settings', label: 'Settings', icon: IconSettings },
  { path: '/people', label: 'People', icon: IconUsers, anyOf: ['users.manage', 'audit.view'] },
  { path: '/appointment-batches', label: 'Appointment batches', icon: IconCalendarEvent },
  { path: '/billing', label: 'Billing files', icon: IconReceipt },
  { path: '/patient-imports', label: 'Patient imports', icon: IconFileImport },
]
