/** docs/normalization.md shows the mapping tables exactly as the code has them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mappingTablesMarkdown } from '../../src/normalize/doc-tables.js';
import { repoRoot } from '../helpers/shared.js';

test('docs/normalization.md contains the generated mapping tables (regenerate with src/normalize/doc-tables.ts)', () => {
  const doc = readFileSync(join(repoRoot, 'docs/normalization.md'), 'utf8');
  assert.ok(doc.includes(mappingTablesMarkdown()), 'docs/normalization.md is out of date with src/normalize/tables');
});
