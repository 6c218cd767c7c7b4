import * as net from 'node:net';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from './helpers/run-cli';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('warnings in the CLI output', () => {
  it.runIf(Number(process.versions.node.split('.')[0]) < 22)("hides the AWS SDK's NodeVersionSupportWarning on Node 20, and no other warning", async () => {
    const probe = path.join(ROOT, 'test', 'fixtures', 'warnings', 'emit-warning.cjs');
    const result = await runCli(['status', '--stack', 'Shop', '--region', 'us-east-1'], {
      cwd: ROOT,
      env: {
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL: `http://127.0.0.1:${await closedPort()}`,
        NODE_OPTIONS: `--require ${probe}`,
      },
    });
    // The SDK built its clients and sent a call: the point where it warns.
    expect(result.stderr).toMatch(/^taskgate: .*ECONNREFUSED/m);
    expect(result.code).not.toBe(0);
    expect(result.stderr).not.toContain('NodeVersionSupportWarning');
    expect(result.stderr).toContain('TaskgateProbeWarning: a warning taskgate must not hide');
  });
});
