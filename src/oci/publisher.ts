// Publishing (ASSET_CACHE_OCI_PUBLISH): every ready version's image is pushed to the configured
// registry, and every tag /v2 serves is pointed at the same index there — `latest` (what resolve
// answers, so it follows pins), the tracked ref's tag and each commit's tag. The publisher is a
// loop beside the HTTP server and the workers: it looks again whenever the index changed (an
// ingest, a pin, an unpin, a rollback) and when a failure is due for a retry, so it never blocks
// or fails an ingest. Per version it records pending / published / failed with a stable code
// (db/publish.ts); a failed version is tried again after a backoff that doubles up to a bound.
// A bundle that cannot be read from the store fails its version with the store's code (ENOTFOUND,
// EINTEGRITY, EBADSIZE) and the pass goes on; a corrupt one is withdrawn as a bundle read would.
// A signed version's attestation referrers go with its image (push-referrers.ts); one signed
// after its last push (signing runs after the ingest, or later from the CLI) is pushed again.
import { withdrawCorrupt } from '../cache/withdraw.js'
import type { Config } from '../config.js'
import type { Index, JobRow, TemplateRow, VersionRow } from '../db/index.js'
import { AppError, codeOf, IntegrityError } from '../errors.js'
import type { Logger } from '../log.js'
import type { Metrics } from '../metrics.js'
import type { ContentStore } from '../store/index.js'
import { buildImage, type Image, sourceOf } from './image.js'
import { commitTag } from './naming.js'
import { type OciPublishConfig, publishedRepository } from './publish-target.js'
import { pushImage, pushTag } from './push-image.js'
import { pushReferrersBeside } from './push-referrers.js'
import { PushSession } from './push-session.js'
import type { ImageReferrer } from './referrers.js'
import { RepositoryViews, referrersOf, VERSIONS_TAGGED } from './repository-views.js'

export interface PublisherDeps {
  config: Pick<Config, 'oci'> & { ociPublish: OciPublishConfig }
  index: Index
  store: ContentStore
  logger: Logger
  metrics?: Metrics
  /** Told of the refresh jobs a withdrawn corrupt bundle queues. */
  onEnqueued?: (job: JobRow) => void
  /** The in-memory copies of bundles, if any: a withdrawn one is dropped. */
  hot?: { delete(digest: string): unknown }
  now: () => number
  /** How often the index is looked at for changes and due retries (default 1 s). */
  pollMs?: number
}

export interface PublishReport {
  pushed: number
  failed: number
  tagsPushed: number
  tagsFailed: number
}

export class Publisher {
  readonly #deps: PublisherDeps
  readonly #views: RepositoryViews
  readonly #abort = new AbortController()
  #timer: NodeJS.Timeout | null = null
  #running: Promise<PublishReport> | null = null
  #stamp: readonly [number, number] = [-1, -1]
  /** The earliest time a failure is due for another try (Infinity: none). */
  #dueAt = Number.POSITIVE_INFINITY

  constructor(deps: PublisherDeps) {
    this.#deps = deps
    this.#views = new RepositoryViews(deps.index, deps.config.oci)
  }

  #now(): number {
    return this.#deps.now()
  }

  start(): void {
    if (this.#timer) return
    this.#timer = setInterval(() => this.#tick(), this.#deps.pollMs ?? 1000)
    this.#timer.unref()
    this.#tick()
  }

  #tick(): void {
    if (this.#running || this.#abort.signal.aborted) return
    const stamp = this.#deps.index.changeStamp()
    const changed = stamp[0] !== this.#stamp[0] || stamp[1] !== this.#stamp[1]
    if (!changed && this.#now() < this.#dueAt) return
    void this.runOnce().catch((err: unknown) => {
      if (!this.#abort.signal.aborted) this.#deps.logger.error({ err }, 'publishing failed')
    })
  }

  /** One pass over every active template (a pass already running is joined, not repeated). */
  runOnce(): Promise<PublishReport> {
    if (this.#running) return this.#running
    // Taken before the pass: a change made while it runs wakes the next one (so do the pass's
    // own writes, once: that pass finds nothing to do and writes nothing).
    this.#stamp = this.#deps.index.changeStamp()
    this.#running = this.#pass().finally(() => {
      this.#running = null
    })
    return this.#running
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    this.#abort.abort()
    await this.#running?.catch(() => {})
  }

  async #pass(): Promise<PublishReport> {
    const { index, config } = this.#deps
    const publish = config.ociPublish
    const session = new PushSession(publish.target.origin, {
      credentials: publish.credentials,
      signal: this.#abort.signal,
    })
    const report: PublishReport = { pushed: 0, failed: 0, tagsPushed: 0, tagsFailed: 0 }
    this.#dueAt = Number.POSITIVE_INFINITY
    for (const template of index.templates.all()) {
      if (template.removedAt !== null || this.#abort.signal.aborted) continue
      // An unreachable registry ends the pass: the rest waits for the failed version's retry.
      if (!(await this.#publishTemplate(session, template, report))) break
    }
    return report
  }

  #image(template: TemplateRow, digest: string, commit: string | null): Image | null {
    const bundle = this.#deps.index.bundles.get(digest)
    if (!bundle) return null
    return buildImage({
      template: template.name,
      digest,
      size: bundle.size,
      commit,
      source: sourceOf(this.#deps.config.oci.sourceBase, template.repo),
      platforms: this.#deps.config.oci.platforms,
    })
  }

  async #push(
    session: PushSession,
    repository: string,
    template: TemplateRow,
    image: Image,
    referrers: readonly ImageReferrer[] = [],
  ): Promise<void> {
    const { index, store, config } = this.#deps
    const key = config.ociPublish.target.key
    const from = index.publish.mountSource(key, image.layer.digest, template.name)
    const mountFrom = from === null ? null : publishedRepository(config.ociPublish.target, from)
    const layer = () => store.get(image.layer.digest, image.layer.size)
    await pushImage(session, repository, image, layer, mountFrom)
    await pushReferrersBeside(session, repository, referrers, (err) => {
      this.#deps.logger.warn({ repository, code: err.code, err }, 'attestations not published')
      this.#deps.metrics?.ociPublishes.inc({ outcome: 'attestations_refused' })
    })
  }

  /** Publishes the versions and tags of `template`; false when the registry is unreachable. */
  async #publishTemplate(
    session: PushSession,
    template: TemplateRow,
    report: PublishReport,
  ): Promise<boolean> {
    const { index, config, metrics, logger } = this.#deps
    const publish = config.ociPublish
    const key = publish.target.key
    const repository = publishedRepository(publish.target, template.name)
    const view = this.#views.get(template.name)
    if (!view) return true
    /** Index digests known to be at the registry (their version is published). */
    const present = new Set<string>()
    /** Index digests whose version failed and is not due: their tags wait too. */
    const blocked = new Set<string>()
    for (const version of index.versions.list(template.name, VERSIONS_TAGGED)) {
      if (version.status !== 'ready' || version.digest === null) continue
      // The view has already built every commit's image: only a version without one is built here.
      const tagged = view.tags.get(commitTag(version.commit) ?? '')
      const image =
        tagged?.layer.digest === version.digest
          ? tagged
          : this.#image(template, version.digest, version.commit)
      if (!image) continue
      const state = index.publish.state(version.id, key)
      if (
        state?.status === 'published' &&
        !index.attestations.signedSince(version.id, version.digest, state.publishedAt)
      ) {
        present.add(image.index.digest)
        continue
      }
      if (state?.status === 'failed' && state.nextAt !== null && state.nextAt > this.#now()) {
        this.#dueAt = Math.min(this.#dueAt, state.nextAt)
        blocked.add(image.index.digest)
        continue
      }
      if (this.#abort.signal.aborted) return false
      if (!state) index.publish.markPending(version.id, key)
      // Taken before the attestations are read: one signed during the push is newer than it.
      const at = this.#now()
      try {
        const referrers = referrersOf(index, template.name, image, version.commit)
        await this.#push(session, repository, template, image, referrers)
        index.publish.markPublished(version.id, key, at)
        present.add(image.index.digest)
        report.pushed++
        metrics?.ociPublishes.inc({ outcome: 'pushed' })
        logger.info({ template: template.name, digest: version.digest, repository }, 'published')
      } catch (err) {
        if (this.#abort.signal.aborted) return false
        if (err instanceof IntegrityError) await this.#withdraw(image.layer.digest, err)
        this.#failed(version, err)
        report.failed++
        blocked.add(image.index.digest)
        if (codeOf(err) === 'PUBLISH_UNREACHABLE') return false
      }
    }
    await this.#pushTags(session, template, repository, { present, blocked }, report)
    return true
  }

  /** A corrupt bundle met on upload is withdrawn as a corrupt bundle read is (cache/withdraw.ts). */
  #withdraw(digest: string, err: unknown): Promise<void> {
    const { index, store, logger, hot, onEnqueued, now } = this.#deps
    return withdrawCorrupt(
      {
        index,
        store,
        logger,
        evict: (d) => hot?.delete(d),
        now,
        ...(onEnqueued ? { onEnqueued } : {}),
      },
      digest,
      err,
    )
  }

  #failed(version: VersionRow, err: unknown): void {
    const { index, config, metrics, logger } = this.#deps
    const publish = config.ociPublish
    const key = publish.target.key
    const attempts = (index.publish.state(version.id, key)?.attempts ?? 0) + 1
    const wait = Math.min(publish.retryBaseMs * 2 ** (attempts - 1), publish.retryMaxMs)
    const nextAt = this.#now() + wait
    const code = codeOf(err)
    index.publish.markFailed(version.id, key, code, nextAt)
    this.#dueAt = Math.min(this.#dueAt, nextAt)
    metrics?.ociPublishes.inc({ outcome: 'failed' })
    // AppError messages here name the registry, method, path and status: never a credential.
    const message = err instanceof AppError ? err.message : undefined
    if (!(err instanceof AppError)) logger.error({ err }, 'publishing a version failed')
    logger.warn(
      { template: version.template, digest: version.digest, code, message, attempts, nextAt },
      'publishing a version failed; it will be tried again',
    )
  }

  /** Points every tag /v2 serves for `template` at its index, where it points elsewhere. */
  async #pushTags(
    session: PushSession,
    template: TemplateRow,
    repository: string,
    { present, blocked }: { present: Set<string>; blocked: Set<string> },
    report: PublishReport,
  ) {
    const { index, config, metrics, logger } = this.#deps
    const key = config.ociPublish.target.key
    const view = this.#views.get(template.name)
    if (!view) return
    const pushed = index.publish.tags(key, template.name)
    for (const [tag, image] of view.tags) {
      if (pushed.get(tag) === image.index.digest || this.#abort.signal.aborted) continue
      if (blocked.has(image.index.digest)) continue
      try {
        // A tag may name an image no recent version holds (a pin to an old version).
        if (!present.has(image.index.digest)) {
          await this.#push(session, repository, template, image)
          present.add(image.index.digest)
        }
        await pushTag(session, repository, tag, image)
        index.publish.setTag(key, template.name, tag, image.index.digest, this.#now())
        report.tagsPushed++
        metrics?.ociTagPushes.inc({ outcome: 'pushed' })
      } catch (err) {
        if (this.#abort.signal.aborted) return
        if (err instanceof IntegrityError) await this.#withdraw(image.layer.digest, err)
        report.tagsFailed++
        metrics?.ociTagPushes.inc({ outcome: 'failed' })
        this.#dueAt = Math.min(this.#dueAt, this.#now() + config.ociPublish.retryBaseMs)
        logger.warn(
          {
            template: template.name,
            tag,
            code: codeOf(err),
            message: err instanceof AppError ? err.message : undefined,
          },
          'pointing a tag failed; it will be tried again',
        )
      }
    }
  }
}
