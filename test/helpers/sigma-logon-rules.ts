/**
 * The Sigma base rules the correlation tests build on (engine snapshots, lagging hosts, cluster
 * stage 1 and 2): a failed network logon (4625, logon type 3) and a successful logon (4624).
 * Each is one YAML document, to be joined with `---` to the correlations under test.
 */
export const FAILED_NETWORK_LOGON_ID = 'c0ffee00-0000-4000-8000-000000000001';
export const OK_LOGON_ID = 'c0ffee00-0000-4000-8000-000000000004';

/** `name: failed_network_logon`; `extra` lines (e.g. `level: low`) are appended. */
export function failedNetworkLogonRule(id = FAILED_NETWORK_LOGON_ID, extra = ''): string {
  return `title: Failed network logon
name: failed_network_logon
id: ${id}
logsource:
    product: windows
    service: security
detection:
    sel:
        EventID: 4625
        LogonType: 3
    condition: sel
${extra}`;
}

/** `name: ok_logon`. */
export function okLogonRule(id = OK_LOGON_ID): string {
  return `title: Successful logon
name: ok_logon
id: ${id}
logsource:
    product: windows
    service: security
detection:
    sel:
        EventID: 4624
    condition: sel
`;
}
