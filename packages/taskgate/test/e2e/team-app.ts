import * as fs from 'node:fs';
import * as path from 'node:path';

/** The versions the package itself is built and tested with, so the team's app resolves from the npm cache. */
const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const version = (name: string) => manifest.devDependencies[name] ?? manifest.dependencies[name]!;

/**
 * A team's CDK app as its developers would write it from taskgate's README: its own package.json
 * and cdk.json, one task module on full `zod`, one stack with a gate and a schedule. File → content.
 */
export function TEAM_APP(tarball: string): Record<string, string> {
  return {
    'package.json': JSON.stringify(
      {
        name: 'team-app',
        private: true,
        type: 'commonjs',
        dependencies: {
          taskgate: `file:${tarball}`,
          'aws-cdk-lib': version('aws-cdk-lib'),
          constructs: version('constructs'),
          zod: version('zod'),
        },
        devDependencies: {
          'aws-cdk': version('aws-cdk'),
          tsx: version('tsx'),
          typescript: version('typescript'),
          '@types/node': version('@types/node'),
        },
      },
      null,
      2,
    ),
    'cdk.json': JSON.stringify({ app: 'npx tsx bin/app.ts', notices: false, context: { 'cli-telemetry': false } }, null, 2),
    'tsconfig.json': JSON.stringify(
      {
        compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: true, noEmit: true, types: ['node'] },
        include: ['bin', 'lib', 'lambdas'],
      },
      null,
      2,
    ),
    'lambdas/tasks/index.ts': `import { z } from 'zod';
import { defineTask, PermanentError } from 'taskgate';

export const sendInvoices = defineTask({
  name: 'send-invoices',
  description: 'Sends the open invoices of one customer.',
  gate: 'billing-api',
  payload: z.object({ customer: z.string().min(1), dryRun: z.boolean().default(true) }),
  timeout: 45,
  async run({ customer, dryRun }, { logger }) {
    if (customer === 'nobody') throw new PermanentError('no such customer');
    logger.info('sending invoices', { customer, dryRun });
    return { customer, dryRun };
  },
});

export const tasks = [sendInvoices];
`,
    'lib/billing-stack.ts': `import * as path from 'node:path';
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Taskgate } from 'taskgate/cdk';
import { tasks } from '../lambdas/tasks';

export class BillingStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const taskgate = new Taskgate(this, 'Taskgate', {
      tasks,
      taskModule: path.join(__dirname, '../lambdas/tasks/index.ts'),
      gates: { 'billing-api': { concurrency: 2 } },
    });
    taskgate.schedule('send-invoices', 'rate(5 minutes)', { payload: { customer: 'acme' } });
  }
}
`,
    'bin/app.ts': `import { App } from 'aws-cdk-lib';
import { BillingStack } from '../lib/billing-stack';

new BillingStack(new App(), 'Billing');
`,
  };
}
