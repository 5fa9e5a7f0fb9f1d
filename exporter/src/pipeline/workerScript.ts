import { Worker, WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on a module of this package, given its path without extension and the extension
 * this code runs from. Compiled, that is the `.js` beside it. The unit tests run the TypeScript sources
 * through Jest's transform, which a worker thread is outside of: there the worker compiles the modules it
 * requires with @swc/core, the compiler Jest uses here (a dev dependency, absent from a production install,
 * which never takes this path).
 */
export function startWorker(modulePath: string, extension: string, options: WorkerOptions): Worker {
  if (extension !== '.ts') return new Worker(`${modulePath}${extension}`, options);
  const entry = JSON.stringify(`${modulePath}.ts`);
  const boot = `
    const { readFileSync } = require('node:fs');
    const swc = require(require.resolve('@swc/core', { paths: [${entry}] }));
    require.extensions['.ts'] = (module, filename) => {
      const { code } = swc.transformSync(readFileSync(filename, 'utf8'), { filename, module: { type: 'commonjs' }, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } });
      module._compile(code, filename);
    };
    require(${entry});`;
  return new Worker(boot, { ...options, eval: true });
}
