/** The System log (service control manager, event log service) and PowerShell logs → ECS. */
import type { ChannelTable } from './types.js';

export const systemTable: ChannelTable = {
  module: 'system',
  channels: ['system'],
  providers: ['service control manager'],
  fields: {
    ServiceName: 'service.name',
    ImagePath: 'image:service.executable',
    ServiceType: 'servicetype:service.type',
    SubjectUserName: 'user.name',
    SubjectDomainName: 'user.domain',
    param1: null,
  },
  events: {
    '104': { category: ['iam'], type: ['admin', 'change'], action: 'audit-log-cleared' },
    '7034': { category: ['process'], type: ['end'], action: 'service-crashed', fields: { param1: 'service.name' } },
    '7036': { category: ['process'], type: ['change'], action: 'service-state-changed', fields: { param1: 'service.name' } },
    '7040': { category: ['configuration'], type: ['change'], action: 'service-start-type-changed', fields: { param1: 'service.name' } },
    '7045': { category: ['configuration'], type: ['creation'], action: 'service-installed' },
  },
};

export const powershellTable: ChannelTable = {
  module: 'powershell',
  channels: ['microsoft-windows-powershell/operational', 'powershellcore/operational'],
  providers: ['microsoft-windows-powershell', 'powershellcore'],
  fields: {
    ScriptBlockText: 'powershell.file.script_block_text',
    ScriptBlockId: 'powershell.file.script_block_id',
    Path: 'path:file.path',
    MessageNumber: 'int:powershell.sequence',
    MessageTotal: 'int:powershell.total',
  },
  events: {
    '4103': { category: ['process'], type: ['info'], action: 'Executing Pipeline' },
    '4104': { category: ['process'], type: ['info'], action: 'Execute a Remote Command' },
    '4105': { category: ['process'], type: ['start'], action: 'Execute a Remote Command' },
    '4106': { category: ['process'], type: ['end'], action: 'Execute a Remote Command' },
  },
};
