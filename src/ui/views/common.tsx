/** Small pieces every view uses: severity badge (text + shape, not colour alone), UTC time with local hover, paths that wrap at separators. */
import type { Severity } from '../../ir/types.js';
import { formatUtc, localTitle } from '../model/time.js';

const SEV_SHORT: Record<Severity, string> = { critical: 'CRIT', high: 'HIGH', medium: 'MED', low: 'LOW', informational: 'INFO' };
const SEV_MARK: Record<Severity, string> = { critical: '◆◆', high: '◆', medium: '▲', low: '●', informational: '○' };

export function SevBadge({ severity }: { severity: Severity }) {
  return (
    <span class={`sev sev-${severity}`} title={severity}>
      <span aria-hidden="true">{SEV_MARK[severity]} </span>
      {SEV_SHORT[severity]}
    </span>
  );
}

export function Time({ iso, short = false }: { iso: string; short?: boolean }) {
  // An alert whose event had no readable time carries '' (docs/cli.md): say so instead of a blank.
  if (iso === '') return <span class="muted" title="the matched event has no readable time">no time</span>;
  const t = formatUtc(iso);
  return (
    <time dateTime={iso} title={`${iso} UTC\n${localTitle(iso)}`}>
      {short ? t.slice(5) : t}
    </time>
  );
}

/** A path or command line that may break after `\`, `/`, spaces and `.`/`-`/`_` runs, never inside a name part. */
export function Wrap({ text, class: cls = 'mono' }: { text: string; class?: string }) {
  const parts = text.split(/(?<=[\\/ ,;=])/);
  return (
    <span class={`${cls} wrap`}>
      {parts.map((p, i) => (
        <>
          {p}
          {i < parts.length - 1 ? <wbr /> : null}
        </>
      ))}
    </span>
  );
}
