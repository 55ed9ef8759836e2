/**
 * The browser UI's built files (dist/src/ui/app.js and app.css, written by `npm run build` through
 * scripts/build-ui.mjs), read once, for the report to inline and for `spoor serve` to serve.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export class UiBundleMissingError extends Error {
  override name = 'UiBundleMissingError';
}

export interface UiAssets {
  js: string;
  css: string;
}

let cached: UiAssets | undefined;

/** Where the built UI lives: `<this module's folder>/../ui/` (dist/src/ui/). */
export function uiAssetPath(file: 'app.js' | 'app.css'): string {
  return fileURLToPath(new URL(`../ui/${file}`, import.meta.url));
}

export function readUiAssets(): UiAssets {
  if (cached) return cached;
  try {
    cached = { js: readFileSync(uiAssetPath('app.js'), 'utf8'), css: readFileSync(uiAssetPath('app.css'), 'utf8') };
  } catch (e) {
    throw new UiBundleMissingError(`the browser UI is not built (${(e as Error).message}); run npm run build`);
  }
  return cached;
}
