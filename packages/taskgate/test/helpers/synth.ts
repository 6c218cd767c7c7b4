import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll } from 'vitest';

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * An App for unit tests: its own temp outdir, no esbuild bundling and no built-in CloudFormation
 * validation (~0.4 s a synth instead of several seconds). One test keeps both on: synth-cli.test.ts.
 */
export function testApp(): App {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-test-'));
  outdirs.push(outdir);
  return new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
}

export function templateOf(stack: Stack): Template {
  return Template.fromStack(stack);
}
