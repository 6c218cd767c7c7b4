import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { FunctionHost } from '../src/local/function-host';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-host-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it("counts the function timeout from the end of a cold start's init, as Lambda does", async () => {
  // A bundle whose load takes 1.5 s (a big bundle on a busy machine) and whose handler reports the time it was given.
  fs.writeFileSync(
    path.join(dir, 'index.js'),
    'const end = Date.now() + 1500; while (Date.now() < end) {}\nexports.handler = async (_event, context) => ({ remainingMs: context.getRemainingTimeInMillis() });\n',
  );
  const host = new FunctionHost({
    functionName: 'slow-init',
    assetPath: dir,
    handler: 'index.handler',
    timeoutSeconds: 2,
    memoryMb: 128,
    environment: {},
    region: 'us-east-1',
    accountId: '000000000000',
    onLog: () => undefined,
  });
  try {
    const result = await host.invoke({});
    expect(result.ok).toBe(true);
    // Without the fix the 1.5 s load came out of the 2 s: about 500 ms were left.
    expect((result as { result: { remainingMs: number } }).result.remainingMs).toBeGreaterThan(1_500);
  } finally {
    await host.close();
  }
});
