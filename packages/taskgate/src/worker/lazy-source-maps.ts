import * as fs from 'node:fs';
import { SourceMap } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Stack traces that name source lines, with the source map read when a stack is first formatted
 * instead of at load. `--enable-source-maps` reads and parses the bundle's whole map (1 MB) and
 * counts its line lengths when Node loads the bundle, about a seventh of a worker's cold start
 * (docs/architecture.md, Performance), for the few invocations that ever format a stack. This maps
 * the frames of any file with a `<file>.map` beside it, from the map's mappings and names, and
 * hands them to whatever formatted stacks before (Node's default, or a runtime's own), so the text
 * is Node's with source positions.
 *
 * Not installed under `--enable-source-maps` (Node maps them itself) nor twice.
 *
 * @returns whether it was installed
 */
export function installLazySourceMaps(): boolean {
  if (process.sourceMapsEnabled || installed) return false;
  installed = true;
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (error: Error, sites: NodeJS.CallSite[]): unknown => {
    const mapped = sites.map((site, i) => mappedSite(site, sites[i + 1]));
    return previous ? previous(error, mapped) : `${errorHead(error)}${mapped.map((site) => `\n    at ${site}`).join('')}`;
  };
  return true;
}

let installed = false;

/** A file's map and the folder its sources are relative to. */
interface FileMap {
  readonly map: SourceMap;
  readonly folder: string;
}

/** Each file's map: undefined before the first look, null when the file has none. */
const maps = new Map<string, FileMap | null>();

/** What V8 puts before the frames: `Name: message`, or the name alone. */
function errorHead(error: Error): string {
  const name = String(error.name ?? 'Error');
  const message = String(error.message ?? '');
  return message === '' ? name : `${name}: ${message}`;
}

/** The site itself where no map covers it; else one that answers with the source's file, position and name. */
function mappedSite(site: NodeJS.CallSite, caller: NodeJS.CallSite | undefined): NodeJS.CallSite {
  const file = site.getFileName();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (!file || line === null || column === null) return site;
  const fileMap = mapOf(file);
  const entry = fileMap?.map.findEntry(line - 1, column - 1);
  if (!fileMap || !entry || !('originalSource' in entry)) return site;
  const source = path.resolve(fileMap.folder, entry.originalSource);
  const position = { line: entry.originalLine + 1, column: entry.originalColumn + 1 };
  const minified = site.getFunctionName();
  const name = originalName(fileMap.map, site, caller) ?? minified;
  // V8's own text with the bundle position replaced, and the minified function name before it when the map names it.
  let text = String(site).replace(`${file}:${line}:${column}`, `${source}:${position.line}:${position.column}`);
  const at = minified && name && name !== minified ? text.lastIndexOf(`${minified} (`) : -1;
  if (at >= 0 && (at === 0 || /[\s.]/.test(text[at - 1]!))) text = `${text.slice(0, at)}${name}${text.slice(at + minified!.length)}`;
  const answers: Readonly<Record<string, () => unknown>> = {
    getFileName: () => source,
    getScriptNameOrSourceURL: () => source,
    getLineNumber: () => position.line,
    getColumnNumber: () => position.column,
    getFunctionName: () => name,
    toString: () => text,
  };
  // The other questions (isNative, getThis, ...) go to V8's site, which answers only when asked as itself.
  return new Proxy(site, {
    get: (target, key) => (typeof key === 'string' && Object.hasOwn(answers, key) ? answers[key] : bound(target, key)),
  });
}

function bound(target: NodeJS.CallSite, key: string | symbol): unknown {
  const value: unknown = Reflect.get(target, key);
  return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
}

/** The function's name in the source: the map's name at the function's start, or at the call that entered it. */
function originalName(map: SourceMap, site: NodeJS.CallSite, caller: NodeJS.CallSite | undefined): string | undefined {
  // V8's CallSite has these since Node 20; @types/node does not list them yet.
  const enclosing = site as NodeJS.CallSite & { getEnclosingLineNumber?(): number | null; getEnclosingColumnNumber?(): number | null };
  const line = enclosing.getEnclosingLineNumber?.();
  const column = enclosing.getEnclosingColumnNumber?.();
  const own = line && column ? nameAt(map, line, column) : undefined;
  if (own || !caller || caller.getFileName() !== site.getFileName()) return own;
  const callerLine = caller.getLineNumber();
  const callerColumn = caller.getColumnNumber();
  return callerLine === null || callerColumn === null ? undefined : nameAt(map, callerLine, callerColumn);
}

/** The source name mapped at a 1-based position, if any (findEntry answers {} where nothing maps). */
function nameAt(map: SourceMap, line: number, column: number): string | undefined {
  // Node's entries carry the name; @types/node's SourceMapping does not list it.
  const entry = map.findEntry(line - 1, column - 1) as { name?: string };
  return entry.name || undefined;
}

function mapOf(file: string): FileMap | null {
  let map = maps.get(file);
  if (map === undefined) {
    map = readMap(file);
    maps.set(file, map);
  }
  return map;
}

function readMap(file: string): FileMap | null {
  if (file.startsWith('node:') || !/\.[cm]?js$/.test(file)) return null;
  const mapFile = `${file.startsWith('file://') ? fileURLToPath(file) : file}.map`;
  if (!fs.existsSync(mapFile)) return null;
  try {
    return { map: new SourceMap(JSON.parse(fs.readFileSync(mapFile, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]), folder: path.dirname(mapFile) };
  } catch (error) {
    // A stack must still format: its frames stay as the bundle's positions, and the reason is said once.
    process.stderr.write(`taskgate: the source map ${mapFile} could not be read (${(error as Error).message}); stack traces name bundle positions\n`);
    return null;
  }
}
