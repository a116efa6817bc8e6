// GET /api/v1/repos/{owner}/{repo}/branches/{branch}: Gitea's structs.Branch, or its 404.
import { readCommit, resolveCommit } from './commits.js'
import type { RouteContext } from './context.js'
import { bodyShape, notFoundBody, sendJson } from './respond.js'
import { toBranch } from './shapes.js'

export async function serveBranch(ctx: RouteContext, branch: string): Promise<void> {
  const { repo } = ctx.served
  ctx.counters.branchLookups++
  const send = (status: number, body: unknown) =>
    sendJson(ctx.res, status, body, {
      shape: bodyShape(ctx.fault),
      signal: ctx.signal,
      onBytes: ctx.onBytes,
    })

  // Branch names are case-sensitive in git and in Gitea; only refs/heads counts.
  const head = branch.startsWith('-') ? null : await resolveCommit(repo.dir, `refs/heads/${branch}`)
  if (head === null) {
    ctx.counters.notFound++
    // git.ErrBranchNotExist.Error()
    await send(404, notFoundBody(ctx.baseUrl, [`branch does not exist [name: ${branch}]`]))
    return
  }
  let reported = head
  if (ctx.fault?.kind === 'wrongCommit') {
    reported = ctx.fault.commit ?? (await readCommit(repo.dir, head)).parents[0] ?? head
  }
  await send(200, await toBranch(repo, branch, reported))
}
