// Bundles the browser UI (src/ui/main.tsx + styles.css) into dist/src/ui/app.js and app.css with
// esbuild: one IIFE, no external assets, so the HTML report can inline it under its CSP and
// `spoor serve` can serve the same two files. Type checking is `tsc -p src/ui` (run before this).
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

const outdir = 'dist/src/ui';
await build({
  entryPoints: { app: 'src/ui/main.tsx' },
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  outdir,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: 'src/ui/tsconfig.json',
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
});
for (const f of ['app.js', 'app.css']) {
  const p = `${outdir}/${f}`;
  const gz = gzipSync(readFileSync(p)).length;
  process.stdout.write(`ui bundle: ${p} ${(statSync(p).size / 1024).toFixed(1)} KiB (${(gz / 1024).toFixed(1)} KiB gzip)\n`);
}
