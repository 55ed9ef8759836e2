/**
 * What counts as an executable file for share-write review: data, one place. The file-share rules
 * themselves watch exe/scr/pif/com (rules/file-share-remote-exec.yml); a reviewer also wants the
 * other things Windows runs or loads: libraries, drivers, scripts and installers.
 */
export const EXECUTABLE_EXTENSIONS: ReadonlySet<string> = new Set([
  'exe', 'scr', 'pif', 'com', 'dll', 'sys', 'cpl', 'ocx', 'drv', 'msi', 'msp',
  'bat', 'cmd', 'ps1', 'psm1', 'vbs', 'vbe', 'js', 'jse', 'wsf', 'wsh', 'hta', 'lnk',
]);

/** The extension of a Windows path, lower-cased, without the dot ('' when none). */
export function pathExtension(path: string): string {
  const name = path.slice(Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/')) + 1);
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot + 1).toLowerCase();
}

export function isExecutablePath(path: string): boolean {
  return EXECUTABLE_EXTENSIONS.has(pathExtension(path));
}

/**
 * The administrative share a local path is reachable through when no event names the share:
 * `C:\Windows\…` → ADMIN$, other `X:\…` → X$ (the default administrative shares).
 */
export function inferShare(path: string): string | undefined {
  if (/^[a-z]:\\windows(\\|$)/i.test(path)) return 'ADMIN$';
  const m = /^([a-z]):\\/i.exec(path);
  return m ? `${m[1]!.toUpperCase()}$` : undefined;
}

/** `\\*\ADMIN$` → `ADMIN$`. */
export function shareName(raw: string): string {
  const i = raw.lastIndexOf('\\');
  return i >= 0 ? raw.slice(i + 1) : raw;
}
