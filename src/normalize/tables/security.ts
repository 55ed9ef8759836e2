/**
 * Windows Security log → ECS, after Elastic's winlogbeat security pipeline (categories and
 * actions) with the file-share events 5140/5145 and object access 4663 added for spoor's
 * lateral-movement rules.
 */
import type { ChannelTable, EventSpec, FieldMap } from './types.js';

/** Events about a logon session: the Target* account is the one that logged on. */
const targetIsUser: FieldMap = {
  SubjectUserName: null,
  SubjectDomainName: null,
  SubjectUserSid: null,
  SubjectLogonId: null,
  TargetUserName: 'user.name',
  TargetDomainName: 'user.domain',
  TargetUserSid: 'user.id',
  TargetLogonId: 'winlog.logon.id',
};

/** Group management: Target* names the group, Member* the account added/removed. */
const groupChange: FieldMap = {
  TargetUserName: 'group.name',
  TargetDomainName: 'group.domain',
  TargetSid: 'group.id',
  MemberName: 'user.target.name',
  MemberSid: 'user.target.id',
};

function iam(type: string[], action: string, fields?: FieldMap): EventSpec {
  return fields ? { category: ['iam'], type, action, fields } : { category: ['iam'], type, action };
}

const shareAccess: FieldMap = { ShareLocalPath: null, RelativeTargetName: null };

export const securityTable: ChannelTable = {
  module: 'security',
  channels: ['security'],
  providers: ['microsoft-windows-security-auditing'],
  fields: {
    SubjectUserSid: 'user.id',
    SubjectUserName: 'user.name',
    SubjectDomainName: 'user.domain',
    SubjectLogonId: 'winlog.logon.id',
    TargetUserName: 'user.target.name',
    TargetDomainName: 'user.target.domain',
    TargetUserSid: 'user.target.id',
    TargetSid: 'user.target.id',
    ProcessName: 'process.executable',
    ProcessId: 'nonzero:process.pid',
    IpAddress: 'ip:source.ip',
    IpPort: 'nonzero:source.port',
    WorkstationName: 'source.domain',
    LogonType: 'logon:winlog.logon.type',
    ServiceName: 'service.name',
  },
  events: {
    '1102': { category: ['iam'], type: ['admin', 'change'], action: 'audit-log-cleared' },
    '4624': { category: ['authentication'], type: ['start'], action: 'logged-in', outcome: 'success', fields: targetIsUser },
    '4625': { category: ['authentication'], type: ['start'], action: 'logon-failed', outcome: 'failure', fields: targetIsUser },
    '4634': { category: ['authentication'], type: ['end'], action: 'logged-out', fields: targetIsUser },
    '4647': { category: ['authentication'], type: ['end'], action: 'logged-out', fields: targetIsUser },
    '4648': { category: ['authentication'], type: ['start'], action: 'logged-in-explicit' },
    '4656': {
      category: ['file'],
      type: ['access'],
      action: 'object-handle-requested',
      derive: ['objectName', 'accessList'],
    },
    '4663': {
      category: ['file'],
      type: ['access'],
      action: 'object-access-attempted',
      derive: ['objectName', 'accessList'],
    },
    '4657': { category: ['registry', 'configuration'], type: ['change'], action: 'registry-value-modified' },
    '4672': { category: ['iam'], type: ['admin'], action: 'logged-in-special' },
    '4688': {
      category: ['process'],
      type: ['start'],
      action: 'created-process',
      fields: {
        NewProcessName: 'process.executable',
        NewProcessId: 'int:process.pid',
        ProcessId: 'int:process.parent.pid',
        ParentProcessName: 'process.parent.executable',
        CommandLine: 'process.command_line',
        TargetUserName: 'user.effective.name',
        TargetDomainName: 'user.effective.domain',
        TargetUserSid: 'user.effective.id',
      },
    },
    '4689': { category: ['process'], type: ['end'], action: 'exited-process' },
    '4697': {
      category: ['iam', 'configuration'],
      type: ['admin', 'change'],
      action: 'service-installed',
      fields: { ServiceFileName: 'image:service.executable', ServiceType: 'servicetype:service.type' },
    },
    '4698': { category: ['iam', 'configuration'], type: ['creation', 'admin'], action: 'scheduled-task-created' },
    '4699': { category: ['iam', 'configuration'], type: ['deletion', 'admin'], action: 'scheduled-task-deleted' },
    '4700': { category: ['iam', 'configuration'], type: ['change', 'admin'], action: 'scheduled-task-enabled' },
    '4701': { category: ['iam', 'configuration'], type: ['change', 'admin'], action: 'scheduled-task-disabled' },
    '4702': { category: ['iam', 'configuration'], type: ['change', 'admin'], action: 'scheduled-task-updated' },
    '4720': iam(['user', 'creation'], 'added-user-account'),
    '4722': iam(['user', 'change'], 'enabled-user-account'),
    '4723': iam(['user', 'change'], 'changed-password'),
    '4724': iam(['user', 'change'], 'reset-password'),
    '4725': iam(['user', 'deletion'], 'disabled-user-account'),
    '4726': iam(['user', 'deletion'], 'deleted-user-account'),
    '4727': iam(['group', 'creation'], 'added-group-account', groupChange),
    '4728': iam(['group', 'change'], 'added-member-to-group', groupChange),
    '4729': iam(['group', 'change'], 'removed-member-from-group', groupChange),
    '4730': iam(['group', 'deletion'], 'deleted-group-account', groupChange),
    '4731': iam(['group', 'creation'], 'added-group-account', groupChange),
    '4732': iam(['group', 'change'], 'added-member-to-group', groupChange),
    '4733': iam(['group', 'change'], 'removed-member-from-group', groupChange),
    '4734': iam(['group', 'deletion'], 'deleted-group-account', groupChange),
    '4735': iam(['group', 'change'], 'modified-group-account', groupChange),
    '4737': iam(['group', 'change'], 'modified-group-account', groupChange),
    '4738': iam(['user', 'change'], 'modified-user-account'),
    '4740': iam(['user', 'change'], 'locked-out-user-account'),
    '4754': iam(['group', 'creation'], 'added-group-account', groupChange),
    '4755': iam(['group', 'change'], 'modified-group-account', groupChange),
    '4756': iam(['group', 'change'], 'added-member-to-group', groupChange),
    '4757': iam(['group', 'change'], 'removed-member-from-group', groupChange),
    '4758': iam(['group', 'deletion'], 'deleted-group-account', groupChange),
    '4767': iam(['user', 'change'], 'unlocked-user-account'),
    '4768': {
      category: ['authentication'],
      type: ['start'],
      action: 'kerberos-authentication-ticket-requested',
      fields: targetIsUser,
    },
    '4769': {
      category: ['authentication'],
      type: ['start'],
      action: 'kerberos-service-ticket-requested',
      fields: targetIsUser,
    },
    '4770': { category: ['authentication'], type: ['start'], action: 'kerberos-service-ticket-renewed', fields: targetIsUser },
    '4771': { category: ['authentication'], type: ['start'], action: 'kerberos-preauth-failed', fields: targetIsUser },
    '4776': {
      category: ['authentication'],
      type: ['start'],
      action: 'credential-validated',
      fields: { TargetUserName: 'user.name', Workstation: 'source.domain' },
    },
    '4778': { category: ['authentication', 'session'], type: ['start'], action: 'session-reconnected', fields: { AccountName: 'user.name', AccountDomain: 'user.domain', ClientAddress: 'ip:source.ip', ClientName: 'source.domain' } },
    '4779': { category: ['authentication', 'session'], type: ['end'], action: 'session-disconnected', fields: { AccountName: 'user.name', AccountDomain: 'user.domain', ClientAddress: 'ip:source.ip', ClientName: 'source.domain' } },
    '4798': iam(['user', 'info'], 'group-membership-enumerated'),
    '4799': iam(['group', 'info'], 'user-member-enumerated'),
    '5140': {
      category: ['network'],
      type: ['access'],
      action: 'network-share-object-accessed',
      fields: shareAccess,
      derive: ['sharePath', 'accessList'],
    },
    '5145': {
      category: ['network'],
      type: ['access'],
      action: 'network-share-object-access-checked',
      fields: shareAccess,
      derive: ['sharePath', 'accessList'],
    },
  },
};
