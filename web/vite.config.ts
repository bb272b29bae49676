import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The built UI is embedded in the `inbox` binary (crates/server/src/web.rs); `npm run dev` proxies the
// API to a running `inbox demo` on 127.0.0.1:8080.
export default defineConfig({
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // One stylesheet and hashed chunks; nothing inline, so the server's CSP can forbid inline script.
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    target: 'es2022',
  },
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', ws: true },
    },
  },
});
