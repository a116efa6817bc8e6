// Ed25519 key pairs made by openssl, as an operator makes them, in a temp directory.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface KeyFiles {
  dir: string
  /** The private key (PEM file). */
  key: string
  /** Its public key (PEM file). */
  pub: string
}

/** A fresh ed25519 key pair: `<name>.pem` and `<name>.pub` in `dir` (a new temp dir by default). */
export function opensslKeyPair(name = 'signing', dir = mkdtempSync(join(tmpdir(), 'ac-keys-'))) {
  const key = join(dir, `${name}.pem`)
  const pub = join(dir, `${name}.pub`)
  execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', key])
  execFileSync('openssl', ['pkey', '-in', key, '-pubout', '-out', pub])
  return { dir, key, pub } satisfies KeyFiles
}

/** Writes `bytes` to `name` in `dir` and returns its path. */
export function writeIn(dir: string, name: string, bytes: Buffer | string): string {
  const path = join(dir, name)
  writeFileSync(path, bytes)
  return path
}
