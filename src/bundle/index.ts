// Validate and canonicalize template archives: tar.gz stream in, canonical tar + manifest out.

export { AGENT_OWNED, isAgentOwned } from './agent-owned.js'
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
  foldCase,
  hasOnlyKeptNameCharacters,
  hasOnlyNameCharacters,
  printableName,
} from './names.js'
export {
  checkEntryPath,
  checkKeptPath,
  checkPath,
  checkPathLimits,
  compareUtf8,
  decodeName,
} from './paths.js'
export { type BundleFile, type ReadBundleOptions, readBundle } from './read-bundle.js'
export { isReservedPath, RESERVED_PREFIX, STATE_FILE } from './reserved.js'
export {
  type BundleRules,
  DEFAULT_ALLOW,
  DEFAULT_REQUIRE,
  DEFAULT_RULES,
} from './rules.js'
