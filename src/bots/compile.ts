import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Esbuild from 'esbuild';

/**
 * Bot files compiled once, then imported as plain JavaScript (no loader hooks).
 *
 * Why: tsx's `tsImport` registers loader hooks on every call, and each call gets its own module
 * namespace, so every bot file re-loaded rehearse itself through the hooks: ~0.5 s a file. Here a
 * TypeScript bot file and the TypeScript files it imports are bundled by esbuild into one ES module
 * under `<root>/.rehearse/compiled/`, named by the content of its sources; the next run checks those
 * sources' hashes and imports the bundle. Packages and JavaScript files stay outside the bundle
 * (imported from where they are), so `import { defineBot } from 'agent-rehearse'` gets the very modules
 * the CLI runs on. The bundle carries an inline source map and `import.meta.url` of each source, so
 * stack traces, `defineBot`'s file and file-relative reads name the original files.
 */

/** What the manifest beside a bundle records: the sources it was made from, each with its hash. */
interface Manifest {
  /** bundleFormat when it was made: a rehearse that bundles otherwise makes its own again. */
  format: number;
  esbuild: string;
  output: string;
  sources: Record<string, string>;
}

const typeScriptFile = /\.[cm]?tsx?$/;

/** Raise when the bundle's options or plugins change, so that bundles made before are made again. */
const bundleFormat = 1;

function hashText(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** esbuild, loaded only when a bundle must be made (most runs find theirs up to date). */
function loadEsbuild(): typeof Esbuild {
  return createRequire(import.meta.url)('esbuild') as typeof Esbuild;
}

function readManifest(path: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** The bundle of a manifest whose sources are all unchanged, else undefined. */
function upToDate(manifest: Manifest | undefined, folder: string): string | undefined {
  if (manifest?.format !== bundleFormat) return undefined;
  for (const [source, hash] of Object.entries(manifest.sources)) {
    let text: Buffer;
    try {
      text = readFileSync(source);
    } catch {
      return undefined;
    }
    if (hashText(text) !== hash) return undefined;
  }
  const output = join(folder, manifest.output);
  return existsSync(output) ? output : undefined;
}

/** Writes a file whole or not at all (another process may read it, or write the same, at the same time). */
function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

/**
 * Replaces `import.meta.url` (and `.dirname`, `.filename`) of a bundled source by the source's own,
 * which it would otherwise lose to the bundle's.
 */
function ownImportMeta(esbuild: typeof Esbuild): Esbuild.Plugin {
  return {
    name: 'rehearse-own-import-meta',
    setup(build) {
      build.onLoad({ filter: typeScriptFile }, async (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta')) return undefined;
        const result = await esbuild.transform(source, {
          loader: args.path.endsWith('x') ? 'tsx' : 'ts',
          format: 'esm',
          sourcefile: args.path,
          sourcemap: 'inline',
          define: {
            'import.meta.url': JSON.stringify(pathToFileURL(args.path).href),
            'import.meta.dirname': JSON.stringify(dirname(args.path)),
            'import.meta.filename': JSON.stringify(args.path),
          },
        });
        return { contents: result.code, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

/**
 * Bundles TypeScript sources only: an import that resolves to a JavaScript file (rehearse's own
 * dist/ given by path, say) is left to Node, by absolute URL, so it stays one module shared with
 * the rest of the process.
 */
const typeScriptOnly: Esbuild.Plugin = {
  name: 'rehearse-typescript-only',
  setup(build) {
    build.onResolve({ filter: /^[./]/ }, async (args) => {
      if (args.kind === 'entry-point' || (args.pluginData as { resolving?: boolean } | undefined)?.resolving) return undefined;
      const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { resolving: true } });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      if (resolved.external || typeScriptFile.test(resolved.path)) return resolved;
      return { path: pathToFileURL(resolved.path).href, external: true };
    });
  },
};

/**
 * The path of the compiled ES module of a bot file: from the cache when its sources are unchanged,
 * else bundled now. Throws what esbuild reports when the file does not compile.
 */
export async function compiledBotFile(file: string, folder: string): Promise<string> {
  const name = hashText(file).slice(0, 24);
  const manifestPath = join(folder, `${name}.json`);
  const cached = upToDate(readManifest(manifestPath), folder);
  if (cached) return cached;

  const esbuild = loadEsbuild();
  const result = await esbuild.build({
    entryPoints: [file],
    bundle: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    write: false,
    outfile: join(folder, `${name}.mjs`),
    sourcemap: 'inline',
    metafile: true,
    logLevel: 'silent',
    plugins: [typeScriptOnly, ownImportMeta(esbuild)],
  });
  const code = result.outputFiles[0]!.text;
  const sources: Record<string, string> = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    // esbuild names inputs relative to its working folder, with forward slashes.
    const path = resolve(process.cwd(), input.split('/').join(sep));
    sources[path] = hashText(readFileSync(path));
  }
  // Named by content: a bundle is never rewritten, so a reader holding a manifest gets what it names.
  const output = `${name}-${hashText(code).slice(0, 16)}.mjs`;
  mkdirSync(folder, { recursive: true });
  if (!existsSync(join(folder, output))) writeAtomically(join(folder, output), code);
  writeAtomically(manifestPath, `${JSON.stringify({ format: bundleFormat, esbuild: esbuild.version, output, sources } satisfies Manifest, null, 2)}\n`);
  for (const old of readdirSync(folder)) {
    if (old.startsWith(`${name}-`) && old.endsWith('.mjs') && old !== output) rmSync(join(folder, old), { force: true });
  }
  return join(folder, output);
}

/** Where compiled bot files of a project live (git-ignored with the rest of `.rehearse/`). */
export function compiledFolder(root: string): string {
  return join(root, '.rehearse', 'compiled');
}

/**
 * Whether a package imported by `file` resolves as it does from the compiled folder: true when no
 * node_modules folder lies between the file and the project root (the bundle imports packages from
 * `<root>/.rehearse/compiled/`, and Node looks for them upwards from there).
 */
export function resolvesLikeRoot(file: string, root: string): boolean {
  const path = relative(root, dirname(file));
  if (path.startsWith('..') || path.split(sep).includes('node_modules')) return false;
  for (let dir = dirname(file); dir !== root && dir.length > root.length; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules')) || existsSync(join(dir, 'package.json'))) return false;
  }
  return basename(root) !== 'node_modules';
}
