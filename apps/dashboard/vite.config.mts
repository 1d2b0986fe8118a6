/** The dashboard's browser app: built from web/ into dist/public, served by the dashboard server. */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('./web'),
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: { outDir: here('./dist/public'), emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 400 },
  server: { port: 5173, proxy: { '/api': 'http://127.0.0.1:3100', '/auth': 'http://127.0.0.1:3100', '/events': 'http://127.0.0.1:3100' } },
});
