/**
 * Deployment files under docker/ checked against the app's own config (no Docker or cluster here:
 * parsing is the check). Fails when a manifest drifts from src/config/env.schema.ts or from the
 * shutdown / SSE requirements of the contract.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { join, relative, resolve } from 'path';
import { parseAllDocuments } from 'yaml';
import { ENV_DEFAULTS, ENV_NAMES } from '../src/config/env.schema';

const ROOT = resolve(__dirname, '..');
const DOCKER = join(ROOT, 'docker');
const K8S = join(DOCKER, 'k8s');

/** The contract's environment table (docs/protocol.md and the README's configuration table). */
const CONTRACT_VARS = [
  'PORT', 'JWT_SECRET', 'REDIS_URL', 'HITL_TIMEOUT_SECONDS', 'SSE_HEARTBEAT_SECONDS',
  'API_PREFIX', 'EVENTS_BROADCAST', 'DEMO_STEP_DELAY_MS', 'LOG_LEVEL',
];
const PORT = Number(ENV_DEFAULTS.PORT);
const names = new Set<string>(ENV_NAMES);

type Obj = Record<string, any>;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(f) ? [p] : [];
  });
}

/** Every YAML file under docker/, every document, with merge keys (`<<: *anchor`) as Compose reads them. */
const parsed: { file: string; docs: Obj[] }[] = yamlFiles(DOCKER).map((file) => {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { merge: true });
  if (!Array.isArray(docs)) throw new Error(`${file}: not a YAML stream`);
  for (const d of docs) {
    if (d.errors.length) throw new Error(`${relative(ROOT, file)}: ${d.errors.map((e) => e.message).join('; ')}`);
  }
  return { file, docs: docs.map((d) => d.toJS() as Obj).filter((d) => d != null) };
});
const k8sObjects = parsed.filter((p) => p.file.startsWith(K8S)).flatMap((p) => p.docs).filter((d) => d.kind);
const ofKind = (kind: string) => k8sObjects.filter((o) => o.kind === kind);
const one = (kind: string) => {
  const all = ofKind(kind);
  expect(all).toHaveLength(1);
  return all[0];
};

/** "20s", "1m30s", "330s", "5m", "300" (seconds) -> seconds. */
function seconds(v: string | number): number {
  if (typeof v === 'number') return v;
  const parts = [...v.trim().matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)?/g)];
  expect(parts.length).toBeGreaterThan(0);
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  return parts.reduce((t, [, n, u]) => t + Number(n) * unit[u ?? 's'], 0);
}

/** `KEY: value` mapping or `["KEY=value"]` list, as Compose accepts both. */
function composeEnv(env: unknown): Record<string, string> {
  if (!env) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((e: string) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(env as Obj).map(([k, v]) => [k, String(v)]));
}

/** Every key in `sub` has the same value in `labels`. */
function matches(sub: Obj | undefined, labels: Obj): boolean {
  return !!sub && Object.keys(sub).length > 0 && Object.entries(sub).every(([k, v]) => labels[k] === v);
}

function stripComments(text: string, marker = '#'): string {
  return text
    .split('\n')
    .map((l) => (l.trimStart().startsWith(marker) ? '' : l.replace(/\s+#.*$/, '')))
    .join('\n');
}

describe('deployment files (docker/)', () => {
  it('parses every YAML file under docker/', () => {
    const rel = parsed.map((p) => relative(DOCKER, p.file)).sort();
    expect(rel).toEqual(expect.arrayContaining(['docker-compose.yml', 'k8s/deployment.yaml']));
    for (const p of parsed) expect(p.docs.length).toBeGreaterThan(0);
  });

  it('contains no Secret object (JWT_SECRET is only referenced)', () => {
    expect(ofKind('Secret')).toHaveLength(0);
  });

  describe('Kubernetes', () => {
    const deployment = () => one('Deployment');
    const podSpec = () => deployment().spec.template.spec;
    const container = () => {
      const cs = podSpec().containers as Obj[];
      expect(cs).toHaveLength(1);
      return cs[0];
    };
    const podLabels = () => deployment().spec.template.metadata.labels as Obj;
    const configMap = () => one('ConfigMap');

    it('kustomization lists every manifest in docker/k8s', () => {
      const kust = parsed.find((p) => p.file === join(K8S, 'kustomization.yaml'));
      expect(kust).toBeDefined();
      const listed = (kust!.docs[0].resources as string[]).slice().sort();
      const files = readdirSync(K8S).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort();
      expect(listed).toEqual(files);
    });

    it('ConfigMap: every contract variable but JWT_SECRET, names from env.schema, defaults, string values', () => {
      const data = configMap().data as Obj;
      for (const k of Object.keys(data)) expect(names).toContain(k);
      for (const v of CONTRACT_VARS.filter((n) => n !== 'JWT_SECRET')) expect(Object.keys(data)).toContain(v);
      expect(data).not.toHaveProperty('JWT_SECRET');
      for (const [k, v] of Object.entries(data)) {
        expect(typeof v).toBe('string'); // an unquoted number is rejected by the API server
        if (k === 'REDIS_URL') expect(v).toMatch(/^rediss?:\/\/[^\s/]+/);
        else expect([k, v]).toEqual([k, ENV_DEFAULTS[k as keyof typeof ENV_DEFAULTS]]);
      }
    });

    it('Deployment: replicas, env names, JWT_SECRET from a secretKeyRef, ConfigMap by name', () => {
      expect(deployment().spec.replicas).toBeGreaterThanOrEqual(2);
      const c = container();
      const env = (c.env ?? []) as Obj[];
      for (const e of env) expect(names).toContain(e.name);
      const jwt = env.find((e) => e.name === 'JWT_SECRET');
      expect(jwt?.value).toBeUndefined();
      expect(jwt?.valueFrom?.secretKeyRef?.name).toEqual(expect.any(String));
      expect(jwt?.valueFrom?.secretKeyRef?.key).toEqual(expect.any(String));
      const refs = ((c.envFrom ?? []) as Obj[]).map((e) => e.configMapRef?.name);
      expect(refs).toContain(configMap().metadata.name);
      expect((c.envFrom as Obj[]).every((e) => e.configMapRef)).toBe(true); // no secretRef bulk import
    });

    it('Deployment: port, probes, metrics annotations', () => {
      const c = container();
      expect(c.ports).toEqual([expect.objectContaining({ name: 'http', containerPort: PORT })]);
      expect(c.readinessProbe.httpGet).toEqual(expect.objectContaining({ path: '/health/ready', port: 'http' }));
      expect(c.livenessProbe.httpGet).toEqual(expect.objectContaining({ path: '/health/live', port: 'http' }));
      const ann = deployment().spec.template.metadata.annotations as Obj;
      expect(ann['prometheus.io/scrape']).toBe('true');
      expect(ann['prometheus.io/port']).toBe(String(PORT));
      expect(ann['prometheus.io/path']).toBe('/metrics');
    });

    it('Deployment: terminationGracePeriodSeconds > preStop sleep + SHUTDOWN_GRACE_MS', () => {
      const pre = container().lifecycle.preStop as Obj;
      const sleep = pre.sleep?.seconds ?? Number(/\bsleep\s+(\d+)/.exec((pre.exec?.command ?? []).join(' '))?.[1]);
      expect(sleep).toBeGreaterThan(0);
      const graceMs = Number(configMap().data.SHUTDOWN_GRACE_MS ?? ENV_DEFAULTS.SHUTDOWN_GRACE_MS);
      expect(podSpec().terminationGracePeriodSeconds).toBeGreaterThan(sleep + graceMs / 1000);
    });

    it('Deployment: non-root, read-only root filesystem, resources', () => {
      const pod = podSpec().securityContext as Obj;
      const sc = container().securityContext as Obj;
      expect(pod.runAsNonRoot ?? sc.runAsNonRoot).toBe(true);
      expect(pod.runAsUser ?? sc.runAsUser).toBeGreaterThan(0);
      expect(sc.readOnlyRootFilesystem).toBe(true);
      expect(sc.allowPrivilegeEscalation).toBe(false);
      expect(container().resources.requests).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
      expect(container().resources.limits.memory).toBeDefined();
      expect(matches(deployment().spec.selector.matchLabels, podLabels())).toBe(true);
    });

    it('PodDisruptionBudget: minAvailable 1, selects the Deployment pods', () => {
      const pdb = one('PodDisruptionBudget');
      expect(pdb.spec.minAvailable).toBe(1);
      expect(matches(pdb.spec.selector.matchLabels, podLabels())).toBe(true);
    });

    it('Service: selects the Deployment pods and targets the http port', () => {
      const svc = one('Service');
      expect(matches(svc.spec.selector, podLabels())).toBe(true);
      expect(svc.spec.ports.length).toBeGreaterThan(0);
      for (const p of svc.spec.ports as Obj[]) expect(p.targetPort === 'http' || p.targetPort === PORT).toBe(true);
    });

    it('Ingress (if present): SSE-safe, rewrites /api/aura/ to /aura/, points at the Service', () => {
      const ingresses = ofKind('Ingress');
      const svc = one('Service');
      for (const ing of ingresses) {
        const ann = ing.metadata.annotations as Obj;
        expect(ann['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
        expect(Number(ann['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(
          Math.max(300, Number(ENV_DEFAULTS.HITL_TIMEOUT_SECONDS)),
        );
        expect(ann['nginx.ingress.kubernetes.io/rewrite-target']).toMatch(/^\/aura\//);
        const paths = (ing.spec.rules as Obj[]).flatMap((r) => r.http.paths as Obj[]);
        expect(paths.length).toBeGreaterThan(0);
        for (const p of paths) {
          expect(p.path).toMatch(/^\/api\/aura/);
          expect(p.backend.service.name).toBe(svc.metadata.name);
          const port = p.backend.service.port;
          expect((svc.spec.ports as Obj[]).some((sp) => sp.name === port.name || sp.port === port.number)).toBe(true);
        }
      }
    });
  });

  describe('docker compose', () => {
    const composeFile = join(DOCKER, 'docker-compose.yml');
    const compose = () => parsed.find((p) => p.file === composeFile)!.docs[0];
    const services = () => compose().services as Obj;
    const auras = () => Object.keys(services()).filter((s) => /^aura-\d+$/.test(s));

    it('has redis, two aura instances and a gateway', () => {
      expect(Object.keys(services())).toEqual(expect.arrayContaining(['redis', 'aura-1', 'aura-2', 'gateway']));
      expect(auras()).toHaveLength(2);
      expect(services().redis.image).toMatch(/^redis:7/);
      expect(services().gateway.image).toMatch(/^nginx/);
      expect((services().gateway.ports as string[]).some((p) => /(^|:)8080:\d+$/.test(String(p)))).toBe(true);
    });

    it('aura instances: built from docker/Dockerfile with the repo root as context', () => {
      for (const s of auras()) {
        const build = services()[s].build as Obj;
        const context = resolve(DOCKER, build.context);
        expect(context).toBe(ROOT);
        expect(existsSync(resolve(context, build.dockerfile))).toBe(true);
        expect(resolve(context, build.dockerfile)).toBe(join(DOCKER, 'Dockerfile'));
      }
    });

    it('aura instances: env names from env.schema, Redis, JWT_SECRET required, never literal', () => {
      for (const s of auras()) {
        const env = composeEnv(services()[s].environment);
        for (const k of Object.keys(env)) expect(names).toContain(k);
        expect(env.REDIS_URL).toBe('redis://redis:6379');
        expect(env.JWT_SECRET).toMatch(/^\$\{JWT_SECRET:\?[^}]*\}$/);
        if (env.PORT !== undefined) expect(Number(env.PORT)).toBe(PORT);
      }
      // ${VAR} interpolations anywhere in the file are env names too
      const text = stripComments(readFileSync(composeFile, 'utf8'));
      for (const [, v] of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) expect(names).toContain(v);
    });

    it('aura instances: container port is PORT, stop grace exceeds SHUTDOWN_GRACE_MS', () => {
      for (const s of auras()) {
        const svc = services()[s];
        const env = composeEnv(svc.environment);
        const containerPorts = [
          ...((svc.expose ?? []) as unknown[]).map(Number),
          ...((svc.ports ?? []) as unknown[]).map((p) => Number(String(p).split(':').pop())),
        ];
        expect(containerPorts.length).toBeGreaterThan(0);
        for (const p of containerPorts) expect(p).toBe(PORT);
        const graceMs = Number(env.SHUTDOWN_GRACE_MS ?? ENV_DEFAULTS.SHUTDOWN_GRACE_MS);
        expect(seconds(svc.stop_grace_period)).toBeGreaterThan(graceMs / 1000);
      }
    });

    it('gateway mounts an nginx config that exists', () => {
      const mounts = (services().gateway.volumes as string[]).map((v) => v.split(':')[0]);
      const conf = mounts.map((m) => resolve(DOCKER, m)).filter((m) => /\.conf$/.test(m));
      expect(conf).toHaveLength(1);
      expect(existsSync(conf[0])).toBe(true);
    });
  });

  describe('nginx gateway', () => {
    const confPath = join(DOCKER, 'nginx', 'default.conf');
    const conf = () => stripComments(readFileSync(confPath, 'utf8'));
    /** The body of `location /api/aura/ { ... }` (no nested blocks in it). */
    const apiLocation = () => {
      const m = /location\s+\/api\/aura\/\s*\{([^}]*)\}/.exec(conf());
      expect(m).not.toBeNull();
      return m![1];
    };
    /** A directive's value, from the API location or else the server level. */
    const directive = (name: string) => {
      const re = new RegExp(`(?:^|[\\s;{])${name}\\s+([^;]+);`);
      return (re.exec(apiLocation()) ?? re.exec(conf()))?.[1].trim();
    };

    it('maps /api/aura/ to /aura/ on an upstream with both instances', () => {
      const pass = /proxy_pass\s+http:\/\/([\w.-]+)(\/[^;\s]*);/.exec(apiLocation());
      expect(pass?.[2]).toBe('/aura/');
      const up = new RegExp(`upstream\\s+${pass![1]}\\s*\\{([^}]*)\\}`).exec(conf());
      expect(up).not.toBeNull();
      const servers = [...up![1].matchAll(/server\s+([\w.-]+):(\d+)/g)].map(([, h, p]) => `${h}:${p}`);
      expect(servers.sort()).toEqual(['aura-1', 'aura-2'].map((h) => `${h}:${PORT}`));
    });

    it('is SSE-safe: no buffering or cache, HTTP/1.1 keep-alive upstream, long read timeout', () => {
      expect(directive('proxy_buffering')).toBe('off');
      expect(directive('proxy_cache')).toBe('off');
      expect(directive('proxy_http_version')).toBe('1.1');
      expect(directive('chunked_transfer_encoding')).toBe('on');
      expect(directive('gzip') ?? 'off').toBe('off');
      expect(conf()).toMatch(/proxy_set_header\s+Connection\s+""\s*;/);
      const timeout = directive('proxy_read_timeout');
      expect(timeout).toBeDefined();
      expect(seconds(timeout!)).toBeGreaterThanOrEqual(Math.max(300, Number(ENV_DEFAULTS.HITL_TIMEOUT_SECONDS)));
    });

    it('passes X-Request-ID through', () => {
      expect(conf()).toMatch(/proxy_set_header\s+X-Request-ID\s+\$\S+;/);
    });
  });

  describe('Dockerfile', () => {
    // comments out, `\`-continued lines joined: one instruction per line
    const text = stripComments(readFileSync(join(DOCKER, 'Dockerfile'), 'utf8')).replace(/\\\n\s*/g, ' ');
    const stages = text.split(/^FROM\s+/m).slice(1);
    const final = stages[stages.length - 1];

    it('is multi-stage on Node 20 slim', () => {
      expect(stages.length).toBeGreaterThanOrEqual(2);
      for (const s of stages) expect(s).toMatch(/^node:20[\w.-]*slim/);
      expect(stages[0]).toMatch(/RUN\s+npm ci\b/);
      expect(stages[0]).toMatch(/npm run build/);
    });

    it('final stage: production deps only, dist/ and public/, non-root, probe, start command', () => {
      expect(final).toMatch(/RUN\s+npm ci --omit=dev/);
      expect(final).toMatch(/COPY\s+--from=\S+\s+\S*dist\/?\s/);
      expect(final).toMatch(/COPY\s+--from=\S+\s+\S*public\/?\s/);
      const user = /^USER\s+(\S+)/m.exec(final)?.[1];
      expect(user).toBeDefined();
      expect(user!.split(':')[0]).not.toMatch(/^(root|0)$/);
      expect(final).toMatch(new RegExp(`^EXPOSE\\s+${PORT}\\b`, 'm'));
      expect(final).toMatch(/^STOPSIGNAL\s+SIGTERM/m);
      const hc = /^HEALTHCHECK.*$/m.exec(final)?.[0];
      expect(hc).toMatch(/\/health\/live/);
      expect(hc).toMatch(/CMD\s+\[\s*"node"/); // slim images have no curl
      expect(final).toMatch(/^CMD\s+\[\s*"node",\s*"dist\/main\.js"\s*\]/m);
      for (const [, k] of final.matchAll(/^ENV\s+([A-Za-z_][A-Za-z0-9_]*)=/gm)) expect(names).toContain(k);
    });

    it('.dockerignore keeps local state and secrets out of the context', () => {
      const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
      expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git', '.env', 'coverage']));
    });
  });
});
