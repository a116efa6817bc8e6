import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { AppError } from '../errors.js'

export const DEFAULT_ALLOW = ['config.yaml', 'prompts/**', 'agent-skills/**']
export const DEFAULT_REQUIRE = ['config.yaml']

export interface TemplateSpec {
  name: string
  /** `owner/name` as configured; webhook matching is case-insensitive on it. */
  repo: string
  ref: string
  allow: string[]
  require: string[]
  /**
   * `pin:` — what every replica serves for this template whatever the branch does: a bundle
   * digest (`sha256:<hex>`) or a commit id (fetched instead of the branch head). Absent: none.
   */
  pin?: string | undefined
}

export const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,127}$/

/** A valid template name (as the manifest requires: lowercase letters, digits, . _ -). */
export const isTemplateName = (name: string): boolean => NAME_RE.test(name)
const REPO_RE = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/
// git check-ref-format, the subset that matters for a branch name in a URL path.
const REF_RE = /^(?!\/|.*(?:\/\/|\.\.|@\{|\/$|\.lock$|\.$))[^\s~^:?*[\\\x00-\x1f\x7f]{1,255}$/

// A bundle digest, or a commit id (SHA-1 or SHA-256 object format).
const PIN_RE = /^(?:sha256:[0-9a-f]{64}|[0-9a-f]{40}|[0-9a-f]{64})$/

const globList = z.array(z.string().min(1).max(256)).max(64)

// Unknown keys are ignored: a fleet's existing manifest may carry fields of its own.
const templateSchema = z.object({
  name: z.string().regex(NAME_RE, 'expected lowercase letters, digits, ".", "_" or "-"'),
  repo: z.string().regex(REPO_RE, 'expected "owner/name"'),
  ref: z.string().regex(REF_RE, 'expected a branch name').default('main'),
  allow: globList.default(DEFAULT_ALLOW),
  require: z.array(z.string().min(1).max(1024)).max(64).default(DEFAULT_REQUIRE),
  pin: z
    .string()
    .regex(
      PIN_RE,
      'expected sha256: and 64 lowercase hex digits, or a commit id (40 or 64 lowercase hex digits)',
    )
    .optional(),
})

export const manifestSchema = z
  .object({ workspace_templates: z.array(templateSchema) })
  .superRefine((manifest, ctx) => {
    const seen = new Set<string>()
    manifest.workspace_templates.forEach((t, i) => {
      if (seen.has(t.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['workspace_templates', i, 'name'],
          message: `duplicate template name "${t.name}"`,
        })
      }
      seen.add(t.name)
    })
  })

export function issuesText(error: z.ZodError, where: string): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.reduce<string>(
        (acc, key) =>
          typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key),
        '',
      )
      return `${where}: ${path || '(root)'}: ${issue.message}`
    })
    .join('\n')
}

/** Parses a templates manifest (JSON, or YAML of the same shape). `file` names it in errors. */
export function parseManifest(text: string, file: string): TemplateSpec[] {
  let data: unknown
  try {
    data = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 })
  } catch (err) {
    throw new AppError(
      'CONFIG_INVALID',
      `${file}: not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
      { file },
    )
  }
  const result = manifestSchema.safeParse(data)
  if (!result.success) {
    throw new AppError('CONFIG_INVALID', issuesText(result.error, file), { file })
  }
  return result.data.workspace_templates
}
