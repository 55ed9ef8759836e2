/** Sigma `attack.*` tags → MITRE ATT&CK ids (attack.t1021.002 → T1021.002, attack.lateral_movement → TA0008). */

const TACTICS: Record<string, string> = {
  reconnaissance: 'TA0043',
  resource_development: 'TA0042',
  initial_access: 'TA0001',
  execution: 'TA0002',
  persistence: 'TA0003',
  privilege_escalation: 'TA0004',
  defense_evasion: 'TA0005',
  credential_access: 'TA0006',
  discovery: 'TA0007',
  lateral_movement: 'TA0008',
  collection: 'TA0009',
  exfiltration: 'TA0010',
  command_and_control: 'TA0011',
  impact: 'TA0040',
};

export function mitreIds(tags: readonly string[]): string[] {
  const out: string[] = [];
  for (const tag of tags) {
    const m = /^attack\.(.+)$/i.exec(tag.trim());
    if (!m) continue;
    const name = m[1]!.toLowerCase().replace(/-/g, '_');
    const technique = /^([tgs])(\d{4})(?:\.(\d{3}))?$/.exec(name);
    if (technique) {
      out.push(`${technique[1]!.toUpperCase()}${technique[2]}${technique[3] ? `.${technique[3]}` : ''}`);
    } else if (TACTICS[name]) {
      out.push(TACTICS[name]);
    }
  }
  return [...new Set(out)];
}
