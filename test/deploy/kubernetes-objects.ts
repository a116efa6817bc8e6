// The objects of deploy/kubernetes, typed as far as the deploy tests read them.
import { filesUnder, readYaml } from './files.js'

export interface Probe {
  httpGet?: { path?: string; port?: string | number }
}
export interface Container {
  name: string
  args?: string[]
  ports?: { name?: string; containerPort: number }[]
  env?: {
    name: string
    value?: string
    valueFrom?: {
      secretKeyRef?: { name: string; key: string }
      configMapKeyRef?: { name: string; key: string }
    }
  }[]
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string }; prefix?: string }[]
  volumeMounts?: { name: string; mountPath: string }[]
  livenessProbe?: Probe
  readinessProbe?: Probe
  startupProbe?: Probe
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> }
  securityContext?: {
    runAsNonRoot?: boolean
    readOnlyRootFilesystem?: boolean
    allowPrivilegeEscalation?: boolean
    capabilities?: { drop?: string[] }
  }
}
export interface K8sObject {
  apiVersion?: string
  kind?: string
  metadata?: { name?: string; labels?: Record<string, string> }
  spec?: {
    replicas?: number
    serviceName?: string
    clusterIP?: string
    publishNotReadyAddresses?: boolean
    minAvailable?: number | string
    maxUnavailable?: number | string
    /** `{matchLabels}` for a StatefulSet or PDB; the labels themselves for a Service. */
    selector?: Record<string, unknown>
    ports?: { port: number; targetPort?: string | number }[]
    template?: {
      metadata?: { labels?: Record<string, string> }
      spec?: {
        terminationGracePeriodSeconds?: number
        affinity?: {
          podAntiAffinity?: {
            requiredDuringSchedulingIgnoredDuringExecution?: {
              topologyKey?: string
              labelSelector?: { matchLabels?: Record<string, string> }
            }[]
          }
        }
        securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; fsGroup?: number }
        containers?: Container[]
        volumes?: { name: string; configMap?: { name: string } }[]
      }
    }
    volumeClaimTemplates?: { metadata?: { name?: string } }[]
  }
  data?: Record<string, string>
  stringData?: Record<string, string>
}

export const DIR = 'deploy/kubernetes'

/** Every object of every manifest in DIR (the kustomization aside), parsed afresh. */
export const load = (): K8sObject[] =>
  filesUnder(DIR)
    .filter((f) => /\.ya?ml$/.test(f) && !f.endsWith('kustomization.yaml'))
    .flatMap((f) => readYaml(f) as K8sObject[])

export const kind = (o: K8sObject[], k: string) => o.find((x) => x.kind === k)!
export const named = (o: K8sObject[], k: string, name: string) =>
  o.find((x) => x.kind === k && x.metadata?.name === name)!
export const sts = (o: K8sObject[]) => kind(o, 'StatefulSet')
export const container = (o: K8sObject[]) => sts(o).spec!.template!.spec!.containers![0]!
