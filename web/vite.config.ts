import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// The web application, built into web/dist and served by the platform itself (src/http/web-static.ts).
// Everything (DSFR fonts and icons, pdf.js worker) is bundled from node_modules: no CDN at run time.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
    // DSFR icons stay separate files (fetched only when an icon is shown) instead of bloating the CSS.
    assetsInlineLimit: (file: string) => (file.endsWith('.svg') ? false : undefined),
    rolldownOptions: {
      onwarn(warning, warn) {
        // react-dsfr marks its modules "use client" (for Next.js): meaningless in a SPA bundle.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    port: 5173,
    proxy: { '/api': `http://127.0.0.1:${process.env.PARAPHE_PORT ?? '3000'}` },
  },
});
