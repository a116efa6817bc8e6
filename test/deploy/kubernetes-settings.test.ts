// deploy/kubernetes: what an operator must change is where kustomization.yaml says. Every variable
// the container gets comes from a ConfigMap or the Secret, except the few the pod's own shape
// fixes; secrets come only from the Secret; site placeholders (example.com, REPLACE_*) appear
// only in the files the kustomization's instructions name.
import { describe, expect, it } from 'vitest'
import { ENV_VARS } from '../../src/config.js'
import { filesUnder, read } from './files.js'
import { container, DIR, type K8sObject, load, named } from './kubernetes-objects.js'

/** Set in statefulset.yaml because its volumes, port, mounts and headless Service fix them. */
const POD_SHAPE = [
  'ASSET_CACHE_DATA_DIR',
  'ASSET_CACHE_HOST',
  'ASSET_CACHE_PORT',
  'ASSET_CACHE_TEMPLATES',
  'ASSET_CACHE_PEERS',
]
const SECRET = /TOKEN|SECRET|PASSWORD|_KEY$/

function envProblems(objects: K8sObject[]): string[] {
  const out: string[] = []
  const c = container(objects)
  const find = (kind: string, name: string | undefined) =>
    objects.find((o) => o.kind === kind && o.metadata?.name === name)
  const fromConfigMaps = new Set<string>()
  for (const source of c.envFrom ?? []) {
    if (source.prefix) out.push(`envFrom with prefix ${source.prefix}`)
    const name = source.configMapRef?.name
    const map = find('ConfigMap', name)
    if (!map) {
      out.push(`envFrom: no ConfigMap ${name ?? JSON.stringify(source)}`)
      continue
    }
    for (const key of Object.keys(map.data ?? {})) {
      if (!ENV_VARS.includes(key)) out.push(`ConfigMap ${name}: ${key} is not a variable`)
      if (SECRET.test(key)) out.push(`ConfigMap ${name}: ${key} belongs in the Secret`)
      if (POD_SHAPE.includes(key)) out.push(`ConfigMap ${name}: ${key} is fixed by the pod`)
      fromConfigMaps.add(key)
    }
  }
  for (const e of c.env ?? []) {
    const secretRef = e.valueFrom?.secretKeyRef
    const mapRef = e.valueFrom?.configMapKeyRef
    if (e.value !== undefined) {
      if (!POD_SHAPE.includes(e.name)) out.push(`${e.name}=${e.value} is set in statefulset.yaml`)
    } else if (mapRef) {
      if (!(mapRef.key in (find('ConfigMap', mapRef.name)?.data ?? {}))) {
        out.push(`${e.name}: no ConfigMap ${mapRef.name} key ${mapRef.key}`)
      }
      fromConfigMaps.add(e.name)
    } else if (!secretRef) {
      out.push(`${e.name}: neither a value nor a ConfigMap or Secret key`)
    }
    if (SECRET.test(e.name) && !secretRef) out.push(`${e.name} does not come from the Secret`)
  }
  if (!fromConfigMaps.has('GITEA_BASE_URL')) out.push('GITEA_BASE_URL comes from no ConfigMap')
  return out
}

/** The files the kustomization's opening comment tells an operator to edit. */
function filesToEdit(kustomization: string): string[] {
  const comment = kustomization
    .split('\n')
    .filter((l) => l.startsWith('#'))
    .join('\n')
  const files = [...comment.matchAll(/\b([\w-]+\.yaml)\b/g)].map((m) => m[1]!)
  if (comment.includes('`images:`')) files.push('kustomization.yaml')
  return files
}

const PLACEHOLDER = /example\.com|REPLACE_/

/** Files under DIR with a placeholder outside a comment that the instructions do not name. */
function placeholderProblems(texts: Record<string, string>, edit: string[]): string[] {
  const out: string[] = []
  for (const [file, text] of Object.entries(texts)) {
    const lines = text.split('\n').filter((l) => !l.trim().startsWith('#'))
    const hits = lines.filter((l) => PLACEHOLDER.test(l))
    if (hits.length > 0 && !edit.includes(file)) {
      out.push(`${file} holds ${hits[0]!.trim()} but the instructions do not name it`)
    }
  }
  for (const file of edit) if (!(file in texts)) out.push(`the instructions name ${file}`)
  return out
}

const texts = () =>
  Object.fromEntries(filesUnder(DIR).map((f) => [f.slice(DIR.length + 1), read(f)]))

describe('kubernetes settings', () => {
  it('every variable comes from a ConfigMap or the Secret, but what the pod fixes', () => {
    expect(envProblems(load())).toEqual([])
  })

  it('the env check catches each broken rule', () => {
    const breakages: ((objects: K8sObject[]) => void)[] = [
      (o) => container(o).env!.push({ name: 'GITEA_BASE_URL', value: 'https://git.example.com' }),
      (o) => container(o).env!.push({ name: 'ASSET_CACHE_LOG_LEVEL', value: 'debug' }),
      (o) => delete container(o).envFrom,
      (o) => (container(o).envFrom![0]!.configMapRef!.name = 'asset-cache-config'),
      (o) => (settings(o).GITEA_TOKEN = 'x'),
      (o) => (settings(o).ASSET_CACHE_PORT = '9090'),
      (o) => (settings(o).ASSET_CACHE_LOGLEVEL = 'info'),
      (o) => {
        const token = container(o).env!.find((e) => e.name === 'GITEA_TOKEN')!
        token.valueFrom = {
          configMapKeyRef: { name: 'asset-cache-settings', key: 'GITEA_BASE_URL' },
        }
      },
      (o) =>
        container(o).env!.push({
          name: 'ASSET_CACHE_GC_INTERVAL',
          valueFrom: { configMapKeyRef: { name: 'asset-cache-settings', key: 'GC' } },
        }),
    ]
    for (const [i, breakIt] of breakages.entries()) {
      const objects = load()
      breakIt(objects)
      expect(envProblems(objects), `breakage ${i}`).not.toEqual([])
    }
  })

  it('kustomization.yaml names every file that holds a placeholder to replace', () => {
    const files = texts()
    const edit = filesToEdit(files['kustomization.yaml']!)
    expect(edit).toEqual(expect.arrayContaining(['configmap.yaml', 'secret.yaml']))
    expect(placeholderProblems(files, edit)).toEqual([])
  })

  it('the placeholder check catches a site value outside the named files', () => {
    const files = texts()
    const edit = filesToEdit(files['kustomization.yaml']!)
    const withUrl = {
      ...files,
      'statefulset.yaml': files['statefulset.yaml']!.replace(
        '          env:\n',
        '          env:\n            - name: GITEA_BASE_URL\n              value: https://git.example.com\n',
      ),
    }
    expect(withUrl['statefulset.yaml']).toContain('git.example.com')
    expect(placeholderProblems(withUrl, edit)).not.toEqual([])
    const old =
      '# kubectl apply -k deploy/kubernetes  (edit secret.yaml and configmap.yaml first)\n'
    expect(placeholderProblems(files, filesToEdit(old))).not.toEqual([])
    expect(placeholderProblems(files, [...edit, 'values.yaml'])).not.toEqual([])
  })
})

const settings = (o: K8sObject[]) => {
  const map = named(o, 'ConfigMap', 'asset-cache-settings')
  map.data ??= {}
  return map.data
}
