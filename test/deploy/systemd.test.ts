// deploy/asset-cache.service: the hardening the brief asks for, parsed as systemd reads it, and a
// Node.js found on PATH (the install's own first) rather than whatever /usr/bin/node is.
import { describe, expect, it } from 'vitest'
import { expectEachBreaks, read } from './files.js'
import { commandWords, PREFIX, parseUnit, seconds, type Unit } from './systemd-unit.js'

const REQUIRED: Record<string, string> = {
  NoNewPrivileges: 'yes',
  ProtectSystem: 'strict',
  ProtectHome: 'yes',
  PrivateTmp: 'yes',
  PrivateDevices: 'yes',
  ProtectKernelTunables: 'yes',
  ProtectKernelModules: 'yes',
  ProtectKernelLogs: 'yes',
  ProtectControlGroups: 'yes',
  RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX',
  CapabilityBoundingSet: '',
  LockPersonality: 'yes',
  RestrictNamespaces: 'yes',
  UMask: '0077',
  Restart: 'on-failure',
  KillSignal: 'SIGTERM',
  StateDirectory: 'asset-cache',
  EnvironmentFile: '/etc/asset-cache/env',
}

function problems(unit: Unit): string[] {
  const out: string[] = []
  const service = unit.Service ?? {}
  const last = (key: string) => service[key]?.at(-1)
  for (const [key, value] of Object.entries(REQUIRED)) {
    if (last(key) !== value) out.push(`${key}=${last(key) ?? '(unset)'}, want ${value}`)
  }
  if (!service.SystemCallFilter?.includes('@system-service')) out.push('SystemCallFilter')
  for (const [name, keys] of Object.entries(unit)) {
    if ('MemoryDenyWriteExecute' in keys) out.push(`[${name}] sets MemoryDenyWriteExecute`)
  }
  const users = service.User ?? []
  if (users.some((u) => u === 'root' || u === '0')) out.push('User=root')
  if (last('DynamicUser') !== 'yes' && users.length === 0) out.push('no DynamicUser=yes or User=')
  const env = (service.Environment ?? []).flatMap((e) => e.split(/\s+/))
  if (!env.includes('ASSET_CACHE_DATA_DIR=/var/lib/asset-cache')) out.push('ASSET_CACHE_DATA_DIR')
  const stop = seconds(last('TimeoutStopSec') ?? '')
  if (!(stop > 10 && stop <= 30)) out.push(`TimeoutStopSec=${last('TimeoutStopSec')}`)
  if (!/bin\/asset-cache\.js serve$/.test(last('ExecStart') ?? '')) out.push('ExecStart')
  if (!unit.Install?.WantedBy?.length) out.push('no [Install] WantedBy')
  out.push(...nodeProblems(service))
  // A start that fails before the main process (the version check) is restarted whatever
  // RestartPreventExitStatus says: the start limit is what ends that loop.
  const burst = Number(unit.Unit?.StartLimitBurst?.at(-1))
  const interval = seconds(unit.Unit?.StartLimitIntervalSec?.at(-1) ?? '')
  if (!(burst > 0 && burst * seconds(last('RestartSec') ?? '0') <= interval)) {
    out.push(`StartLimitBurst=${burst} in ${interval}s never stops restarts`)
  }
  return out
}

/**
 * Every command runs the Node.js the install provides: `/usr/bin/env node` with PATH starting at
 * PREFIX/node/bin, or a node under PREFIX; never a system path such as /usr/bin/node (Debian 12's
 * is 18). An ExecStartPre checks the version of the node found.
 */
function nodeProblems(service: Record<string, string[]>): string[] {
  const out: string[] = []
  const env = (service.Environment ?? []).flatMap((e) => e.split(/\s+/))
  const path = env.findLast((e) => e.startsWith('PATH='))?.slice('PATH='.length)
  for (const key of ['ExecStartPre', 'ExecStart']) {
    for (const line of service[key] ?? []) {
      const [command = '', first] = commandWords(line)
      if (command === '/usr/bin/env' && first === 'node') {
        if (path?.split(':')[0] !== `${PREFIX}/node/bin`) out.push(`${key}: PATH=${path}`)
      } else if (/\/node$/.test(command) && !command.startsWith(`${PREFIX}/`)) {
        out.push(`${key} hard-codes ${command}`)
      }
    }
  }
  const check = (service.ExecStartPre ?? []).map(commandWords)
  if (!check.some((w) => w.slice(0, 3).join(' ') === '/usr/bin/env node -e' && w.length === 4)) {
    out.push('no ExecStartPre=/usr/bin/env node -e "<version check>"')
  }
  return out
}

const TEXT = read('deploy/asset-cache.service')

describe('systemd unit', () => {
  it('parses, and carries every required hardening key and no MemoryDenyWriteExecute', () => {
    const unit = parseUnit(TEXT)
    expect(Object.keys(unit)).toEqual(['Unit', 'Service', 'Install'])
    expect(problems(unit)).toEqual([])
  })

  it('the check catches each broken rule', () => {
    expectEachBreaks(
      TEXT,
      [
        ['\nNoNewPrivileges=yes', '\nNoNewPrivileges=no'],
        ['\nProtectSystem=strict', '\nProtectSystem=full'],
        ['\nCapabilityBoundingSet=\n', '\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n'],
        ['\nUMask=0077', '\nUMask=0022'],
        ['\nTimeoutStopSec=15s', '\nTimeoutStopSec=5s'],
        ['\nSystemCallFilter=@system-service', '\nSystemCallFilter=@basic-io'],
        ['\nRestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX', '\nRestrictAddressFamilies=any'],
        ['\nUser=asset-cache', '\nUser=root'],
        ['\nUser=asset-cache', '\nUser=0'],
        ['\nLockPersonality=yes', '\nMemoryDenyWriteExecute=yes\nLockPersonality=yes'],
        ['\nKillSignal=SIGTERM', '\nKillSignal=SIGKILL'],
        ['\nExecStart=/usr/bin/env node ', '\nExecStart=/usr/bin/node '],
        ['\nExecStart=/usr/bin/env node ', '\nExecStart=/usr/local/bin/node '],
        ['\nEnvironment=PATH=/opt/asset-cache/node/bin:', '\nEnvironment=PATH='],
        ['\nExecStartPre=', '\n#ExecStartPre='],
        ['\nExecStartPre=/usr/bin/env node', '\nExecStartPre=/usr/bin/node'],
        ['\nStartLimitBurst=5', '\nStartLimitBurst=50'],
        ['\nStartLimitIntervalSec=2min', '\n#'],
      ],
      (changed) => problems(parseUnit(changed)),
    )
  })
})
