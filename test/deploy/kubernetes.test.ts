// deploy/kubernetes: well-formed objects that fit together (selectors, ports, secrets, the
// manifest), a StatefulSet with its data volume, probes, limits and a locked-down container.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseManifest } from '../../src/config.js'
import { filesUnder, ROOT, readYaml } from './files.js'
import {
  type Container,
  container,
  DIR,
  type K8sObject,
  kind,
  load,
  named,
  type Probe,
  sts,
} from './kubernetes-objects.js'

const subsetOf = (a: unknown, b: Record<string, string> = {}) =>
  typeof a === 'object' &&
  a !== null &&
  Object.keys(a).length > 0 &&
  Object.entries(a).every(([k, v]) => b[k] === v)

const envOf = (c: Container, name: string) => c.env?.find((e) => e.name === name)?.value

/** The problems of a set of objects; empty when they fit together. */
function problems(objects: K8sObject[]): string[] {
  const out: string[] = []
  for (const o of objects) {
    if (!o.apiVersion || !o.kind || !o.metadata?.name) {
      out.push(`object without apiVersion, kind or metadata.name: ${JSON.stringify(o)}`)
    }
  }
  const of = (kind: string) => objects.filter((o) => o.kind === kind)
  const sets = of('StatefulSet')
  if (sets.length !== 1) return [...out, `${sets.length} StatefulSets`]
  const sts = sets[0]!
  const spec = sts.spec!
  const pod = spec.template?.spec ?? {}
  const podLabels = spec.template?.metadata?.labels
  const c = pod.containers?.[0]
  if (!c) return [...out, 'no container']

  // Replicas: three, one per node, peers through the governing headless Service.
  if (spec.replicas !== 3) out.push(`replicas ${spec.replicas}`)
  const spread = pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []
  if (
    !spread.some(
      (t) =>
        t.topologyKey === 'kubernetes.io/hostname' &&
        subsetOf(t.labelSelector?.matchLabels, podLabels),
    )
  ) {
    out.push('no pod anti-affinity on kubernetes.io/hostname')
  }
  if (!subsetOf(spec.selector?.matchLabels, podLabels)) out.push('StatefulSet selector')

  // The data volume: a claim template mounted where ASSET_CACHE_DATA_DIR points.
  const claims = (spec.volumeClaimTemplates ?? []).map((t) => t.metadata?.name)
  const dataDir = envOf(c, 'ASSET_CACHE_DATA_DIR') ?? '/data'
  const dataMount = c.volumeMounts?.find((m) => claims.includes(m.name))
  if (dataMount?.mountPath !== dataDir) {
    out.push(`no volumeClaimTemplate mounted at ${dataDir} (got ${dataMount?.mountPath})`)
  }

  // Probes on the port the service listens on.
  const listenPort = Number(envOf(c, 'ASSET_CACHE_PORT') ?? 8080)
  const portOf = (p: string | number | undefined) =>
    typeof p === 'number' ? p : c.ports?.find((cp) => cp.name === p)?.containerPort
  const probes: [string, Probe | undefined, string][] = [
    ['livenessProbe', c.livenessProbe, '/healthz'],
    // Serving capacity only: one unready template must not take the others out of rotation.
    ['readinessProbe', c.readinessProbe, '/readyz?exclude=templates,fetching'],
    ['startupProbe', c.startupProbe, '/healthz'],
  ]
  for (const [name, probe, path] of probes) {
    if (probe?.httpGet?.path !== path) out.push(`${name} path ${probe?.httpGet?.path}`)
    if (portOf(probe?.httpGet?.port) !== listenPort) out.push(`${name} port`)
  }
  if (!c.ports?.some((p) => p.containerPort === listenPort)) out.push('containerPort')

  if (!c.resources?.limits?.memory || !c.resources?.requests?.memory) out.push('resources')
  const grace = pod.terminationGracePeriodSeconds ?? 30
  if (grace <= 10) out.push(`terminationGracePeriodSeconds ${grace} (the drain takes 10 s)`)

  const sc = c.securityContext ?? {}
  if (!(pod.securityContext?.runAsNonRoot || sc.runAsNonRoot)) out.push('runAsNonRoot')
  if (pod.securityContext?.runAsUser === 0) out.push('runAsUser 0')
  if (pod.securityContext?.fsGroup === undefined) out.push('fsGroup')
  if (sc.readOnlyRootFilesystem !== true) out.push('readOnlyRootFilesystem')
  if (sc.allowPrivilegeEscalation !== false) out.push('allowPrivilegeEscalation')
  if (!sc.capabilities?.drop?.includes('ALL')) out.push('capabilities not dropped')

  // Services and the PodDisruptionBudget select the pod.
  const services = of('Service')
  if (services.length === 0) out.push('no Service')
  for (const svc of services) {
    if (!subsetOf(svc.spec?.selector, podLabels)) {
      out.push(`Service ${svc.metadata?.name} selector`)
    }
    for (const p of svc.spec?.ports ?? []) {
      if (portOf(p.targetPort ?? p.port) !== listenPort)
        out.push(`Service ${svc.metadata?.name} port`)
    }
  }
  const governing = services.find((s) => s.metadata?.name === spec.serviceName)
  if (governing?.spec?.clusterIP !== 'None') out.push('serviceName is not a headless Service')
  if (governing?.spec?.publishNotReadyAddresses !== true) {
    out.push('the headless Service hides starting peers')
  }
  if (envOf(c, 'ASSET_CACHE_PEERS') !== `${spec.serviceName}:${listenPort}`) {
    out.push(`ASSET_CACHE_PEERS ${envOf(c, 'ASSET_CACHE_PEERS')} is not the headless Service`)
  }
  const pdbs = of('PodDisruptionBudget')
  if (pdbs.length === 0) out.push('no PodDisruptionBudget')
  for (const pdb of pdbs) {
    if (!subsetOf(pdb.spec?.selector?.matchLabels, podLabels)) out.push('PDB selector')
    // At most one replica down by choice: two keep serving.
    const min = pdb.spec?.minAvailable
    const max = pdb.spec?.maxUnavailable
    if (!(min === (spec.replicas ?? 1) - 1 || (min === undefined && max === 1))) {
      out.push(`PDB minAvailable ${min} maxUnavailable ${max}`)
    }
  }

  // Secrets and the manifest the container refers to exist.
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef
    if (!ref) continue
    const secret = of('Secret').find((s) => s.metadata?.name === ref.name)
    if (!secret || !(ref.key in { ...secret.data, ...secret.stringData })) {
      out.push(`${e.name}: no Secret ${ref.name} key ${ref.key}`)
    }
  }
  const templates = envOf(c, 'ASSET_CACHE_TEMPLATES')
  const mount = c.volumeMounts?.find((m) => templates?.startsWith(`${m.mountPath}/`))
  const volume = pod.volumes?.find((v) => v.name === mount?.name)
  const map = of('ConfigMap').find((m) => m.metadata?.name === volume?.configMap?.name)
  const key = templates?.slice((mount?.mountPath.length ?? 0) + 1) ?? ''
  const manifest = map?.data?.[key]
  if (manifest === undefined) out.push(`ASSET_CACHE_TEMPLATES ${templates} is in no ConfigMap`)
  else parseManifest(manifest, key)
  return out
}

describe('kubernetes manifests', () => {
  it('kustomization.yaml lists exactly the manifests of the folder', () => {
    const [k] = readYaml(`${DIR}/kustomization.yaml`) as { resources: string[] }[]
    const files = filesUnder(DIR)
      .filter((f) => /\.ya?ml$/.test(f) && !f.endsWith('kustomization.yaml'))
      .map((f) => f.slice(DIR.length + 1))
    expect([...k!.resources].sort()).toEqual(files)
    for (const r of k!.resources) expect(existsSync(join(ROOT, DIR, r))).toBe(true)
  })

  it('fit together: data volume, probes, limits, non-root, selectors, secrets, manifest', () => {
    expect(problems(load())).toEqual([])
  })

  it('keep secrets as placeholders', () => {
    for (const s of load().filter((o) => o.kind === 'Secret')) {
      expect(s.data).toBeUndefined()
      for (const v of Object.values(s.stringData ?? {})) expect(v).toMatch(/^REPLACE_/)
    }
  })

  it('the check catches each broken rule', () => {
    const breakages: ((objects: K8sObject[]) => void)[] = [
      (o) => delete o[0]!.apiVersion,
      (o) => delete sts(o).spec!.volumeClaimTemplates,
      (o) => (container(o).volumeMounts![0]!.mountPath = '/var/data'),
      (o) => (container(o).readinessProbe!.httpGet!.path = '/healthz'),
      (o) => (container(o).livenessProbe!.httpGet!.port = 9090),
      (o) => (container(o).startupProbe!.httpGet!.port = 'metrics'),
      (o) => delete container(o).resources!.limits,
      (o) => {
        delete sts(o).spec!.template!.spec!.securityContext!.runAsNonRoot
        delete container(o).securityContext!.runAsNonRoot
      },
      (o) => (container(o).securityContext!.readOnlyRootFilesystem = false),
      (o) => (container(o).securityContext!.capabilities = { drop: [] }),
      (o) => (kind(o, 'PodDisruptionBudget').spec!.selector!.matchLabels = { app: 'other' }),
      (o) => (sts(o).spec!.replicas = 1),
      (o) => delete sts(o).spec!.template!.spec!.affinity,
      (o) => (kind(o, 'PodDisruptionBudget').spec!.minAvailable = 3),
      (o) => (named(o, 'Service', 'asset-cache-headless').spec!.publishNotReadyAddresses = false),
      (o) => (container(o).env!.find((e) => e.name === 'ASSET_CACHE_PEERS')!.value = 'x:1'),
      (o) => (kind(o, 'Service').spec!.selector = { app: 'other' }),
      (o) => (container(o).env!.find((e) => e.valueFrom)!.valueFrom!.secretKeyRef!.key = 'nope'),
      (o) =>
        (named(o, 'ConfigMap', 'asset-cache-templates').data = {
          'templates.json': '{"workspace_templates":[{}]}',
        }),
    ]
    for (const [i, breakIt] of breakages.entries()) {
      const objects = load()
      breakIt(objects)
      let found: string[]
      try {
        found = problems(objects)
      } catch (err) {
        found = [(err as Error).message]
      }
      expect(found, `breakage ${i}`).not.toEqual([])
    }
  })
})
