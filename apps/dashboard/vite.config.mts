/** The dashboard's browser app: built from web/ into dist/public, served by the dashboard server. */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('./web'),
  base: '/',
  plugins: [react()],
  // The pages take only types from the HTTP contracts (`import type`, erased in the bundle); the path resolves as in web/tsconfig.json.
  resolve: { alias: { '@runway/contracts/http': here('../../libs/contracts/src/http/index.ts') } },
  logLevel: 'warn',
  build: { outDir: here('./dist/public'), emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 400 },
  server: { port: 5173, proxy: { '/api': 'http://127.0.0.1:3100', '/auth': 'http://127.0.0.1:3100', '/events': 'http://127.0.0.1:3100' } },
});
