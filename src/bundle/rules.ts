// Which stripped paths a bundle keeps, requires, and may never write (agent-owned).
import picomatch from 'picomatch'

export interface BundleRules {
  /** Globs (picomatch, `dot: true`) on the stripped path; a regular file matching one is kept. */
  allow: readonly string[]
  /** Globs each of which must match at least one kept file. */
  require: readonly string[]
}

export const DEFAULT_ALLOW: readonly string[] = Object.freeze([
  'config.yaml',
  'prompts/**',
  'agent-skills/**',
])
export const DEFAULT_REQUIRE: readonly string[] = Object.freeze(['config.yaml'])
export const DEFAULT_RULES: Readonly<BundleRules> = Object.freeze({
  allow: DEFAULT_ALLOW,
  require: DEFAULT_REQUIRE,
})

/** Paths the agent owns in a workspace; a template never writes them, whatever its allowlist says. */
export const AGENT_OWNED: readonly string[] = Object.freeze([
  'MEMORY.md',
  'USER.md',
  'CLAUDE.md',
  '.claude/sessions/**',
  'workspace/**',
])

const matchAgentOwned = picomatch([...AGENT_OWNED], { dot: true, nocase: true })
// A file at a directory the agent owns (or above one) would shadow it: `.claude`, `workspace`.
const agentOwnedDirs = new Set(
  AGENT_OWNED.flatMap((glob) => {
    const { base, isGlob } = picomatch.scan(glob)
    const segments = base.split('/')
    const dirs = segments.map((_, i) => segments.slice(0, i + 1).join('/'))
    return (isGlob ? dirs : dirs.slice(0, -1)).map((dir) => dir.toLowerCase())
  }),
)

/** True when `path` (stripped, no trailing slash) is agent-owned, matched case-insensitively. */
export function isAgentOwned(path: string): boolean {
  return matchAgentOwned(path) || agentOwnedDirs.has(path.toLowerCase())
}

export interface CompiledRules {
  isKept(path: string): boolean
  /** The `require` globs that match none of `paths`. */
  missing(paths: Iterable<string>): string[]
}

export function compileRules(rules: BundleRules): CompiledRules {
  const kept = rules.allow.length > 0 ? picomatch([...rules.allow], { dot: true }) : () => false
  const required = rules.require.map((glob) => ({ glob, test: picomatch(glob, { dot: true }) }))
  return {
    isKept: (path) => kept(path),
    missing(paths) {
      const list = [...paths]
      return required.filter((r) => !list.some((p) => r.test(p))).map((r) => r.glob)
    },
  }
}
