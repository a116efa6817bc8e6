// Ed25519 keys of attestations (docs/attestations.md#keys): the service's signing key
// (ASSET_CACHE_SIGNING_KEY, a PEM file or the PEM itself) and the public keys a client trusts.
// A key is named by its keyid: `sha256:` and the lowercase hex SHA-256 of its DER
// SubjectPublicKeyInfo, the same for the private key and its public half, computable with
// `openssl pkey -pubin -in key.pub -outform DER | sha256sum`.
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { AppError } from '../errors.js'

/** The largest key file read: an ed25519 PEM is about 120 bytes. */
const MAX_KEY_FILE = 64 * 1024

export interface SigningKey {
  privateKey: KeyObject
  publicKey: KeyObject
  keyid: string
}

export interface TrustedKey {
  publicKey: KeyObject
  keyid: string
  /** Where it came from (a file name), for messages. */
  source: string
}

/** `sha256:<hex>` of the DER SubjectPublicKeyInfo of `publicKey`. */
export function keyidOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' })
  return `sha256:${createHash('sha256').update(der).digest('hex')}`
}

const isPem = (text: string) => text.trimStart().startsWith('-----BEGIN ')

function readKeyText(
  pathOrPem: string,
  code: 'CONFIG_INVALID' | 'TRUSTED_KEY_INVALID',
  where: string,
) {
  if (isPem(pathOrPem)) return pathOrPem
  let bytes: Buffer
  try {
    bytes = readFileSync(pathOrPem)
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable'
    throw new AppError(code, `${where}: cannot read ${pathOrPem}: ${reason}`, { file: pathOrPem })
  }
  if (bytes.length > MAX_KEY_FILE) {
    throw new AppError(code, `${where}: ${pathOrPem} is not a PEM key (too large)`, {
      file: pathOrPem,
    })
  }
  return bytes.toString('utf8')
}

/**
 * The signing key of ASSET_CACHE_SIGNING_KEY: a path to a PEM file, or PEM text (starting with
 * `-----BEGIN `). Anything but an unencrypted ed25519 private key is CONFIG_INVALID; the message
 * never quotes the key.
 */
export function loadSigningKey(pathOrPem: string): SigningKey {
  const where = 'environment: ASSET_CACHE_SIGNING_KEY'
  const text = readKeyText(pathOrPem, 'CONFIG_INVALID', where)
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey({ key: text, format: 'pem' })
  } catch {
    throw new AppError(
      'CONFIG_INVALID',
      `${where}: not an unencrypted PEM private key; make one with \`openssl genpkey -algorithm ed25519 -out signing.pem\``,
    )
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new AppError(
      'CONFIG_INVALID',
      `${where}: expected an ed25519 key, got ${privateKey.asymmetricKeyType ?? 'another kind'}`,
    )
  }
  const publicKey = createPublicKey(privateKey)
  return { privateKey, publicKey, keyid: keyidOf(publicKey) }
}

/**
 * A trusted public key from a PEM file (or PEM text). Anything but an ed25519 public key is
 * TRUSTED_KEY_INVALID: a private key is refused too, so a signing key is never copied to machines
 * by mistake.
 */
export function loadTrustedKey(pathOrPem: string): TrustedKey {
  const source = isPem(pathOrPem) ? '(inline PEM)' : pathOrPem
  const where = `trusted key ${source}`
  const text = readKeyText(pathOrPem, 'TRUSTED_KEY_INVALID', 'trusted key')
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new AppError(
      'TRUSTED_KEY_INVALID',
      `${where}: is a private key; trust the public key (\`openssl pkey -in signing.pem -pubout\`)`,
      { file: source },
    )
  }
  let publicKey: KeyObject
  try {
    publicKey = createPublicKey({ key: text, format: 'pem' })
  } catch {
    throw new AppError('TRUSTED_KEY_INVALID', `${where}: not a PEM public key`, { file: source })
  }
  if (publicKey.asymmetricKeyType !== 'ed25519') {
    throw new AppError('TRUSTED_KEY_INVALID', `${where}: expected an ed25519 public key`, {
      file: source,
    })
  }
  return { publicKey, keyid: keyidOf(publicKey), source }
}

/**
 * ASSET_CACHE_TRUSTED_KEYS: comma-separated public key files (empty entries ignored). Unset or
 * empty: none. Set to something that names no file (` , `) is TRUSTED_KEY_INVALID: verification
 * was asked for, and must not quietly turn off.
 */
export function trustedKeyFiles(text: string | undefined): string[] {
  if (!text) return []
  const files = text
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean)
  if (files.length === 0) {
    throw new AppError('TRUSTED_KEY_INVALID', 'ASSET_CACHE_TRUSTED_KEYS names no key file')
  }
  return files
}
