// Build and test configuration of the web console. `npm run build` writes web/dist, which the
// switchboard binary embeds (src/web.rs); `npm run dev` proxies /api to a local server.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No source maps: dist/ is committed and embedded, so it stays small.
    sourcemap: false,
    chunkSizeWarningLimit: 300,
  },
  server: {
    proxy: { '/api': process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:8080' },
  },
  test: {
    environment: 'jsdom',
    globals: true,
    include: ['src/**/*.test.{ts,tsx}'],
  },
})
