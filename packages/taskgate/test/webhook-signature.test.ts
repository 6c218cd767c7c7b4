import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSecrets, signatureHeader, verifyWebhook, webhookId, WebhookSecretError, WebhookVerificationError } from '../src/worker/webhook/signature';
import vectors from './fixtures/webhooks/standard-webhooks-vectors.json';

const { sign } = vectors;
const at = new Date(sign.timestamp * 1000);
const headersWith = (signature: string) => ({ 'webhook-id': sign.id, 'webhook-timestamp': String(sign.timestamp), 'webhook-signature': signature });

describe('Standard Webhooks signatures (the specification\'s test vectors)', () => {
  it('signs the published vector to the published signature, with or without the whsec_ prefix', () => {
    for (const secret of [sign.secret, vectors.unprefixedSecret]) {
      expect(signatureHeader(parseSecrets(secret), sign.id, sign.timestamp, sign.payload)).toBe(sign.signature);
    }
  });

  for (const vector of vectors.verify) {
    it(`verifies: ${vector.name} → ${vector.valid ? 'valid' : 'refused'}`, () => {
      const verify = () => verifyWebhook(sign.secret, headersWith(vector.signature), sign.payload, { now: at });
      if (vector.valid) expect(verify()).toEqual({ id: sign.id, timestamp: at });
      else expect(verify).toThrow(WebhookVerificationError);
    });
  }

  it('reads header names in any case, from a fetch Headers too', () => {
    const mixed = { 'Webhook-Id': sign.id, 'WEBHOOK-TIMESTAMP': String(sign.timestamp), 'webhook-SIGNATURE': sign.signature };
    expect(verifyWebhook(sign.secret, mixed, sign.payload, { now: at }).id).toBe(sign.id);
    expect(verifyWebhook(sign.secret, new Headers(headersWith(sign.signature)), Buffer.from(sign.payload), { now: at }).id).toBe(sign.id);
  });

  it('refuses a body changed by one character, a missing header and a timestamp outside the tolerance', () => {
    expect(() => verifyWebhook(sign.secret, headersWith(sign.signature), sign.payload.replace('2', '3'), { now: at })).toThrow(/no webhook-signature entry matches/);
    const { 'webhook-id': _id, ...noId } = headersWith(sign.signature);
    expect(() => verifyWebhook(sign.secret, noId, sign.payload, { now: at })).toThrow(/no webhook-id header/);
    const late = new Date(at.getTime() + 301_000);
    expect(() => verifyWebhook(sign.secret, headersWith(sign.signature), sign.payload, { now: late })).toThrow(/outside the tolerance of 300s/);
    expect(verifyWebhook(sign.secret, headersWith(sign.signature), sign.payload, { now: late, toleranceSeconds: 600 }).id).toBe(sign.id);
    const early = new Date(at.getTime() - 301_000);
    expect(() => verifyWebhook(sign.secret, headersWith(sign.signature), sign.payload, { now: early })).toThrow(WebhookVerificationError);
  });

  it('sends one signature per active secret, and a receiver with either secret verifies', () => {
    const [oldSecret, newSecret] = [`whsec_${randomBytes(32).toString('base64')}`, `whsec_${randomBytes(32).toString('base64')}`];
    const header = signatureHeader(parseSecrets(`${newSecret} ${oldSecret}`), 'run-1', sign.timestamp, sign.payload);
    expect(header.split(' ')).toHaveLength(2);
    const headers = { 'webhook-id': 'run-1', 'webhook-timestamp': String(sign.timestamp), 'webhook-signature': header };
    for (const receiver of [oldSecret, newSecret, [oldSecret, newSecret]]) expect(verifyWebhook(receiver, headers, sign.payload, { now: at }).id).toBe('run-1');
    expect(() => verifyWebhook(`whsec_${randomBytes(32).toString('base64')}`, headers, sign.payload, { now: at })).toThrow(WebhookVerificationError);
  });

  it('refuses secrets outside the specification, without quoting them', () => {
    const short = `whsec_${randomBytes(16).toString('base64')}`;
    expect(() => parseSecrets(short)).toThrow(/24 to 64 random bytes \(it decodes to 16 bytes\)/);
    expect(() => parseSecrets(short)).not.toThrow(new RegExp(short.slice(6, 20).replace(/[+/]/g, '.')));
    expect(() => parseSecrets('whsec_not*base64')).toThrow(WebhookSecretError);
    expect(() => parseSecrets('  ')).toThrow(/is empty/);
    const three = Array.from({ length: 3 }, () => `whsec_${randomBytes(32).toString('base64')}`).join(' ');
    expect(() => parseSecrets(three)).toThrow(/holds 3 secrets; at most 2/);
  });

  it('uses the run id as webhook-id when a header can carry it, else a stable hash of task and run id', () => {
    expect(webhookId('notify', '2026-11-25T13:44:00.000Z')).toBe('2026-11-25T13:44:00.000Z');
    const derived = webhookId('notify', 'order 42 – ünïcode');
    expect(derived).toMatch(/^tg_[A-Za-z0-9_-]{32}$/);
    expect(webhookId('notify', 'order 42 – ünïcode')).toBe(derived);
    expect(webhookId('other-task', 'order 42 – ünïcode')).not.toBe(derived);
    expect(webhookId('notify', 'x'.repeat(201))).toMatch(/^tg_/);
  });
});

describe('the README\'s receiver snippets', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

  it('the Python snippet verifies the published vector and refuses a changed body', (context) => {
    const python = /```python\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(python, 'README.md has a ```python block').toBeDefined();
    const check = (body: string) =>
      execFileSync('python3', ['-c', `${python}\nimport sys\nprint(verify(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].encode(), now=int(sys.argv[3])))`, sign.secret, sign.id, String(sign.timestamp), sign.signature, body], {
        encoding: 'utf8',
      }).trim();
    try {
      execFileSync('python3', ['--version']);
    } catch {
      context.skip('no python3 on this machine: the Python snippet cannot be run here');
    }
    expect(check(sign.payload)).toBe('True');
    expect(check(sign.payload.replace('2', '3'))).toBe('False');
  });

  it('the Go snippet verifies the published vector and refuses a changed body', (context) => {
    try {
      execFileSync('go', ['version']);
    } catch {
      context.skip('no Go toolchain on this machine: the Go snippet cannot be compiled here');
    }
    const go = /```go\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(go, 'README.md has a ```go block').toBeDefined();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-go-snippet-'));
    try {
      const [imports, rest] = [go!.slice(0, go!.indexOf(')\n') + 2), go!.slice(go!.indexOf(')\n') + 2)];
      // The vector is from 2021: a tolerance of 200 years lets its timestamp through.
      const main = `package main\n${imports.replace('import (', 'import (\n\t"fmt"\n\t"os"')}${rest}
func main() { fmt.Print(Verify(os.Args[1], os.Args[2], os.Args[3], os.Args[4], []byte(os.Args[5]), 200*365*24*time.Hour)) }
`;
      fs.writeFileSync(path.join(dir, 'main.go'), main);
      const run = (body: string) => execFileSync('go', ['run', 'main.go', sign.secret, sign.id, String(sign.timestamp), sign.signature, body], { cwd: dir, encoding: 'utf8', env: { ...process.env, GOCACHE: path.join(dir, 'cache'), GO111MODULE: 'off' } });
      expect(run(sign.payload)).toBe('true');
      expect(run(sign.payload.replace('2', '3'))).toBe('false');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
