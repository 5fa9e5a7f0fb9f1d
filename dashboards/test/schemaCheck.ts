/**
 * Checks dashboard JSON against Grafana's dashboard schema as @grafana/schema publishes it (the generated
 * `Dashboard` type of the classic JSON model), with the TypeScript compiler: each file becomes an object literal
 * assigned to `Jsonify<Dashboard>`, so missing required fields, wrong types, unknown enum values and unknown keys
 * (excess property checks) are all errors. The panel plugin's options and the chargeback queries are checked
 * against the plugins' own types the same way.
 */
import { resolve } from 'node:path';
import * as ts from 'typescript';
import { allPanels, annotationQueries, DashboardFile, panelQueries } from './dashboardFiles';

const VIRTUAL = resolve(__dirname, '__dashboard_schema_check__.ts');
const TOPUSERS = 'tokenledger-topusers-panel';
const CHARGEBACK = 'tokenledger-chargeback-datasource';

/** The source the compiler checks: one typed constant per dashboard, panel-plugin options and chargeback query. */
export function checkSource(files: DashboardFile[]): string {
  const lines = [
    "import type { Dashboard } from '@grafana/schema';",
    "import type { TopUsersOptions } from '../../panel-plugin/src/types';",
    "import type { ChargebackQuery } from '../../datasource-plugin/src/types';",
    "import type { Jsonify } from './jsonify';",
  ];
  files.forEach(({ file, text, dashboard }, i) => {
    lines.push(`// ${file}`, `export const dashboard${i}: Jsonify<Dashboard> = ${text.trim()};`);
    allPanels(dashboard)
      .filter((p) => p.type === TOPUSERS)
      .forEach((p, j) =>
        lines.push(
          `// ${file} panel "${p.title}"`,
          `export const options${i}_${j}: Partial<TopUsersOptions> = ${JSON.stringify(p.options)};`
        )
      );
    const chargeback = [...panelQueries(dashboard), ...annotationQueries(dashboard)].filter(
      (q) => q.datasource?.type === CHARGEBACK
    );
    chargeback.forEach((q, j) =>
      lines.push(
        `// ${file} query ${q.target.refId}`,
        `export const query${i}_${j}: Jsonify<ChargebackQuery> = ${JSON.stringify(q.target)};`
      )
    );
  });
  return lines.join('\n');
}

/** Compiler diagnostics for `source`, as `line: message`; empty when every dashboard is schema-valid. */
export function typeCheck(source: string): string[] {
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    skipLibCheck: true,
    esModuleInterop: true,
    resolveJsonModule: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, onError, create) =>
    resolve(name) === VIRTUAL
      ? ts.createSourceFile(name, source, language)
      : getSourceFile(name, language, onError, create);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => resolve(name) === VIRTUAL || fileExists(name);
  const program = ts.createProgram([VIRTUAL], options, host);
  const checked = program.getSourceFile(VIRTUAL)!;
  return [...program.getSyntacticDiagnostics(checked), ...program.getSemanticDiagnostics(checked)].map((d) => {
    const line = d.start === undefined ? 0 : checked.getLineAndCharacterOfPosition(d.start).line;
    const context = source
      .split('\n')
      .slice(0, line + 1)
      .reverse()
      .find((l) => l.startsWith('// '));
    return `${context ?? ''} (line ${line + 1}): ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}
