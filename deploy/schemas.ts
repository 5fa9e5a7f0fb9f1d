/**
 * Validates Kubernetes objects against the OpenAPI schemas of Kubernetes (`kubernetes-models`) and of the
 * Prometheus Operator's CRDs (`@kubernetes-models/prometheus-operator`), with their own validate() methods.
 * Both packages are ES modules only (their package exports have no `require` condition, which Jest's CommonJS
 * runtime needs), so the validation runs in a child `node` that imports them as Node does.
 */
import { spawnSync } from 'node:child_process';

export interface SchemaResult {
  /** `kind/name` of the object. */
  object: string;
  /** The schema's errors, empty when the object is valid. */
  errors: string[];
}

/** The module of each apiVersion's models; core `v1` is kubernetes-models' own `v1`. */
const MODULES = `{
  'v1': 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'policy/v1': 'kubernetes-models/policy/v1',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
}`;

const SCRIPT = `
import { readFileSync } from 'node:fs';
const modules = ${MODULES};
const objects = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const o of objects) {
  const object = o.kind + '/' + (o.metadata && o.metadata.name);
  const module = modules[o.apiVersion];
  const Model = module && (await import(module))[o.kind];
  if (!Model) { results.push({ object, errors: ['no schema for ' + o.apiVersion + ' ' + o.kind] }); continue; }
  try { new Model(o).validate(); results.push({ object, errors: [] }); }
  catch (e) { results.push({ object, errors: String(e.message).split(', ') }); }
}
process.stdout.write(JSON.stringify(results));
`;

/** Each object's schema errors, in order. The modules are resolved from `cwd` (the repository root). */
export function validateAgainstSchemas(objects: readonly object[], cwd: string): SchemaResult[] {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    cwd,
    input: JSON.stringify(objects),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`schema validation did not run: ${r.error?.message ?? r.stderr}`);
  return JSON.parse(r.stdout) as SchemaResult[];
}
