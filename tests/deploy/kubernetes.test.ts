/**
 * The Kubernetes manifests, checked by parsing and, where installed, by `kubectl kustomize`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configWarnings, loadConfig } from '@todo-sso/api';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type Any, DOCUMENTED_ENV, deploy, readYaml } from './support.js';

describe('Kubernetes manifests', () => {
  const k8sDir = join(deploy, 'k8s');
  const kustomization = readYaml(join(k8sDir, 'kustomization.yaml'));
  const docs: Any[] = (kustomization.resources as string[]).flatMap((file) =>
    parseAllDocuments(readFileSync(join(k8sDir, file), 'utf8')).map((d) => d.toJS()),
  );
  const find = (kind: string, name: string) => {
    const doc = docs.find((d) => d.kind === kind && d.metadata.name === name);
    expect(doc, `${kind}/${name}`).toBeDefined();
    return doc;
  };
  const apiDeployment = find('Deployment', 'todo-api');
  const apiContainer = apiDeployment.spec.template.spec.containers[0];
  const podLabels = apiDeployment.spec.template.metadata.labels;
  /** The API container's environment, each value read from its ConfigMap or Secret. */
  const apiEnv = () => {
    const env: Record<string, string> = {};
    for (const e of apiContainer.env) {
      const ref = e.valueFrom?.configMapKeyRef ?? e.valueFrom?.secretKeyRef;
      const source = find(e.valueFrom?.configMapKeyRef ? 'ConfigMap' : 'Secret', ref.name);
      env[e.name] = { ...source.data, ...source.stringData }[ref.key];
    }
    return env;
  };
  const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);

  it('lists every manifest in kustomization.yaml', () => {
    const files = readdirSync(k8sDir).filter(
      (f) => f.endsWith('.yaml') && f !== 'kustomization.yaml',
    );
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    expect(kustomization.namespace).toBe('todo-sso');
    expect(find('Namespace', 'todo-sso')).toBeDefined();
  });

  it('runs at least two API replicas spread over nodes', () => {
    expect(apiDeployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(apiDeployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    const spread = apiDeployment.spec.template.spec.topologySpreadConstraints;
    expect(spread.map((s: Any) => s.topologyKey)).toContain('kubernetes.io/hostname');
    for (const s of spread) expect(matches(s.labelSelector.matchLabels, podLabels)).toBe(true);
  });

  it('probes readiness on /readyz and liveness on /healthz at the API port', () => {
    const port = apiContainer.ports.find((p: Any) => p.name === 'http');
    expect(port.containerPort).toBe(8000);
    expect(apiContainer.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(apiContainer.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(find('ConfigMap', 'todo-api-config').data.PORT).toBe(String(port.containerPort));
  });

  it('sets requests and limits and a non-root, read-only security context', () => {
    expect(apiContainer.resources.requests).toMatchObject({ cpu: expect.any(String) });
    expect(apiContainer.resources.requests.memory).toBeDefined();
    expect(apiContainer.resources.limits.memory).toBeDefined();
    for (const deployment of [apiDeployment, find('Deployment', 'todo-web')]) {
      const pod = deployment.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.volumeMounts.map((m: Any) => m.mountPath)).toContain('/tmp');
      }
    }
  });

  it('targets the API Deployment with the PodDisruptionBudget and the autoscaler', () => {
    const pdb = find('PodDisruptionBudget', 'todo-api');
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(matches(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
    expect(pdb.spec.minAvailable).toBeLessThan(apiDeployment.spec.replicas);
    const hpa = find('HorizontalPodAutoscaler', 'todo-api');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'todo-api',
    });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
  });

  it('references only ConfigMap and Secret keys that exist', () => {
    let refs = 0;
    for (const deployment of docs.filter((d) => d.kind === 'Deployment')) {
      for (const c of deployment.spec.template.spec.containers) {
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.configMapKeyRef ?? e.valueFrom?.secretKeyRef;
          const kind = e.valueFrom?.configMapKeyRef ? 'ConfigMap' : 'Secret';
          if (!ref || ref.optional) continue;
          const source = find(kind, ref.name);
          const keys = { ...source.data, ...source.stringData };
          expect(Object.keys(keys), `${kind}/${ref.name}.${ref.key}`).toContain(ref.key);
          refs++;
        }
      }
    }
    expect(refs).toBeGreaterThanOrEqual(15);
  });

  it('gives the API only documented variables, secrets from the Secret, placeholders only', () => {
    const env: Any[] = apiContainer.env;
    for (const e of env) expect(DOCUMENTED_ENV.has(e.name), e.name).toBe(true);
    for (const name of ['DATABASE_URL', 'OIDC_CLIENT_SECRET']) {
      expect(env.find((e) => e.name === name).valueFrom.secretKeyRef.name).toBe('todo-api-secrets');
    }
    const secret = find('Secret', 'todo-api-secrets');
    for (const value of Object.values<string>(secret.stringData))
      expect(value).toContain('CHANGE_ME');
    const config = find('ConfigMap', 'todo-api-config').data;
    expect(config.OIDC_ISSUER).toMatch(/^https:\/\/.+\/realms\/todo-app$/);
    expect(config.OIDC_AUDIENCE).toBe('todo-api');
  });

  it('routes the Ingress to Services that select the Deployments’ pods over TLS', () => {
    const ingress = find('Ingress', 'todo-sso');
    expect(ingress.spec.tls[0].hosts.sort()).toEqual(
      ingress.spec.rules.map((r: Any) => r.host).sort(),
    );
    const backends = ingress.spec.rules.flatMap((r: Any) =>
      r.http.paths.map((p: Any) => p.backend.service),
    );
    expect(backends.map((b: Any) => b.name).sort()).toEqual(['todo-api', 'todo-web']);
    for (const backend of backends) {
      const svc = find('Service', backend.name);
      const port = svc.spec.ports.find((p: Any) => p.name === backend.port.name);
      const deployment = docs.find(
        (d) =>
          d.kind === 'Deployment' && matches(svc.spec.selector, d.spec.template.metadata.labels),
      );
      expect(deployment, `Deployment behind ${backend.name}`).toBeDefined();
      const container = deployment.spec.template.spec.containers[0];
      expect(container.ports.map((p: Any) => p.name)).toContain(port.targetPort);
    }
  });

  it('gives the API an environment its configuration loader accepts', () => {
    const config = loadConfig(apiEnv());
    expect(config.issuers[0]).toMatchObject({
      issuer: 'https://sso.example.com/realms/todo-app',
      discoveryUrl: 'http://keycloak.keycloak.svc.cluster.local:8080/realms/todo-app',
      audience: ['todo-api'],
      profile: 'keycloak',
      verify: 'jwt',
    });
    expect(config.database.kind).toBe('postgres');
    expect(config.trustProxy).toBe(1);
    expect(config.corsOrigins).toEqual(['https://todo.example.com']);
  });

  it('names the API its public URL, the Ingress host over TLS (RFC 8707 audiences, RFC 9728)', () => {
    // Without API_PUBLIC_URL the API has no resource identifier for requests through the
    // Ingress (they are not loopback): /mcp and the discovery documents would answer 503.
    const config = loadConfig(apiEnv());
    const ingress = find('Ingress', 'todo-sso');
    const apiHost = ingress.spec.rules.find(
      (r: Any) => r.http.paths[0].backend.service.name === 'todo-api',
    ).host;
    expect(ingress.spec.tls[0].hosts).toContain(apiHost);
    expect(config.publicUrl).toBe(`https://${apiHost}`);
    expect(configWarnings(config)).toEqual([]);
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!kubectl)('renders with kubectl kustomize into the todo-sso namespace', () => {
    const result = spawnSync('kubectl', ['kustomize', k8sDir], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(0);
    const rendered = parseAllDocuments(result.stdout).map((d) => d.toJS());
    expect(rendered.map((d) => d.kind).sort()).toEqual(docs.map((d) => d.kind).sort());
    for (const d of rendered.filter((d) => d.kind !== 'Namespace')) {
      expect(d.metadata.namespace, `${d.kind}/${d.metadata.name}`).toBe('todo-sso');
      expect(d.metadata.labels['app.kubernetes.io/part-of']).toBe('todo-sso');
    }
  });
});
