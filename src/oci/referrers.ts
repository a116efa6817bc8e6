// Attestations as OCI referrers (OCI Image Spec v1.1 artifacts, Distribution Spec v1.1 referrers
// API; docs/oci.md#attestations): for every signed version, one artifact manifest per image
// document that carries the bundle (the image index and each platform manifest), whose
// `subject` is that document and whose one layer is the DSSE envelope. artifactType is the
// in-toto media type; the layer's media type is the DSSE envelope's; the config is the empty
// descriptor the spec prescribes for artifacts without one. Canonical JSON throughout: the same
// envelope and image give the same digests on every replica.
import { canonicalBytes, type Json } from './canonical-json.js'
import { type Blob, blob, descriptor, type Image, MEDIA_TYPES } from './image.js'

export const ATTESTATION_ARTIFACT_TYPE = 'application/vnd.in-toto+json'
export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json'
export const EMPTY_MEDIA_TYPE = 'application/vnd.oci.empty.v1+json'
export const REFERRER_ANNOTATIONS = {
  keyid: 'dev.asset-cache.attestation.keyid',
  predicateType: 'in-toto.io/predicate-type',
} as const

/** `{}`: the empty config of an artifact (digest sha256:44136fa3…). */
export const EMPTY_CONFIG: Blob = blob(EMPTY_MEDIA_TYPE, {})

/** The envelope JSON text as a blob of canonical bytes. */
export function envelopeBlob(envelope: string): Blob {
  return blob(DSSE_MEDIA_TYPE, JSON.parse(envelope) as Json)
}

export interface Referrer {
  manifest: Blob
  /** The manifest's annotations, repeated in its referrers descriptor. */
  annotations: Record<string, string>
}

/** The artifact manifest attaching `envelope` (signed by `keyid`) to `subject`. */
export function attestationReferrer(
  subject: Blob,
  envelope: Blob,
  keyid: string,
  predicateType: string,
): Referrer {
  const annotations = {
    [REFERRER_ANNOTATIONS.keyid]: keyid,
    [REFERRER_ANNOTATIONS.predicateType]: predicateType,
  }
  const manifest = blob(MEDIA_TYPES.manifest, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    artifactType: ATTESTATION_ARTIFACT_TYPE,
    config: descriptor(EMPTY_CONFIG),
    layers: [descriptor(envelope)],
    subject: descriptor(subject),
    annotations,
  })
  return { manifest, annotations }
}

/** One referrer of an image: the document it refers to and the envelope it carries. */
export interface ImageReferrer {
  subject: Blob
  envelope: Blob
  referrer: Referrer
}

/**
 * The referrers of `image` for its envelopes (`signed`): one per envelope and subject, the
 * subjects being the image index and each platform manifest.
 */
export function imageReferrers(
  image: Image,
  signed: readonly { envelope: string; keyid: string }[],
  predicateType: string,
): ImageReferrer[] {
  const subjects = [image.index, ...image.manifests.map((m) => m.manifest)]
  return signed.flatMap((row) => {
    const envelope = envelopeBlob(row.envelope)
    return subjects.map((subject) => ({
      subject,
      envelope,
      referrer: attestationReferrer(subject, envelope, row.keyid, predicateType),
    }))
  })
}

/** A referrer's descriptor in a referrers list: its artifactType and annotations repeated. */
export function referrerDescriptor(r: Referrer): { [key: string]: Json } {
  return {
    ...descriptor(r.manifest),
    artifactType: ATTESTATION_ARTIFACT_TYPE,
    annotations: r.annotations,
  }
}

/** The referrers answer: an image index of `referrers`, by digest, filtered by artifactType. */
export function referrersIndex(referrers: readonly Referrer[], artifactType?: string): Buffer {
  const manifests = referrers
    .filter(() => artifactType === undefined || artifactType === ATTESTATION_ARTIFACT_TYPE)
    .sort((a, b) => (a.manifest.digest < b.manifest.digest ? -1 : 1))
    .map(referrerDescriptor)
  return canonicalBytes({ schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests })
}
