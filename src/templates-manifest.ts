// Applying the templates manifest to the index: what `serve` does at start-up and
// `asset-cache templates sync` does on demand. Nothing else changes the tracked set.
import type { SyncPlan } from './db/index.js'
import type { Logger } from './log.js'
import type { Runtime } from './runtime.js'

/**
 * Applies ASSET_CACHE_TEMPLATES, if set. With none set, the index keeps tracking what it tracks
 * (the manifest applied last); an empty manifest removes nothing (see db/template-sync.ts).
 */
export function applyManifest(
  rt: Pick<Runtime, 'index' | 'config' | 'now'>,
  logger: Logger,
): SyncPlan | null {
  const { index, config } = rt
  if (config.templatesFile === null) {
    const tracked = index.templates.tracked().map((t) => t.name)
    if (tracked.length > 0) {
      logger.warn(
        { tracked },
        'no ASSET_CACHE_TEMPLATES: serving the templates the index already tracks, unchanged',
      )
    }
    return null
  }
  const plan = index.templates.sync(config.templates, { now: rt.now() })
  if (plan.kept.length > 0) {
    logger.warn(
      { file: config.templatesFile, kept: plan.kept },
      'the templates manifest lists no templates: nothing was removed; ' +
        '`asset-cache templates sync --allow-empty` removes them on purpose',
    )
  }
  const changed =
    plan.added.length + plan.restored.length + plan.updated.length + plan.removed.length
  if (changed > 0) {
    logger.info(
      {
        file: config.templatesFile,
        added: plan.added,
        restored: plan.restored,
        updated: plan.updated,
        removed: plan.removed,
      },
      'templates manifest applied',
    )
  }
  return plan
}
