/**
 * What the browser test needs around the page: the harness bundle, a local HTTP server, Debian's Chromium
 * driven by playwright-core, and screenshot comparison against committed baselines.
 */
import { build } from 'esbuild';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import pixelmatch from 'pixelmatch';
import { chromium, type Browser } from 'playwright-core';
import { PNG } from 'pngjs';

export const PANEL_DIR = resolve(__dirname, '../..');
export const DIST_DIR = join(PANEL_DIR, 'dist');
export const RESULTS_DIR = join(PANEL_DIR, 'test-results');
export const BASELINE_DIR = join(PANEL_DIR, 'tests', '__screenshots__');
const HARNESS_DIR = join(RESULTS_DIR, 'harness');
const CHROMIUM = '/usr/bin/chromium';

/** Fails with the fix when the build output or the browser is missing: this test never skips. */
export function assertPrerequisites(): void {
  if (!existsSync(join(DIST_DIR, 'module.js'))) {
    throw new Error('dist/module.js is missing: run npm run build -w panel-plugin first');
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium`);
  }
}

/** Bundles the harness page with React, @grafana/data, ui and runtime; the panel itself comes from dist/. */
export async function buildHarness(): Promise<void> {
  rmSync(HARNESS_DIR, { recursive: true, force: true });
  await build({
    entryPoints: [join(PANEL_DIR, 'tests', 'harness', 'harness.tsx')],
    bundle: true,
    outdir: HARNESS_DIR,
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
    // @grafana/ui pulls in Monaco's icon font and CSS; the harness never shows them.
    loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.svg': 'file' },
    logLevel: 'error',
  });
}

const FONT_FILES: Record<string, string> = {
  'Inter-Regular.woff2': 'inter-latin-400-normal.woff2',
  'Inter-Medium.woff2': 'inter-latin-500-normal.woff2',
  'Inter-Italic.woff2': 'inter-latin-400-italic.woff2',
  'Inter-MediumItalic.woff2': 'inter-latin-500-italic.woff2',
};
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
  '.svg': 'image/svg+xml',
};

const packageDir = (name: string) => join(require.resolve(`${name}/package.json`), '..');

/**
 * Maps a request path to a file: the page, the harness bundle, the built plugin, and what Grafana's server
 * would serve from public/: the Inter font and the icons @grafana/ui ships.
 */
function resolveRequest(pathname: string): string | undefined {
  if (pathname === '/') {
    return join(PANEL_DIR, 'tests', 'harness', 'index.html');
  }
  const font = pathname.match(/^\/public\/fonts\/inter\/(.+)$/);
  if (font) {
    return FONT_FILES[font[1]] ? join(packageDir('@fontsource/inter'), 'files', FONT_FILES[font[1]]) : undefined;
  }
  const roots: Array<[string, string]> = [
    ['/harness/', HARNESS_DIR],
    ['/dist/', DIST_DIR],
    ['/public/build/img/', join(packageDir('@grafana/ui'), 'dist', 'public', 'img')],
  ];
  for (const [prefix, root] of roots) {
    if (pathname.startsWith(prefix)) {
      const file = normalize(join(root, decodeURIComponent(pathname.slice(prefix.length))));
      return file.startsWith(root + sep) ? file : undefined;
    }
  }
  return undefined;
}

export interface HarnessServer {
  url: string;
  close: () => Promise<void>;
}

/** Serves the harness on 127.0.0.1 on a free port. */
export async function startServer(): Promise<HarnessServer> {
  const server: Server = createServer((request, response) => {
    const file = resolveRequest(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    if (!file || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done, fail) => {
        server.closeAllConnections();
        server.close((error) => (error ? fail(error) : done()));
      }),
  };
}

export interface LaunchedBrowser {
  browser: Browser;
  close: () => Promise<void>;
}

/**
 * Debian's Chromium with exactly the flags this project allows, plus a fresh profile and the pipe Playwright
 * talks over; Playwright's own default flags are left out and no browser is ever downloaded.
 */
export async function launchChromium(): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'topusers-chromium-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    ignoreDefaultArgs: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${profile}`,
      '--remote-debugging-pipe',
      'about:blank',
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface Comparison {
  /** Share of pixels that differ beyond pixelmatch's colour threshold. */
  mismatch: number;
  baselinePath: string;
  actualPath: string;
  diffPath: string;
}

/**
 * Saves the screenshot as a test artifact and compares it with the committed baseline. With
 * UPDATE_SCREENSHOTS=1 the screenshot becomes the new baseline instead.
 */
export function compareWithBaseline(name: string, screenshot: Buffer): Comparison {
  mkdirSync(join(RESULTS_DIR, 'screenshots'), { recursive: true });
  const actualPath = join(RESULTS_DIR, 'screenshots', `${name}.png`);
  const diffPath = join(RESULTS_DIR, 'screenshots', `${name}.diff.png`);
  const baselinePath = join(BASELINE_DIR, `${name}.png`);
  writeFileSync(actualPath, screenshot);
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(BASELINE_DIR, { recursive: true });
    writeFileSync(baselinePath, screenshot);
  }
  if (!existsSync(baselinePath)) {
    throw new Error(
      `No baseline ${baselinePath}: look at ${actualPath}, then run with UPDATE_SCREENSHOTS=1 to accept it`
    );
  }
  const actual = PNG.sync.read(screenshot);
  const baseline = PNG.sync.read(readFileSync(baselinePath));
  if (actual.width !== baseline.width || actual.height !== baseline.height) {
    throw new Error(
      `${name}: screenshot is ${actual.width}x${actual.height}, baseline ${baseline.width}x${baseline.height} (${actualPath})`
    );
  }
  const diff = new PNG({ width: actual.width, height: actual.height });
  const differing = pixelmatch(actual.data, baseline.data, diff.data, actual.width, actual.height, { threshold: 0.1 });
  writeFileSync(diffPath, PNG.sync.write(diff));
  return { mismatch: differing / (actual.width * actual.height), baselinePath, actualPath, diffPath };
}
