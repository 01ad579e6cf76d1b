import { defineConfig, minifySync, transformWithOxc, type Plugin } from 'vite';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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

/**
 * index.html's first script: src/early-requests.ts (the session and the page's first API reads, started
 * before the application's script is even downloaded), compiled and inlined in place of its marker.
 */
function earlyRequests(): Plugin {
  const file = fileURLToPath(new URL('./src/early-requests.ts', import.meta.url));
  const MARKER = '/* paraphe:early-requests */';
  return {
    name: 'paraphe:early-requests',
    async transformIndexHtml(html) {
      if (!html.includes(MARKER)) throw new Error(`index.html: ${MARKER} missing`);
      const { code } = await transformWithOxc(readFileSync(file, 'utf8'), file, { lang: 'ts' });
      // A classic script, not a module: the exports become local functions of one closure.
      const script = `(() => {\n${code.replace(/^export /gm, '')}\nstartEarlyRequests();\n})();`;
      const min = minifySync('early-requests.js', script, { compress: true, mangle: true });
      if (min.errors.length) throw new Error(`early-requests.ts: ${min.errors.map((e) => e.message).join('; ')}`);
      return html.replace(MARKER, min.code.trim());
    },
  };
}

/**
 * react-dsfr's `fr` object (imported by every component for `fr.cx`) carries the DSFR's colour tables
 * (fr/colors.js and its generatedFromCss tables: ~97 KB of the main script, and the light decisions computed at
 * start-up). The application never reads them; react-dsfr itself only reads the default grey background to
 * set the `theme-color` meta (useIsDark/client.js). fr/index.js's `./colors` is replaced by that one value
 * (grey-1000-50 of the DSFR: #ffffff light, #161616 dark); any other use of `fr.colors` throws at once.
 */
function dsfrWithoutColourTables(): Plugin {
  const ID = '\0paraphe:dsfr-colors';
  return {
    name: 'paraphe:dsfr-without-colour-tables',
    enforce: 'pre',
    resolveId(source, importer) {
      return source === './colors' && importer && /[\\/]@codegouvfr[\\/]react-dsfr[\\/]fr[\\/]index\.js$/.test(importer) ? ID : null;
    },
    load(id) {
      if (id !== ID) return null;
      return `const unused = (what) => new Proxy({}, { get(_, k) { throw new Error('fr.colors.' + what + '.' + String(k) + ': the DSFR colour tables are left out of the bundle (web/vite.config.ts)'); } });
export const colors = {
  options: unused('options'),
  decisions: unused('decisions'),
  getHex: ({ isDark }) => ({ options: unused('getHex().options'), decisions: { background: { default: { grey: { default: isDark ? '#161616' : '#ffffff' } } } } }),
};`;
    },
  };
}

/**
 * `import 'virtual:dsfr-icons.css'`: the rules of the DSFR icon sheets for the icons the application names
 * (`fr-icon-…` anywhere in web/src, plus those react-dsfr's components add themselves) instead of six whole
 * sheets (~100 KB of CSS, 600 icons, parsed and matched on every page for a few dozen used). The module takes
 * the place of a file next to the DSFR's own sheets so that their relative url()s to the SVG files still hold.
 */
function dsfrIcons(): Plugin {
  const dsfr = join(dirname(createRequire(import.meta.url).resolve('@codegouvfr/react-dsfr/package.json')), 'dsfr');
  const id = join(dsfr, 'utility', 'icons', 'icons-paraphe', 'icons-paraphe.css');
  const SHEETS = ['system', 'user', 'document', 'business', 'buildings', 'arrows'];
  const INTERNAL = ['fr-icon-arrow-right-line']; // react-dsfr's Footer/MainNavigation
  const src = fileURLToPath(new URL('./src/', import.meta.url));
  const usedIcons = (): Set<string> => {
    const used = new Set(INTERNAL);
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(tsx?|css)$/.test(e.name)) for (const m of readFileSync(p, 'utf8').matchAll(/fr-icon-[a-z0-9-]+[a-z0-9]/g)) used.add(m[0]);
      }
    };
    walk(src);
    return used;
  };
  return {
    name: 'paraphe:dsfr-icons',
    resolveId: (source) => (source === 'virtual:dsfr-icons.css' ? id : null),
    load(loaded) {
      if (loaded !== id) return null;
      const used = usedIcons();
      const rules: string[] = [];
      for (const sheet of SHEETS) {
        const css = readFileSync(join(dsfr, 'utility', 'icons', `icons-${sheet}`, `icons-${sheet}.main.min.css`), 'utf8');
        for (const m of css.matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
          const names = [...m[1]!.matchAll(/\.(fr-icon-[a-z0-9-]+?)(?=:|,|\s|$)/g)].map((x) => x[1]!);
          if (names.some((n) => used.has(n))) rules.push(`${m[1]!.replace(/^\s*\/\*[\s\S]*?\*\/\s*/, '')}{${m[2]}}`);
        }
      }
      return rules.join('\n');
    },
  };
}

// The web application, built into web/dist and served by the platform itself (src/http/web-static.ts).
// Everything (DSFR fonts and icons, pdf.js worker) is bundled from node_modules: no CDN at run time.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [earlyRequests(), dsfrWithoutColourTables(), dsfrIcons(), preloadCriticalAssets()],
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
