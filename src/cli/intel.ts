/**
 * `spoor intel lookup HASH... --intel PATH` and `spoor intel load PATH...`: look hashes up in
 * offline threat-intel feeds, or check what feeds load (per file: format, hashes, skipped records).
 */
import type { Command } from 'commander';
import { loadFeeds, normalizeHash, type FeedProblem, type IntelEntry } from '../intel/index.js';
import { sanitize } from '../output/text.js';
import { collect, EXIT, toJson, writeOut } from './common.js';

const printProblem = (p: FeedProblem): void => void process.stderr.write(`spoor intel: ${p.file}${p.where ? `:${p.where}` : ''}: ${p.message}\n`);

export function registerIntel(program: Command): void {
  const intel = program
    .command('intel')
    .description('Offline threat-intel hash feeds: look hashes up, check feed files')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.OK : EXIT.ERROR))
    .addHelpText(
      'after',
      `
Feed formats (recognised from content): abuse.ch MalwareBazaar CSV exports, plain hash lists (one
md5/sha1/sha256 per line, optional name after it), MISP JSON exports, STIX 2.1 bundles (indicators
with file:hashes patterns). Directories are read recursively. The same feeds enrich alerts:
spoor hunt LOGS --intel FEEDS.
`,
    );
  intel
    .command('lookup')
    .description('Look up md5/sha1/sha256 hashes in the feeds')
    .argument('<hashes...>', 'hashes to look up')
    .requiredOption('--intel <path>', 'feed file or directory (repeatable)', collect)
    .option('--json', 'machine-readable output', false)
    .option('-q, --quiet', 'do not print skipped feed records', false)
    .addHelpText('after', '\nExit codes: 0 every hash listed, 1 some not listed, 2 bad hash or no feed readable.\n\nExample:\n  spoor intel lookup 141b2190f51397dbd0dfde0e3904b264c91b6f81febc823ff0c33da980b69944 --intel feeds/\n')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.OK : EXIT.ERROR))
    .action(async (hashes: string[], o: { intel: string[]; json: boolean; quiet: boolean }) => {
      process.exitCode = await lookup(hashes, o);
    });
  intel
    .command('load')
    .description('Load feeds and report what each file gave (format, hashes, skipped records)')
    .argument('<paths...>', 'feed files or directories')
    .option('--json', 'machine-readable output', false)
    .addHelpText('after', '\nExit codes: 0 loaded (skipped records are reported on stderr), 2 nothing loaded.\n')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.OK : EXIT.ERROR))
    .action(async (paths: string[], o: { json: boolean }) => {
      const { index, feeds } = await loadFeeds(paths, printProblem);
      if (o.json) await writeOut(toJson({ hashes: index.size, byAlgorithm: index.counts(), feeds }, 2) + '\n');
      else {
        for (const f of feeds) await writeOut(`${sanitize(f.file)}  ${f.format}  ${f.hashes} hashes${f.skipped ? `, ${f.skipped} records skipped` : ''}\n`);
        await writeOut(`total ${index.size} distinct hashes (md5 ${index.counts().md5}, sha1 ${index.counts().sha1}, sha256 ${index.counts().sha256})\n`);
      }
      process.exitCode = index.size > 0 ? EXIT.OK : EXIT.ERROR;
    });
}

async function lookup(hashes: string[], o: { intel: string[]; json: boolean; quiet: boolean }): Promise<number> {
  const bad = hashes.filter((h) => normalizeHash(h) === null);
  if (bad.length > 0) {
    process.stderr.write(`spoor intel: not an md5/sha1/sha256 hash: ${bad.map((b) => JSON.stringify(b)).join(', ')}\n`);
    return EXIT.ERROR;
  }
  const { index, feeds } = await loadFeeds(o.intel, o.quiet ? () => {} : printProblem);
  if (feeds.length === 0) {
    process.stderr.write('spoor intel: no feed could be read\n');
    return EXIT.ERROR;
  }
  const results = hashes.map((h) => ({ hash: normalizeHash(h)!, matches: index.lookup(h) as IntelEntry[] }));
  if (o.json) await writeOut(toJson(results, 2) + '\n');
  else {
    for (const r of results) {
      if (r.matches.length === 0) await writeOut(`${r.hash}  not listed\n`);
      for (const m of r.matches) await writeOut(`${r.hash}  ${sanitize(m.feed)}  ${sanitize(m.name ?? '-')}  ${sanitize(m.tags.join(',') || '-')}\n`);
    }
  }
  return results.every((r) => r.matches.length > 0) ? EXIT.OK : EXIT.ALERTS;
}
