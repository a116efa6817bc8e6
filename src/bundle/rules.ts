// Which stripped paths a bundle keeps and requires (the template's globs). What it may never
// write, whatever the globs say, is decided in agent-owned.ts.
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
