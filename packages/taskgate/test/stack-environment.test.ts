import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { functionPlacement, LAMBDA_DEFAULT_MEMORY_MB, LOCAL_ACCOUNT_ID, stackEnvironment } from '../src/local/stack-environment';
import { assemblyStacks } from '../src/local/synth';
import { readTemplate } from '../src/local/template';

/** Synthesizes one stack with a 512 MB function and one without MemorySize; returns the runtime's models of it. */
function synthesized(env?: { account: string; region: string }) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-env-'));
  const app = new App({ outdir });
  const stack = new Stack(app, 'Placed', env ? { env } : {});
  const code = lambda.Code.fromInline('exports.handler = async () => {}');
  new lambda.Function(stack, 'Big', { runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code, memorySize: 512 });
  new lambda.Function(stack, 'Plain', { runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code });
  app.synth();
  const models = assemblyStacks(outdir).stacks.map((s) => readTemplate(s.templateFile, s.name, stackEnvironment(s.environment)));
  fs.rmSync(outdir, { recursive: true, force: true });
  const fn = (prefix: string) => [...models[0]!.functions.values()].find((f) => f.logicalId.startsWith(prefix))!;
  return { model: models[0]!, big: fn('Big'), plain: fn('Plain') };
}

describe('the embedded runtime places each function as its template says', () => {
  it("reads MemorySize, the stack's region and account from a synthesized stack pinned to an environment", () => {
    const { model, big, plain } = synthesized({ account: '123456789012', region: 'eu-west-2' });
    expect(functionPlacement(model, big, 'us-east-1')).toEqual({ region: 'eu-west-2', accountId: '123456789012', memoryMb: 512 });
    // No MemorySize in the template: Lambda's default, not a fixed local value.
    expect(functionPlacement(model, plain, 'us-east-1')).toEqual({ region: 'eu-west-2', accountId: '123456789012', memoryMb: LAMBDA_DEFAULT_MEMORY_MB });
  });

  it('defaults to --region and the local account only for an environment-agnostic stack', () => {
    const { model, big } = synthesized();
    expect(model.environment).toEqual({});
    expect(functionPlacement(model, big, 'ap-south-1')).toEqual({ region: 'ap-south-1', accountId: LOCAL_ACCOUNT_ID, memoryMb: 512 });
  });

  it("parses a cloud assembly's aws://account/region, treating CDK's unknown-* as absent", () => {
    expect(stackEnvironment('aws://123456789012/eu-west-2')).toEqual({ account: '123456789012', region: 'eu-west-2' });
    expect(stackEnvironment('aws://unknown-account/eu-west-2')).toEqual({ region: 'eu-west-2' });
    expect(stackEnvironment('aws://unknown-account/unknown-region')).toEqual({});
    expect(stackEnvironment(undefined)).toEqual({});
  });
});
