import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { QueryClientProvider } from '@tanstack/react-query'
import { createBrowserRouter, RouterProvider } from 'react-router'
import { App } from './App'
import { attachRouter } from './router'
import { queryClient } from './queryClient'
import './styles.css'

// One route takes every path: `App` decides what a path shows (see App.tsx).
const router = createBrowserRouter([{ path: '*', element: <App /> }])
attachRouter(router)

const root = document.getElementById('root')
if (root) {
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </StrictMode>,
  )
}
