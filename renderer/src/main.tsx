import './zod-jitless'
import '@mantine/core/styles.css'
import '@mantine/notifications/styles.css'
import './app/a11y.css'
import { MantineProvider } from '@mantine/core'
import { Notifications } from '@mantine/notifications'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { StrictMode, useEffect, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { Router } from 'wouter'
import { useHashLocation } from 'wouter/use-hash-location'
import { setTransport } from './api/client'
import { applyEvent } from './api/live-updates'
import { createTransport, type Transport } from './api/transport'
import { AuthGate } from './app/auth'
import { PracticeProvider } from './app/practice-context'
import { Routes } from './app/routes'
import { Shell } from './app/Shell'
import { theme } from './app/theme'

const queryClient = new QueryClient({
  defaultOptions: { queries: { staleTime: 5_000, retry: (n, e) => n < 2 && (e as { retryable?: boolean }).retryable === true, refetchOnWindowFocus: false } },
})

function Console({ transport }: { transport: Transport }) {
  const [connected, setConnected] = useState(false)
  useEffect(() => transport.subscribe((name, payload) => applyEvent(queryClient, name, payload), setConnected), [transport])
  return (
    <Router hook={useHashLocation}>
      <PracticeProvider>
        <Shell connected={connected}>
          <Routes />
        </Shell>
      </PracticeProvider>
    </Router>
  )
}

function App({ transport }: { transport: Transport }) {
  return (
    <QueryClientProvider client={queryClient}>
      <AuthGate>
        <Console transport={transport} />
      </AuthGate>
    </QueryClientProvider>
  )
}

const transport = createTransport()
setTransport(transport)

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="light">
      {/* Bottom right: a toast must never cover the header (practice switcher, notification bell). */}
      <Notifications position="bottom-right" />
      <App transport={transport} />
    </MantineProvider>
  </StrictMode>,
)
