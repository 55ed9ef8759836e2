/**
 * Multi-event stories placed on the timeline ahead of the background noise: the planted attacks,
 * and the benign look-alikes a good detection must stay quiet on.
 */
import { MICROSOFT_CORP, MICROSOFT_WINDOWS, UNSIGNED, type Signature } from './catalog.js';
import { fileEvent, libraryEvent, processEnd, processStart, registryEvent, share5145, type ShareAccess } from './events.js';
import { baseName, DOMAIN, hashFor, spawn, SYSTEM_USER, type Host, type RunningProcess } from './hosts.js';
import type { Rng } from './prng.js';
import { formatMicros } from './clock.js';

/** An event waiting for its time; built eagerly (scenarios are a small share of the stream). */
export interface Pending {
  t: number;
  host: Host;
  /** Serialises the event; run at emission so the host's sequence numbers stay in order. */
  render: () => string;
}

export const FILE_SHARE_RULE_ID = 'file-share-remote-exec';

export interface PlantedAttack {
  ruleId: string;
  kind: 'psexec' | 'impacket' | string;
  host: string;
  path: string;
  writerIp?: string;
  time: string;
}

/** Everything known about a scenario for tests and the demo (besides the events). */
export interface ScenarioRecord {
  kind: string;
  host: string;
  path: string;
  writerIp?: string;
  time: string;
  /** True when the file-share rule must alert on it. */
  malicious: boolean;
}

export const MZ_HEADER = '4d5a90000300000004000000ffff0000';
const MS = 1000;

/** A remote writer: a host of the fleet or an address outside it. */
export interface Writer {
  ip: string;
  user: string;
  domain: string;
}

export class ScenarioBuilder {
  readonly pending: Pending[] = [];
  readonly records: ScenarioRecord[] = [];
  private recordId = 800_000;
  /** pending.length after each recorded scenario. */
  private readonly ends: number[] = [];

  constructor(private readonly rng: Rng) {}

  private add(t: number, host: Host, render: () => string): void {
    this.pending.push({ t, host, render });
  }

  private system(host: Host): RunningProcess {
    return systemProcess(host);
  }

  private smbWrite(host: Host, t: number, writer: Writer, share: string, shareLocal: string, relative: string, path: string, header: string, size: number): void {
    const access: ShareAccess = { shareName: share, shareLocalPath: shareLocal, relativeTargetName: relative, ip: writer.ip, port: 49_152 + this.rng.int(16_000), user: writer.user, domain: writer.domain, write: true };
    const tw = t - (2 + this.rng.int(6)) * MS;
    const recordId = this.recordId++;
    this.add(tw, host, () => share5145(host, formatMicros(tw), access, recordId));
    this.add(t, host, () => fileEvent(host, formatMicros(t), this.system(host), 'creation', path, header, size));
  }

  private serviceStart(host: Host, t: number, serviceName: string, exePath: string, signer: Signature, commandLine = exePath): RunningProcess {
    const services = host.residents.get('services')!;
    this.add(t - 60 * MS, host, () => registryEvent(host, formatMicros(t - 60 * MS), services, `HKLM\\SYSTEM\\ControlSet001\\Services\\${serviceName}\\ImagePath`, exePath.replace(/^C:\\Windows/i, '%SystemRoot%'), 'REG_EXPAND_SZ'));
    const p = spawn(host, exePath, commandLine, signer, services, SYSTEM_USER);
    this.add(t, host, () => processStart(host, formatMicros(t), p, 'C:\\Windows\\system32\\'));
    return p;
  }

  /** PsExec: PSEXESVC.exe lands in ADMIN$, services.exe starts it ~200 ms later, then a shell. */
  psexec(host: Host, t: number, writer: Writer): ScenarioRecord {
    const path = 'C:\\Windows\\PSEXESVC.exe';
    this.smbWrite(host, t, writer, '\\\\*\\ADMIN$', '\\??\\C:\\Windows', 'PSEXESVC.exe', path, MZ_HEADER, 383_872);
    const svc = this.serviceStart(host, t + (190 + this.rng.int(50)) * MS, 'PSEXESVC', path, UNSIGNED);
    const user = { name: writer.user, domain: writer.domain, id: `S-1-5-21-3623811015-3361044348-30300820-${1500 + this.rng.int(300)}` };
    const shell = spawn(host, 'C:\\Windows\\System32\\cmd.exe', '"cmd" /c "whoami /all & net localgroup administrators & ipconfig /all"', MICROSOFT_WINDOWS, svc, user);
    const t2 = t + (900 + this.rng.int(400)) * MS;
    this.add(t2, host, () => processStart(host, formatMicros(t2), shell));
    this.add(t2 + 2_400 * MS, host, () => processEnd(host, formatMicros(t2 + 2_400 * MS), shell, 0));
    this.add(t2 + 3_100 * MS, host, () => processEnd(host, formatMicros(t2 + 3_100 * MS), svc, 0));
    return this.record('psexec', host, path, writer, t, true);
  }

  /** Impacket psexec.py/smbexec: a random 8-letter service binary in ADMIN$, then cmd with output redirection. */
  impacket(host: Host, t: number, writer: Writer): ScenarioRecord {
    let name = '';
    for (let i = 0; i < 8; i++) name += this.rng.letters(1, this.rng.chance(0.5));
    const file = `${name}.exe`;
    const path = `C:\\Windows\\${file}`;
    this.smbWrite(host, t, writer, '\\\\*\\ADMIN$', '\\??\\C:\\Windows', file, path, MZ_HEADER, 56_320);
    const svc = this.serviceStart(host, t + (150 + this.rng.int(80)) * MS, this.rng.letters(4, true), path, UNSIGNED);
    const stamp = `${Math.floor(t / 1_000_000)}.${this.rng.range(1000, 9999)}`;
    const cmds = [
      `cmd.exe /Q /c cd \\ 1> \\\\127.0.0.1\\ADMIN$\\__${stamp} 2>&1`,
      `cmd.exe /Q /c whoami /priv 1> \\\\127.0.0.1\\ADMIN$\\__${stamp} 2>&1`,
      'C:\\Windows\\system32\\cmd.exe /Q /c echo net group "domain admins" /domain ^> \\\\127.0.0.1\\C$\\__output 2^>^&1 > C:\\Windows\\TEMP\\execute.bat & C:\\Windows\\system32\\cmd.exe /Q /c C:\\Windows\\TEMP\\execute.bat & del C:\\Windows\\TEMP\\execute.bat',
    ];
    let tc = t + 1_500 * MS;
    for (const cl of cmds) {
      const size = 120 + this.rng.int(900);
      const shell = spawn(host, 'C:\\Windows\\System32\\cmd.exe', cl, MICROSOFT_WINDOWS, svc, SYSTEM_USER);
      const ts = tc;
      this.add(ts, host, () => processStart(host, formatMicros(ts), shell));
      this.add(ts + 40 * MS, host, () => fileEvent(host, formatMicros(ts + 40 * MS), shell, 'creation', `C:\\Windows\\__${stamp}`, '6e7420617574686f726974795c737973', size));
      this.add(ts + 300 * MS, host, () => processEnd(host, formatMicros(ts + 300 * MS), shell, 0));
      tc += (2_000 + this.rng.int(4_000)) * MS;
    }
    return this.record('impacket', host, path, writer, t, true);
  }

  /** A trusted vendor agent pushed over ADMIN$ and started as a service: excluded by signer. */
  trustedDeployment(host: Host, t: number, writer: Writer, vendor: 'crowdstrike' | 'veeam'): ScenarioRecord {
    const [relative, signer] = vendor === 'crowdstrike'
      ? ['CSFalconDeploy\\WindowsSensor.exe', 'CrowdStrike, Inc.']
      : ['Veeam\\Backup\\VeeamDeploymentSvc.exe', 'Veeam Software Group GmbH'];
    const path = `C:\\Windows\\${relative}`;
    this.smbWrite(host, t, writer, '\\\\*\\ADMIN$', '\\??\\C:\\Windows', relative, path, MZ_HEADER, 4_718_592);
    const sig: Signature = { subject_name: signer, trusted: true, exists: true, status: 'trusted' };
    this.serviceStart(host, t + (250 + this.rng.int(200)) * MS, vendor === 'crowdstrike' ? 'CSFalconDeploy' : 'VeeamDeploymentService', path, sig);
    return this.record(`trusted-${vendor}`, host, path, writer, t, false);
  }

  /** SCCM client push: ccmsetup.exe via ADMIN$, trusted Microsoft: excluded by path + trust. */
  sccmPush(host: Host, t: number, writer: Writer): ScenarioRecord {
    const path = 'C:\\Windows\\ccmsetup\\ccmsetup.exe';
    this.smbWrite(host, t, writer, '\\\\*\\ADMIN$', '\\??\\C:\\Windows', 'ccmsetup\\ccmsetup.exe', path, MZ_HEADER, 5_767_168);
    this.serviceStart(host, t + (400 + this.rng.int(300)) * MS, 'ccmsetup', path, MICROSOFT_CORP, `${path} /runservice /config:MobileClient.tcf`);
    return this.record('sccm-push', host, path, writer, t, false);
  }

  /** Windows Update staging a signed Microsoft installer, sometimes through a peer share (PID 4). */
  windowsUpdate(host: Host, t: number, viaShare: Writer | null): ScenarioRecord {
    const path = `C:\\Windows\\SoftwareDistribution\\Download\\Install\\AM_Delta_Patch_1.421.${this.rng.range(100, 999)}.0.exe`;
    const svchost = host.residents.get('svchost')!;
    if (viaShare) this.smbWrite(host, t, viaShare, '\\\\*\\ADMIN$', '\\??\\C:\\Windows', path.slice('C:\\Windows\\'.length), path, MZ_HEADER, 1_153_024);
    else this.add(t, host, () => fileEvent(host, formatMicros(t), svchost, 'creation', path, MZ_HEADER, 1_153_024));
    const p = spawn(host, path, `"${path}" WD /q`, MICROSOFT_CORP, svchost, SYSTEM_USER);
    const ts = t + (2_000 + this.rng.int(3_000)) * MS;
    this.add(ts, host, () => processStart(host, formatMicros(ts), p, 'C:\\Windows\\SoftwareDistribution\\Download\\Install\\'));
    this.add(ts + 9_000 * MS, host, () => processEnd(host, formatMicros(ts + 9_000 * MS), p, 0));
    return this.record(viaShare ? 'windows-update-share' : 'windows-update', host, path, viaShare ?? undefined, t, false);
  }

  /** Documents, scripts and DLLs copied onto a share: written by System, never executed. */
  benignShareWrite(host: Host, t: number, writer: Writer): ScenarioRecord {
    const choice = this.rng.int(5);
    const files: [share: string, local: string, rel: string, header: string][] = [
      ['\\\\*\\Finance', '\\??\\D:\\Shares\\Finance', `Reports\\forecast-2026-${this.rng.range(1, 12)}.xlsx`, '504b030414000600080000002100a8f3'],
      ['\\\\*\\Public', '\\??\\C:\\Users\\Public', 'Documents\\employee-handbook.pdf', '255044462d312e370a25e2e3cfd30a31'],
      ['\\\\*\\C$', '\\??\\C:\\', 'ProgramData\\Scripts\\map-drives.ps1', '2320436f6e6e656374206e6574776f72'],
      ['\\\\*\\ADMIN$', '\\??\\C:\\Windows', `Temp\\PrinterDriver\\x64\\PrintConfig${this.rng.range(1, 9)}.dll`, MZ_HEADER],
      ['\\\\*\\C$', '\\??\\C:\\', 'Deploy\\logon.bat', '406563686f206f66660d0a6e65742075'],
    ];
    const [share, local, rel, header] = files[choice]!;
    const path = `${local.slice(4)}${local.endsWith('\\') ? '' : '\\'}${rel}`;
    this.smbWrite(host, t, writer, share, local, rel, path, header, 10_000 + this.rng.int(900_000));
    if (path.endsWith('.dll')) {
      const spool = spawn(host, 'C:\\Windows\\System32\\spoolsv.exe', 'C:\\Windows\\System32\\spoolsv.exe', MICROSOFT_WINDOWS, host.residents.get('services')!, SYSTEM_USER);
      this.add(t + 2_000 * MS, host, () => libraryEvent(host, formatMicros(t + 2_000 * MS), spool, path, MICROSOFT_CORP, hashFor(path)));
    }
    return this.record('benign-share-write', host, path, writer, t, false);
  }

  /** An admin copies a script to C$ and runs it with PowerShell: the started image is powershell.exe. */
  adminScript(host: Host, t: number, writer: Writer): ScenarioRecord {
    const rel = this.rng.chance(0.5) ? 'Windows\\Temp\\Get-Inventory.ps1' : 'Windows\\Temp\\cleanup-profiles.ps1';
    const path = `C:\\${rel}`;
    this.smbWrite(host, t, writer, '\\\\*\\C$', '\\??\\C:\\', rel, path, '3c230a2e53594e4f505349530a202020', 4_096 + this.rng.int(20_000));
    const wmi = spawn(host, 'C:\\Windows\\System32\\wbem\\WmiPrvSE.exe', 'C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding', MICROSOFT_WINDOWS, host.residents.get('svchost')!, { name: 'NETWORK SERVICE', domain: 'NT AUTHORITY', id: 'S-1-5-20' });
    const ps = spawn(host, 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', `powershell.exe -NoProfile -ExecutionPolicy Bypass -File ${path}`, MICROSOFT_WINDOWS, wmi, { name: writer.user, domain: writer.domain, id: 'S-1-5-21-3623811015-3361044348-30300820-1104' });
    const ts = t + (1_500 + this.rng.int(3_000)) * MS;
    this.add(ts - 200 * MS, host, () => processStart(host, formatMicros(ts - 200 * MS), wmi));
    this.add(ts, host, () => processStart(host, formatMicros(ts), ps));
    this.add(ts + 6_000 * MS, host, () => processEnd(host, formatMicros(ts + 6_000 * MS), ps, 0));
    return this.record('admin-script', host, path, writer, t, false);
  }

  /** A tool copied over a share and run by hand minutes later: outside the 1-minute window. */
  lateExecution(host: Host, t: number, writer: Writer): ScenarioRecord {
    const rel = 'Users\\Public\\Tools\\diag-collector.exe';
    const path = `C:\\${rel}`;
    this.smbWrite(host, t, writer, '\\\\*\\C$', '\\??\\C:\\', rel, path, MZ_HEADER, 2_301_952);
    const p = spawn(host, path, `"${path}" --collect --out C:\\Users\\Public\\Tools\\out`, UNSIGNED, host.residents.get('explorer')!, host.user);
    const ts = t + (180 + this.rng.int(600)) * 1_000 * MS;
    this.add(ts, host, () => processStart(host, formatMicros(ts), p, 'C:\\Users\\Public\\Tools\\'));
    return this.record('late-execution', host, path, writer, t, false);
  }

  /** System writes a file on one host; the same path starts on another host: no same-host sequence. */
  crossHost(written: Host, started: Host, t: number, writer: Writer): ScenarioRecord {
    const rel = 'Windows\\Temp\\setup-agent.exe';
    const path = `C:\\${rel}`;
    this.smbWrite(written, t, writer, '\\\\*\\C$', '\\??\\C:\\', rel, path, MZ_HEADER, 812_032);
    const p = spawn(started, path, `"${path}" /quiet`, UNSIGNED, started.residents.get('explorer')!, started.user);
    const ts = t + (3_000 + this.rng.int(10_000)) * MS;
    this.add(ts, started, () => processStart(started, formatMicros(ts), p, 'C:\\Windows\\Temp\\'));
    return this.record('cross-host', written, path, writer, t, false);
  }

  private record(kind: string, host: Host, path: string, writer: Writer | undefined, t: number, malicious: boolean): ScenarioRecord {
    const r: ScenarioRecord = { kind, host: host.name, path, time: formatMicros(t), malicious };
    if (writer) r.writerIp = writer.ip;
    this.records.push(r);
    this.ends.push(this.pending.length);
    return r;
  }

  /** Drop whole scenarios, latest planned first, until at most `budget` events remain. */
  fitTo(budget: number): void {
    while (this.pending.length > budget && this.records.length > 0) {
      this.records.pop();
      this.ends.pop();
      this.pending.length = this.ends.length > 0 ? this.ends[this.ends.length - 1]! : 0;
    }
  }
}

const systemProcs = new WeakMap<Host, RunningProcess>();

/** The System virtual process (PID 4) of a host. */
export function systemProcess(host: Host): RunningProcess {
  let p = systemProcs.get(host);
  if (!p) {
    p = {
      pid: 4,
      entity_id: Buffer.from(`${host.agentDoc['id'] as string}-4-132000000000000000`).toString('base64'),
      executable: 'System',
      name: 'System',
      command_line: '',
      args: [],
      signer: { trusted: true, exists: true, status: 'trusted', subject_name: 'Microsoft Windows' },
      parent: null,
      user: SYSTEM_USER,
      hash: '0'.repeat(64),
    };
    systemProcs.set(host, p);
  }
  return p;
}

export function writerOf(host: Host, user: string): Writer {
  return { ip: host.ip, user, domain: DOMAIN };
}

export { baseName };
