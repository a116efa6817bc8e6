// The path helpers exported for other readers (the provisioner client).
import { describe, expect, it } from 'vitest'
import {
  AGENT_OWNED,
  checkPath,
  compareUtf8,
  DEFAULT_ALLOW,
  DEFAULT_LIMITS,
  DEFAULT_REQUIRE,
  isAgentOwned,
  resolveLimits,
} from '../../src/bundle/index.js'

describe('checkPath', () => {
  it.each([
    ['prompts/a.md', null],
    ['agent-skills/x/run.sh', null],
    ['/abs', 'PATH_ABSOLUTE'],
    ['a/../b', 'PATH_TRAVERSAL'],
    ['a//b', 'PATH_NOT_CANONICAL'],
    ['./a', 'PATH_NOT_CANONICAL'],
    ['', 'PATH_NOT_CANONICAL'],
    ['a/', 'PATH_NOT_CANONICAL'],
    ['a\u0000b', 'PATH_BAD_CHARACTER'],
    ['a\u202eb', 'PATH_BAD_CHARACTER'],
    ['workspace/a\u2028b', 'PATH_BAD_CHARACTER'],
    ['a\ue000b', 'PATH_BAD_CHARACTER'],
    ['uſer.md', 'AGENT_OWNED_PATH'],
    ['.git/config', 'GIT_METADATA'],
    ['a\\b', 'PATH_NOT_PORTABLE'],
    ['LPT1.txt', 'PATH_NOT_PORTABLE'],
    ['cafe\u0301', 'PATH_NOT_NFC'],
    ['CLAUDE.md', 'AGENT_OWNED_PATH'],
    [`${'a/'.repeat(32)}b`, 'PATH_TOO_DEEP'],
    ['a'.repeat(1025), 'PATH_TOO_LONG'],
  ])('%j → %s', (path, code) => {
    expect(checkPath(path)).toBe(code)
  })
})

describe('isAgentOwned', () => {
  it('compares folded segments with the agent-owned paths, and the directories above them', () => {
    expect(AGENT_OWNED).toEqual([
      'MEMORY.md',
      'USER.md',
      'CLAUDE.md',
      '.claude/sessions/**',
      'workspace/**',
    ])
    for (const p of ['MEMORY.md', 'user.md', '.claude', '.claude/sessions/a/b', 'WORKSPACE/x']) {
      expect(isAgentOwned(p), p).toBe(true)
    }
    for (const p of ['prompts/MEMORY.md', '.claude/settings.json', 'workspaces', 'MEMORY.md.bak']) {
      expect(isAgentOwned(p), p).toBe(false)
    }
  })
})

describe('compareUtf8', () => {
  it('orders by UTF-8 bytes', () => {
    const sorted = ['\u{1F600}', 'b', '\uE000', 'B', 'é', 'a/b', 'a-b'].sort(compareUtf8)
    expect(sorted).toEqual(['B', 'a-b', 'a/b', 'b', 'é', '\uE000', '\u{1F600}'])
  })
})

describe('defaults', () => {
  it('are those of the design', () => {
    expect(DEFAULT_ALLOW).toEqual(['config.yaml', 'prompts/**', 'agent-skills/**'])
    expect(DEFAULT_REQUIRE).toEqual(['config.yaml'])
    expect(DEFAULT_LIMITS).toEqual({
      maxCompressedBytes: 16 * 1024 * 1024,
      maxUnpackedBytes: 64 * 1024 * 1024,
      maxEntries: 10_000,
      maxFileBytes: 16 * 1024 * 1024,
      maxPathBytes: 1024,
      maxPathSegments: 32,
      totalTimeoutMs: 60_000,
      idleTimeoutMs: 10_000,
    })
  })
  it('limits must be positive integers', () => {
    expect(resolveLimits({ maxEntries: 5 }).maxEntries).toBe(5)
    expect(() => resolveLimits({ maxEntries: 0 })).toThrow(TypeError)
    expect(() => resolveLimits({ idleTimeoutMs: 1.5 })).toThrow(TypeError)
  })
})
