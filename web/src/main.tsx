import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { QueryClientProvider } from '@tanstack/react-query'
import { BrowserRouter } from 'react-router'
import { App } from './App'
import { NavigationBridge } from './router'
import { queryClient } from './queryClient'
import './styles.css'

const root = document.getElementById('root')
if (root) {
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          {/* Before the app, so its effects see the router's navigate. */}
          <NavigationBridge />
          <App />
        </BrowserRouter>
      </QueryClientProvider>
    </StrictMode>,
  )
}
