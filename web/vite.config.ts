import { defineConfig, type Plugin } from 'vite';
import { fileURLToPath } from 'node:url';

/**
 * Cold first visit: the browser learns about the Marianne fonts only once the CSS is parsed and text laid out,
 * and about the DSFR's own script (react-dsfr's `start` imports it dynamically) only once the main script has
 * run. Announcing them in index.html lets them download in parallel with the main script and style sheet.
 * Only the weights the interface uses (regular 400, medium 500, bold 700; no italic, no light, no Spectral).
 */
function preloadCriticalAssets(): Plugin {
  const FONTS = /^assets\/Marianne-(Regular|Medium|Bold)-[\w-]+\.woff2$/;
  const MODULES = /^assets\/dsfr\.module-[\w-]+\.js$/;
  return {
    name: 'paraphe:preload-critical-assets',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        const files = Object.keys(ctx.bundle ?? {});
        return [
          ...files.filter((f) => FONTS.test(f)).map((f) => ({ tag: 'link', attrs: { rel: 'preload', href: `/${f}`, as: 'font', type: 'font/woff2', crossorigin: '' }, injectTo: 'head' as const })),
          ...files.filter((f) => MODULES.test(f)).map((f) => ({ tag: 'link', attrs: { rel: 'modulepreload', href: `/${f}` }, injectTo: 'head' as const })),
        ];
      },
    },
  };
}

// The web application, built into web/dist and served by the platform itself (src/http/web-static.ts).
// Everything (DSFR fonts and icons, pdf.js worker) is bundled from node_modules: no CDN at run time.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [preloadCriticalAssets()],
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
