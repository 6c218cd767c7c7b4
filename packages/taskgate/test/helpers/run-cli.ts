import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';

/** The package's folder. */
export const ROOT = path.resolve(__dirname, '..', '..');
/** tsx's CLI, wherever npm put it (a workspace hoists it), run by this node. */
export const TSX = path.join(path.dirname(createRequire(__filename).resolve('tsx/package.json')), 'dist', 'cli.mjs');
const ENTRY = path.join(ROOT, 'src', 'cli', 'bin.ts');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of a CLI subprocess: no AWS settings of the machine, no colors, no credentials. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWS_') && !key.startsWith('TASKGATE_')) env[key] = value;
  return {
    ...env,
    NO_COLOR: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    ...extra,
  };
}

/** Starts `taskgate ARGS` as a subprocess, from the package's TypeScript through tsx. */
export function spawnCli(args: readonly string[], options: { cwd: string; env?: Record<string, string>; input?: string }): ChildProcess {
  const child = spawn(process.execPath, [TSX, ENTRY, ...args], { cwd: options.cwd, env: cliEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin!.end(options.input ?? '');
  return child;
}

/** Runs `taskgate ARGS` to the end. */
export function runCli(args: readonly string[], options: { cwd: string; env?: Record<string, string>; input?: string }): Promise<CliResult> {
  const child = spawnCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
