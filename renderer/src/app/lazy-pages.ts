/**
 * Pages load when first opened (one chunk each), so the console's first paint does not wait for
 * the mapping studio or the inspector. Routes import the pages from here.
 */
import { lazy } from 'react'

export const ApiLogsPage = lazy(() => import('../pages/api-logs/ApiLogsPage').then((m) => ({ default: m.ApiLogsPage })))
export const AuditPage = lazy(() => import('../pages/audit/AuditPage').then((m) => ({ default: m.AuditPage })))
export const ConnectionsPage = lazy(() => import('../pages/connections/ConnectionsPage').then((m) => ({ default: m.ConnectionsPage })))
export const ConnectivityPage = lazy(() => import('../pages/connectivity/ConnectivityPage').then((m) => ({ default: m.ConnectivityPage })))
export const DashboardPage = lazy(() => import('../pages/dashboard/DashboardPage').then((m) => ({ default: m.DashboardPage })))
export const EngineLogPage = lazy(() => import('../pages/engine-log/EngineLogPage').then((m) => ({ default: m.EngineLogPage })))
export const ErrorsPage = lazy(() => import('../pages/errors/ErrorsPage').then((m) => ({ default: m.ErrorsPage })))
export const InspectorPage = lazy(() => import('../pages/inspector/InspectorPage').then((m) => ({ default: m.InspectorPage })))
export const MappingsRoutes = lazy(() => import('../pages/mappings/MappingsRoutes').then((m) => ({ default: m.MappingsRoutes })))
export const PracticesPage = lazy(() => import('../pages/practices/PracticesPage').then((m) => ({ default: m.PracticesPage })))
export const SettingsPage = lazy(() => import('../pages/settings/SettingsPage').then((m) => ({ default: m.SettingsPage })))
export const TransactionsPage = lazy(() => import('../pages/transactions/TransactionsPage').then((m) => ({ default: m.TransactionsPage })))
export const AccountPage = lazy(() => import('../pages/account/AccountPage').then((m) => ({ default: m.AccountPage })))
export const PeoplePage = lazy(() => import('../pages/people/PeoplePage').then((m) => ({ default: m.PeoplePage })))
export const SubscriptionsPage = lazy(() => import('../pages/subscriptions/SubscriptionsPage').then((m) => ({ default: m.SubscriptionsPage })))
export const AppointmentBatchesPage = lazy(() => import('../pages/appointment-batches/AppointmentBatchesPage').then((m) => ({ default: m.AppointmentBatchesPage })))
export const BillingPage = lazy(() => import('../pages/billing/BillingPage').then((m) => ({ default: m.BillingPage })))
export const PatientImportsPage = lazy(() => import('../pages/patient-imports/PatientImportsPage').then((m) => ({ default: m.PatientImportsPage })))
