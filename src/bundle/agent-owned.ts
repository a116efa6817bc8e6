// Paths the agent owns in a workspace: a template never writes them, whatever its allowlist says.
// Decided by construction — the path is cut into segments, each segment case-folded and compared
// with the agent-owned ones — never by a glob, whose regex may not match every character a name can
// hold (picomatch's `**` does not match U+2028). Shared by the validator and the provisioner client.
import { foldCase } from './names.js'

/** The agent-owned paths; `dir/**` owns the directory and everything under it. */
export const AGENT_OWNED: readonly string[] = Object.freeze([
  'MEMORY.md',
  'USER.md',
  'CLAUDE.md',
  '.claude/sessions/**',
  'workspace/**',
])

interface Owned {
  /** Folded segments of the owned file or directory. */
  segments: readonly string[]
  /** True for `dir/**`: everything below is owned too. */
  subtree: boolean
}

const OWNED: readonly Owned[] = AGENT_OWNED.map((entry) => {
  const subtree = entry.endsWith('/**')
  const path = subtree ? entry.slice(0, -'/**'.length) : entry
  return { segments: path.split('/').map(foldCase), subtree }
})

/**
 * True when `path` (segments joined by `/`) is agent-owned: it is an owned file or directory, lies
 * under an owned directory, or is a directory above one (a file named `.claude` or `workspace`
 * would shadow what the agent owns). Segments compare after case folding, so `uſer.md`,
 * `WorkSpace/x` and `.claude/SESSIONS` are owned; characters are never dropped or matched by
 * pattern, so `workspace/a\u2028b` is owned like any other name under `workspace/`.
 */
export function isAgentOwned(path: string): boolean {
  const segments = path.split('/').map(foldCase)
  return OWNED.some((owned) => {
    const shared = Math.min(segments.length, owned.segments.length)
    for (let i = 0; i < shared; i++) if (segments[i] !== owned.segments[i]) return false
    // Equal, or above the owned path (shorter): owned. Below it: owned only under a directory.
    return segments.length <= owned.segments.length || owned.subtree
  })
}
