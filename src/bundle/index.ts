// Validate and canonicalize template archives: tar.gz stream in, canonical tar + manifest out.

export { type CanonicalFile, canonicalTar, canonicalTarSize } from './canonical-tar.js'
export {
  type CanonicalBundle,
  type CanonicalizeOptions,
  canonicalize,
  type ManifestEntry,
} from './canonicalize.js'
export { isYamlMapping } from './config-yaml.js'
export { type BundleLimits, DEFAULT_LIMITS, resolveLimits } from './limits.js'
export {
  checkEntryPath,
  checkKeptPath,
  checkPath,
  checkPathLimits,
  compareUtf8,
  decodeName,
  foldCase,
} from './paths.js'
export { type BundleFile, type ReadBundleOptions, readBundle } from './read-bundle.js'
export {
  AGENT_OWNED,
  type BundleRules,
  DEFAULT_ALLOW,
  DEFAULT_REQUIRE,
  DEFAULT_RULES,
  isAgentOwned,
} from './rules.js'
