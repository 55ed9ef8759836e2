/**
 * Sigma logsource → where the events live on Windows: channel, EventIDs, extra field conditions
 * and field renames. Written from the channels and event ids Sysmon, PowerShell and Windows
 * document; kept in agreement with SigmaHQ's THOR map (tested in test/sigma/logsources.test.ts).
 */

export interface LogsourceVariant {
  channels: string[];
  /** Empty: any event id of the channels. */
  eventIds: number[];
  /** Extra equality conditions (e.g. Sysmon EventType: CreateKey for registry_add). */
  conditions?: Record<string, string>;
  /** Sigma field name → the field the events of this variant carry. */
  rename?: Record<string, string>;
}

export const SYSMON = 'Microsoft-Windows-Sysmon/Operational';
const PS_CHANNELS = ['Microsoft-Windows-PowerShell/Operational', 'PowerShellCore/Operational'];
const PS_CLASSIC = ['Windows PowerShell'];
const DEFENDER = ['Microsoft-Windows-Windows Defender/Operational'];

/** `product: windows` + `service:` → event channels. */
export const SERVICE_CHANNELS: Record<string, string[]> = {
  security: ['Security'],
  system: ['System'],
  application: ['Application'],
  sysmon: [SYSMON],
  powershell: PS_CHANNELS,
  'powershell-classic': PS_CLASSIC,
  ntlm: ['Microsoft-Windows-NTLM/Operational'],
  taskscheduler: ['Microsoft-Windows-TaskScheduler/Operational'],
  wmi: ['Microsoft-Windows-WMI-Activity/Operational'],
  dhcp: ['Microsoft-Windows-DHCP-Server/Operational'],
  'printservice-admin': ['Microsoft-Windows-PrintService/Admin'],
  'printservice-operational': ['Microsoft-Windows-PrintService/Operational'],
  'smbclient-security': ['Microsoft-Windows-SmbClient/Security'],
  'smbclient-connectivity': ['Microsoft-Windows-SmbClient/Connectivity'],
  'smbserver-connectivity': ['Microsoft-Windows-SMBServer/Connectivity'],
  'terminalservices-localsessionmanager': ['Microsoft-Windows-TerminalServices-LocalSessionManager/Operational'],
  'codeintegrity-operational': ['Microsoft-Windows-CodeIntegrity/Operational'],
  applocker: [
    'Microsoft-Windows-AppLocker/MSI and Script',
    'Microsoft-Windows-AppLocker/EXE and DLL',
    'Microsoft-Windows-AppLocker/Packaged app-Deployment',
    'Microsoft-Windows-AppLocker/Packaged app-Execution',
  ],
  'msexchange-management': ['MSExchange Management'],
  windefend: DEFENDER,
  'firewall-as': ['Microsoft-Windows-Windows Firewall With Advanced Security/Firewall'],
  'bits-client': ['Microsoft-Windows-Bits-Client/Operational'],
  'security-mitigations': [
    'Microsoft-Windows-Security-Mitigations/Kernel Mode',
    'Microsoft-Windows-Security-Mitigations/User Mode',
  ],
  'diagnosis-scripted': ['Microsoft-Windows-Diagnosis-Scripted/Operational'],
  'shell-core': ['Microsoft-Windows-Shell-Core/Operational'],
  openssh: ['OpenSSH/Operational'],
  ldap: ['Microsoft-Windows-LDAP-Client/Debug'],
  bitlocker: ['Microsoft-Windows-BitLocker/BitLocker Management'],
  vhdmp: ['Microsoft-Windows-VHDMP/Operational'],
  'appxdeployment-server': ['Microsoft-Windows-AppXDeploymentServer/Operational'],
  'lsa-server': ['Microsoft-Windows-LSA/Operational'],
  'appxpackaging-om': ['Microsoft-Windows-AppxPackaging/Operational'],
  'dns-client': ['Microsoft-Windows-DNS Client Events/Operational'],
  'appmodel-runtime': ['Microsoft-Windows-AppModel-Runtime/Admin'],
  capi2: ['Microsoft-Windows-CAPI2/Operational'],
  'certificateservicesclient-lifecycle-system': [
    'Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational',
  ],
  'kernel-shimengine': ['Microsoft-Windows-Kernel-ShimEngine/Operational', 'Microsoft-Windows-Kernel-ShimEngine/Diagnostic'],
  'application-experience': [
    'Microsoft-Windows-Application-Experience/Program-Telemetry',
    'Microsoft-Windows-Application-Experience/Program-Compatibility-Assistant',
  ],
  ntfs: ['Microsoft-Windows-Ntfs/Operational'],
  'hyper-v-worker': ['Microsoft-Windows-Hyper-V-Worker'],
  'kernel-event-tracing': ['Microsoft-Windows-Kernel-EventTracing'],
  sense: ['Microsoft-Windows-SENSE/Operational'],
  'servicebus-client': ['Microsoft-ServiceBus-Client/Admin', 'Microsoft-ServiceBus-Client/Operational'],
  'iis-configuration': ['Microsoft-IIS-Configuration/Operational'],
  // Not in the THOR map; channels as Windows names them.
  'microsoft-servicebus-client': ['Microsoft-ServiceBus-Client/Admin', 'Microsoft-ServiceBus-Client/Operational'],
  'dns-server': ['DNS Server'],
  'dns-server-analytic': ['Microsoft-Windows-DNSServer/Analytical'],
  'driver-framework': ['Microsoft-Windows-DriverFrameworks-UserMode/Operational'],
};

const sysmon = (...eventIds: number[]): LogsourceVariant => ({ channels: [SYSMON], eventIds });

/** `product: windows` + `category:` → one or more variants (any of them). */
export const CATEGORY_VARIANTS: Record<string, LogsourceVariant[]> = {
  process_creation: [
    sysmon(1),
    { channels: ['Security'], eventIds: [4688], rename: { Image: 'NewProcessName', ParentImage: 'ParentProcessName' } },
  ],
  file_change: [sysmon(2)],
  network_connection: [sysmon(3)],
  sysmon_status: [sysmon(4, 16)],
  process_termination: [sysmon(5)],
  driver_load: [sysmon(6)],
  image_load: [sysmon(7)],
  create_remote_thread: [sysmon(8)],
  raw_access_thread: [sysmon(9)],
  process_access: [sysmon(10)],
  file_event: [sysmon(11)],
  registry_event: [sysmon(12, 13, 14)],
  registry_add: [{ ...sysmon(12), conditions: { EventType: 'CreateKey' } }],
  registry_delete: [
    { ...sysmon(12), conditions: { EventType: 'DeleteKey' } },
    { ...sysmon(12), conditions: { EventType: 'DeleteValue' } },
  ],
  registry_set: [sysmon(13)],
  registry_rename: [sysmon(14)],
  create_stream_hash: [sysmon(15)],
  pipe_created: [sysmon(17, 18)],
  wmi_event: [sysmon(19, 20, 21)],
  dns_query: [sysmon(22)],
  file_delete: [sysmon(23)],
  clipboard_change: [sysmon(24)],
  process_tampering: [sysmon(25)],
  file_delete_detected: [sysmon(26)],
  file_block_executable: [sysmon(27)],
  file_block_shredding: [sysmon(28)],
  file_executable_detected: [sysmon(29)],
  sysmon_error: [sysmon(255)],
  ps_module: [{ channels: PS_CHANNELS, eventIds: [4103] }],
  ps_script: [{ channels: PS_CHANNELS, eventIds: [4104] }],
  ps_classic_start: [{ channels: PS_CLASSIC, eventIds: [400] }],
  ps_classic_provider_start: [{ channels: PS_CLASSIC, eventIds: [600] }],
  ps_classic_script: [{ channels: PS_CLASSIC, eventIds: [800] }],
  antivirus: [
    {
      channels: DEFENDER,
      eventIds: [1006, 1007, 1008, 1009, 1010, 1011, 1012, 1017, 1018, 1019, 1115, 1116],
      rename: { Signature: 'ThreatName', Filename: 'Path' },
    },
  ],
};

export interface LogsourceResolution {
  /** Null: no constraint (the rule's detection alone decides). */
  variants: LogsourceVariant[] | null;
  /** Why no constraint could be derived, when that is a limitation worth telling the user. */
  warning?: string;
}

export interface SigmaLogsource {
  category?: string;
  product?: string;
  service?: string;
}

export function resolveLogsource(ls: SigmaLogsource): LogsourceResolution {
  const product = ls.product?.toLowerCase();
  const category = ls.category?.toLowerCase();
  const service = ls.service?.toLowerCase();
  if (product !== undefined && product !== 'windows') {
    return { variants: null, warning: `product '${ls.product}' is not Windows; no channel/EventID gate` };
  }
  const serviceChannels = service !== undefined ? SERVICE_CHANNELS[service] : undefined;
  if (service !== undefined && !serviceChannels) {
    return { variants: null, warning: `service '${ls.service}' has no known channel; no gate` };
  }
  if (category !== undefined) {
    const variants = CATEGORY_VARIANTS[category];
    if (!variants) {
      if (serviceChannels) return { variants: [{ channels: serviceChannels, eventIds: [] }] };
      return { variants: null, warning: `category '${ls.category}' has no known Windows event source; no gate` };
    }
    if (!serviceChannels) return { variants };
    const narrowed = variants.filter((v) => v.channels.some((c) => serviceChannels.includes(c)));
    return { variants: narrowed.length > 0 ? narrowed : variants };
  }
  if (serviceChannels) return { variants: [{ channels: serviceChannels, eventIds: [] }] };
  return { variants: null };
}
