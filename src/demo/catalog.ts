/** Static vocabulary of a Windows fleet: programs, signers, paths, domains. */

export interface Signature {
  subject_name?: string;
  trusted: boolean;
  exists: boolean;
  status: string;
}

export const MICROSOFT_WINDOWS: Signature = { subject_name: 'Microsoft Windows', trusted: true, exists: true, status: 'trusted' };
export const MICROSOFT_CORP: Signature = { subject_name: 'Microsoft Corporation', trusted: true, exists: true, status: 'trusted' };
export const UNSIGNED: Signature = { trusted: false, exists: false, status: 'errorCode_endpoint: 0x800B0100' };

export interface Program {
  executable: string;
  signer: Signature;
  /** Command line template; `{exe}` is replaced by the executable path. */
  commandLines: readonly string[];
  /** Executable of the usual parent (must be a resident process). */
  parent: 'explorer' | 'services' | 'svchost' | 'userinit' | 'cmd' | 'taskeng';
  userContext: 'user' | 'system';
}

const GOOGLE: Signature = { subject_name: 'Google LLC', trusted: true, exists: true, status: 'trusted' };
const MOZILLA: Signature = { subject_name: 'Mozilla Corporation', trusted: true, exists: true, status: 'trusted' };
const ZOOM: Signature = { subject_name: 'Zoom Video Communications, Inc.', trusted: true, exists: true, status: 'trusted' };
const ADOBE: Signature = { subject_name: 'Adobe Inc.', trusted: true, exists: true, status: 'trusted' };
const GIT: Signature = { subject_name: 'Johannes Schindelin', trusted: true, exists: true, status: 'trusted' };

/** Short-lived programs started during the day (process start/end events). */
export const TRANSIENT_PROGRAMS: readonly Program[] = [
  { executable: 'C:\\Windows\\System32\\cmd.exe', signer: MICROSOFT_WINDOWS, commandLines: ['"{exe}" /c ipconfig /all', '"{exe}" /c "C:\\ProgramData\\scripts\\logon.bat"', '{exe} /d /c "git rev-parse HEAD"'], parent: 'explorer', userContext: 'user' },
  { executable: 'C:\\Windows\\System32\\conhost.exe', signer: MICROSOFT_WINDOWS, commandLines: ['\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1'], parent: 'cmd', userContext: 'user' },
  { executable: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', signer: MICROSOFT_WINDOWS, commandLines: ['"{exe}" -NoProfile -ExecutionPolicy Bypass -Command "Get-Service | Where-Object Status -eq Running"', '"{exe}" -NonInteractive -File C:\\ProgramData\\Intune\\Scripts\\compliance.ps1'], parent: 'svchost', userContext: 'system' },
  { executable: 'C:\\Windows\\System32\\svchost.exe', signer: MICROSOFT_WINDOWS, commandLines: ['{exe} -k netsvcs -p -s Schedule', '{exe} -k LocalServiceNetworkRestricted -p -s lmhosts', '{exe} -k wsappx -p -s ClipSVC'], parent: 'services', userContext: 'system' },
  { executable: 'C:\\Windows\\System32\\taskhostw.exe', signer: MICROSOFT_WINDOWS, commandLines: ['taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}', 'taskhostw.exe KEYROAMING'], parent: 'svchost', userContext: 'user' },
  { executable: 'C:\\Windows\\System32\\backgroundTaskHost.exe', signer: MICROSOFT_WINDOWS, commandLines: ['"{exe}" -ServerName:BackgroundTaskHost.WebAccountProvider'], parent: 'svchost', userContext: 'user' },
  { executable: 'C:\\Windows\\System32\\SearchProtocolHost.exe', signer: MICROSOFT_WINDOWS, commandLines: ['"{exe}" Global\\UsGthrFltPipeMssGthrPipe5_ Global\\UsGthrCtrlFltPipeMssGthrPipe5 1 -2147483646 "Software\\Microsoft\\Windows Search"'], parent: 'svchost', userContext: 'system' },
  { executable: 'C:\\Windows\\System32\\rundll32.exe', signer: MICROSOFT_WINDOWS, commandLines: ['{exe} C:\\Windows\\system32\\PcaSvc.dll,PcaPatchSdbTask', '{exe} Startupscan.dll,SusRunTask'], parent: 'svchost', userContext: 'system' },
  { executable: 'C:\\Windows\\System32\\notepad.exe', signer: MICROSOFT_WINDOWS, commandLines: ['"{exe}" C:\\Users\\{user}\\Documents\\notes.txt'], parent: 'explorer', userContext: 'user' },
  { executable: 'C:\\Windows\\System32\\wermgr.exe', signer: MICROSOFT_WINDOWS, commandLines: ['{exe} -upload', '{exe} -outofband'], parent: 'svchost', userContext: 'system' },
  { executable: 'C:\\Windows\\System32\\gpupdate.exe', signer: MICROSOFT_WINDOWS, commandLines: ['gpupdate.exe /target:computer'], parent: 'svchost', userContext: 'system' },
  { executable: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', signer: GOOGLE, commandLines: ['"{exe}" --type=renderer --lang=en-US --renderer-client-id=7 --mojo-platform-channel-handle=3472 /prefetch:1', '"{exe}" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US'], parent: 'explorer', userContext: 'user' },
  { executable: 'C:\\Program Files\\Mozilla Firefox\\firefox.exe', signer: MOZILLA, commandLines: ['"{exe}" -contentproc --channel=1412 -childID 5 -isForBrowser -prefsLen 31235 tab'], parent: 'explorer', userContext: 'user' },
  { executable: 'C:\\Users\\{user}\\AppData\\Roaming\\Zoom\\bin\\Zoom.exe', signer: ZOOM, commandLines: ['"{exe}" --action=preload'], parent: 'explorer', userContext: 'user' },
  { executable: 'C:\\Program Files\\Adobe\\Acrobat DC\\Acrobat\\Acrobat.exe', signer: ADOBE, commandLines: ['"{exe}" "C:\\Users\\{user}\\Downloads\\invoice-2291.pdf"'], parent: 'explorer', userContext: 'user' },
  { executable: 'C:\\Program Files\\Git\\cmd\\git.exe', signer: GIT, commandLines: ['git fetch --all --prune', 'git status --porcelain'], parent: 'cmd', userContext: 'user' },
  { executable: 'C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE', signer: MICROSOFT_CORP, commandLines: ['"{exe}" "C:\\Users\\{user}\\Documents\\budget-q3.xlsx"'], parent: 'explorer', userContext: 'user' },
  { executable: 'C:\\Windows\\System32\\dllhost.exe', signer: MICROSOFT_WINDOWS, commandLines: ['{exe} /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}'], parent: 'svchost', userContext: 'user' },
];

export interface Resident {
  key: string;
  executable: string;
  signer: Signature;
  commandLine: string;
  parentKey: string | null;
  userContext: 'user' | 'system';
}

/** Long-running processes every host has; background file, network, registry and DNS events come from them. */
export const RESIDENTS: readonly Resident[] = [
  { key: 'smss', executable: 'C:\\Windows\\System32\\smss.exe', signer: MICROSOFT_WINDOWS, commandLine: '\\SystemRoot\\System32\\smss.exe', parentKey: null, userContext: 'system' },
  { key: 'wininit', executable: 'C:\\Windows\\System32\\wininit.exe', signer: MICROSOFT_WINDOWS, commandLine: 'wininit.exe', parentKey: 'smss', userContext: 'system' },
  { key: 'services', executable: 'C:\\Windows\\System32\\services.exe', signer: MICROSOFT_WINDOWS, commandLine: 'C:\\Windows\\system32\\services.exe', parentKey: 'wininit', userContext: 'system' },
  { key: 'lsass', executable: 'C:\\Windows\\System32\\lsass.exe', signer: MICROSOFT_WINDOWS, commandLine: 'C:\\Windows\\system32\\lsass.exe', parentKey: 'wininit', userContext: 'system' },
  { key: 'svchost', executable: 'C:\\Windows\\System32\\svchost.exe', signer: MICROSOFT_WINDOWS, commandLine: 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p', parentKey: 'services', userContext: 'system' },
  { key: 'svchost_dns', executable: 'C:\\Windows\\System32\\svchost.exe', signer: MICROSOFT_WINDOWS, commandLine: 'C:\\Windows\\system32\\svchost.exe -k NetworkService -p -s Dnscache', parentKey: 'services', userContext: 'system' },
  { key: 'msmpeng', executable: 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MsMpEng.exe', signer: MICROSOFT_CORP, commandLine: '"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MsMpEng.exe"', parentKey: 'services', userContext: 'system' },
  { key: 'userinit', executable: 'C:\\Windows\\System32\\userinit.exe', signer: MICROSOFT_WINDOWS, commandLine: 'C:\\Windows\\system32\\userinit.exe', parentKey: 'wininit', userContext: 'user' },
  { key: 'explorer', executable: 'C:\\Windows\\explorer.exe', signer: MICROSOFT_WINDOWS, commandLine: 'C:\\Windows\\Explorer.EXE', parentKey: 'userinit', userContext: 'user' },
  { key: 'chrome', executable: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', signer: GOOGLE, commandLine: '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"', parentKey: 'explorer', userContext: 'user' },
  { key: 'outlook', executable: 'C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE', signer: MICROSOFT_CORP, commandLine: '"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE"', parentKey: 'explorer', userContext: 'user' },
  { key: 'teams', executable: 'C:\\Program Files\\WindowsApps\\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe\\ms-teams.exe', signer: MICROSOFT_CORP, commandLine: '"C:\\Program Files\\WindowsApps\\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe\\ms-teams.exe" msteams:system-initiated', parentKey: 'explorer', userContext: 'user' },
  { key: 'onedrive', executable: 'C:\\Users\\{user}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe', signer: MICROSOFT_CORP, commandLine: '"C:\\Users\\{user}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe" /background', parentKey: 'explorer', userContext: 'user' },
];

/** Residents that produce background file/network/registry/DNS/library activity, weighted. */
export const ACTIVE_RESIDENTS = ['svchost', 'svchost_dns', 'msmpeng', 'explorer', 'chrome', 'outlook', 'teams', 'onedrive', 'lsass'] as const;

export const USER_FILE_DIRS = [
  'C:\\Users\\{user}\\AppData\\Local\\Temp',
  'C:\\Users\\{user}\\Documents',
  'C:\\Users\\{user}\\Downloads',
  'C:\\Users\\{user}\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Cache\\Cache_Data',
  'C:\\Users\\{user}\\AppData\\Local\\Microsoft\\Olk\\Attachments',
  'C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\History\\Service',
  'C:\\Windows\\Temp',
  'C:\\Windows\\Prefetch',
];

export const FILE_NAMES: readonly [name: string, header: string][] = [
  ['report-2026-q1.docx', '504b0304140006000800000021002e8f'],
  ['budget.xlsx', '504b030414000600080000002100a8f3'],
  ['meeting-notes.txt', '4d656574696e67206e6f7465733a2071'],
  ['f_0004a1', '00000000000000000000000000000000'],
  ['data_3', 'c3ca0a00000000000000000000000000'],
  ['settings.dat', '72656766000000000000000000000000'],
  ['CHROME.EXE-A2B1C3D4.pf', '4d414d04a0b20000c2a1000000000000'],
  ['mpcache-3F2A.bin', '1f8b0800000000000000000000000000'],
  ['invoice-2291.pdf', '255044462d312e370a25e2e3cfd30a31'],
  ['~WRL0005.tmp', 'd0cf11e0a1b11ae10000000000000000'],
  ['image001.png', '89504e470d0a1a0a0000000d49484452'],
  ['log.etl', '00400000000000000000000000000000'],
];

export const REGISTRY_KEYS = [
  'HKEY_USERS\\S-1-5-21-{dom}-{rid}\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs\\.docx\\MRUListEx',
  'HKEY_USERS\\S-1-5-21-{dom}-{rid}\\Software\\Microsoft\\Office\\16.0\\Common\\Roaming\\Identities\\LastSync',
  'HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Signature Updates\\SignaturesLastUpdated',
  'HKLM\\SYSTEM\\ControlSet001\\Services\\bam\\State\\UserSettings\\S-1-5-21-{dom}-{rid}\\\\Device\\HarddiskVolume3\\Windows\\explorer.exe',
  'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\NetworkList\\Profiles\\{B2C1E2F4-7A4D-4B8E-9C11-2E5D0B6A7C31}\\DateLastConnected',
  'HKEY_USERS\\S-1-5-21-{dom}-{rid}\\Software\\Google\\Chrome\\BLBeacon\\state',
  'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update\\DetectionStartTime',
];

export const DOMAINS = [
  'login.microsoftonline.com', 'outlook.office365.com', 'teams.microsoft.com', 'www.google.com', 'clients2.google.com',
  'settings-win.data.microsoft.com', 'wdcp.microsoft.com', 'github.com', 'slack.com', 'update.googleapis.com',
  'dc01.corp.example.com', 'fs01.corp.example.com', 'ctldl.windowsupdate.com', 'ocsp.digicert.com', 'zoom.us',
];

export const LIBRARIES: readonly [path: string, signer: Signature][] = [
  ['C:\\Windows\\System32\\ntdll.dll', MICROSOFT_WINDOWS],
  ['C:\\Windows\\System32\\kernelbase.dll', MICROSOFT_WINDOWS],
  ['C:\\Windows\\System32\\wininet.dll', MICROSOFT_WINDOWS],
  ['C:\\Windows\\System32\\crypt32.dll', MICROSOFT_WINDOWS],
  ['C:\\Windows\\System32\\mswsock.dll', MICROSOFT_WINDOWS],
  ['C:\\Windows\\System32\\winhttp.dll', MICROSOFT_WINDOWS],
  ['C:\\Windows\\System32\\dbghelp.dll', MICROSOFT_WINDOWS],
  ['C:\\Program Files\\Microsoft Office\\root\\Office16\\mso20win32client.dll', MICROSOFT_CORP],
];

export const FIRST_NAMES = ['anna', 'ben', 'chloe', 'david', 'emma', 'farid', 'grace', 'hiro', 'ines', 'jonas', 'kofi', 'lena', 'marco', 'nadia', 'omar', 'priya', 'quinn', 'rosa', 'sven', 'tara'];
export const LAST_NAMES = ['miller', 'schmidt', 'dubois', 'rossi', 'nakamura', 'okafor', 'garcia', 'kowalski', 'jensen', 'silva', 'novak', 'haddad'];

export const WINDOWS_VERSIONS = [
  { name: 'Windows', version: '22H2 (10.0.19045.4894)', full: 'Windows 10 Enterprise 22H2 (10.0.19045.4894)', variant: 'Windows 10 Enterprise', kernel: '22H2 (10.0.19045.4894)' },
  { name: 'Windows', version: '23H2 (10.0.22631.4317)', full: 'Windows 11 Enterprise 23H2 (10.0.22631.4317)', variant: 'Windows 11 Enterprise', kernel: '23H2 (10.0.22631.4317)' },
];
export const SERVER_VERSIONS = [
  { name: 'Windows', version: '1809 (10.0.17763.6414)', full: 'Windows Server 2019 Datacenter 1809 (10.0.17763.6414)', variant: 'Windows Server 2019 Datacenter', kernel: '1809 (10.0.17763.6414)' },
  { name: 'Windows', version: '21H2 (10.0.20348.2762)', full: 'Windows Server 2022 Standard 21H2 (10.0.20348.2762)', variant: 'Windows Server 2022 Standard', kernel: '21H2 (10.0.20348.2762)' },
];

export const SERVER_ROLES = ['dc', 'fs', 'sql', 'app', 'web', 'mgmt', 'print', 'exch'];
