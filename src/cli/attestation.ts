// `asset-cache attestation sign|verify` (docs/attestations.md#commands).
//
// sign [TEMPLATE] [--all]: signs, with ASSET_CACHE_SIGNING_KEY, every ready version (of TEMPLATE,
// or of all templates) that has no attestation by that key yet — versions ingested before the key
// existed, or before a rotation. Idempotent: a second run signs nothing. Exit 0; 2 without a key.
//
// verify FILE|DIGEST --trust KEY.pub [--template T] [--attestation FILE]: checks a bundle file
// (its digest computed here) or a digest against envelopes from --attestation or, without it,
// from the server. Exit 0 verified, 1 refused (ATTESTATION_*) or the server failed, 2 usage.
import { readFile } from 'node:fs/promises'
import { signVersion } from '../attest/sign.js'
import { type Verified, verifyAttestations } from '../attest/verify.js'
import { fetchAttestations } from '../client/attestations.js'
import { endpoint } from '../client/http.js'
import { digestOf, isDigest } from '../digest.js'
import { AppError } from '../errors.js'
import type { Runtime } from '../runtime.js'
import { hashFile } from '../store/fs-util.js'
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit.js'
import { printable, printableJson } from './format.js'
import { clientEnv, failureLine, trustedKeys } from './pull-report.js'

export interface SignCliOptions {
  all?: boolean
  json?: boolean
}

export function attestationSignCommand(
  rt: Runtime,
  template: string | undefined,
  opts: SignCliOptions,
): number {
  if ((template === undefined) === !opts.all) {
    throw new AppError('INVALID_ARGUMENT', 'name one TEMPLATE, or pass --all (not both)')
  }
  const key = rt.config.signingKey
  if (!key) {
    throw new AppError(
      'SIGNING_OFF',
      'ASSET_CACHE_SIGNING_KEY is not set: there is no key to sign with',
    )
  }
  if (template !== undefined && !rt.index.templates.get(template)) {
    throw new AppError('UNKNOWN_TEMPLATE', `no template named ${JSON.stringify(template)}`)
  }
  const pending = rt.index.attestations.unsigned(key.keyid, template)
  const signed: { template: string; versionId: number }[] = []
  for (const v of pending) {
    if (signVersion(rt.index, key, v.versionId, rt.now()) === 'signed') signed.push(v)
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ keyid: key.keyid, signed })}\n`)
  } else {
    for (const v of signed)
      process.stdout.write(`signed ${printable(v.template)} version ${v.versionId}\n`)
    process.stderr.write(
      `${signed.length} version${signed.length === 1 ? '' : 's'} signed with ${key.keyid}\n`,
    )
  }
  return EXIT_OK
}

export interface VerifyCliOptions {
  trust?: string[]
  template?: string
  attestation?: string
  server?: string
  token?: string
}

async function readEnvelopes(file: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new AppError(
      'INPUT_UNREADABLE',
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`,
    )
  }
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new AppError('ATTESTATION_MALFORMED', `${file} is not JSON`)
  }
}

const USAGE = new Set(['INVALID_ARGUMENT', 'INPUT_UNREADABLE', 'INVALID_SERVER_URL'])

export async function attestationVerifyCommand(
  target: string,
  opts: VerifyCliOptions,
): Promise<number> {
  const keys = trustedKeys('attestation verify', opts.trust)
  if (keys === null) return EXIT_USAGE
  if (keys.length === 0) {
    process.stderr.write(
      'asset-cache attestation verify: no trusted key: pass --trust KEY.pub or set ASSET_CACHE_TRUSTED_KEYS\n',
    )
    return EXIT_USAGE
  }
  let verified: Verified
  let digest: string
  try {
    if (isDigest(target)) {
      digest = target
    } else {
      try {
        digest = digestOf((await hashFile(target)).hex)
      } catch (err) {
        throw new AppError(
          'INPUT_UNREADABLE',
          `cannot read ${target}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`,
        )
      }
    }
    let envelopes: unknown
    if (opts.attestation !== undefined) {
      envelopes = await readEnvelopes(opts.attestation)
    } else {
      const env = clientEnv()
      const server = opts.server ?? env.server
      if (!server) {
        throw new AppError(
          'INVALID_ARGUMENT',
          'no attestation: pass --attestation FILE, or --server (or ASSET_CACHE_SERVER) to fetch it',
        )
      }
      endpoint(server, '/')
      const token = opts.token ?? env.token
      envelopes = await fetchAttestations(server, digest, { token }, opts.template ?? null)
    }
    verified = verifyAttestations(envelopes, { keys, digest, template: opts.template ?? null })
  } catch (err) {
    process.stderr.write(`asset-cache attestation verify: ${failureLine(err)}\n`)
    const code = (err as { code?: unknown }).code
    return typeof code === 'string' && USAGE.has(code) ? EXIT_USAGE : EXIT_FAILED
  }
  const p = verified.predicate
  process.stdout.write(
    `verified ${digest}: template ${printableJson(p.template)}, commit ${printable(p.commit ?? '-')}, rules ${p.rulesVersion}, signed by ${verified.keyid} (${printable(verified.keySource)})\n`,
  )
  return EXIT_OK
}
