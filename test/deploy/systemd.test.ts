// deploy/asset-cache.service: the hardening the brief asks for, parsed as systemd reads it.
import { describe, expect, it } from 'vitest'
import { read } from './files.js'

type Unit = Record<string, Record<string, string[]>>

/** Sections → key → every value assigned (systemd keys may repeat). */
function parseUnit(text: string): Unit {
  const unit: Unit = {}
  let section: Record<string, string[]> | null = null
  for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#') || line.startsWith(';')) continue
    const head = /^\[(.+)\]$/.exec(line)
    if (head) {
      section = unit[head[1]!] ??= {}
      continue
    }
    const kv = /^([A-Za-z0-9]+)=(.*)$/.exec(line)
    if (!kv || !section) throw new Error(`not a unit line: ${line}`)
    const values = section[kv[1]!] ?? []
    values.push(kv[2]!.trim())
    section[kv[1]!] = values
  }
  return unit
}

const seconds = (text: string) => {
  const m = /^(\d+)(s|min)?$/.exec(text)
  return m ? Number(m[1]) * (m[2] === 'min' ? 60 : 1) : Number.NaN
}

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
    const broken: [string, string][] = [
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
    ]
    for (const [from, to] of broken) {
      expect(TEXT, from).toContain(from)
      expect(problems(parseUnit(TEXT.replace(from, to))), from).not.toEqual([])
    }
  })
})
