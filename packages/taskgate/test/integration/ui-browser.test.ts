import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqsClient } from '../helpers/local-servers';
import { taskgateDev, waitFor, type TaskgateDev } from '../helpers/taskgate-dev';

/** Debian's chromium, as .ci/run installs it. */
const CHROMIUM = '/usr/bin/chromium';
/** Headless, and nothing that reaches the network on its own. */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const noBrowser = !fs.existsSync(CHROMIUM) && !process.env.CI;

/** One raw request with any Host and Origin, as another site or a DNS-rebound name would send it. */
function raw(url: string, options: { method: string; path: string; headers: Record<string, string>; body?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: new URL(url).port, path: options.path, method: options.method, headers: options.headers }, (response) => {
      response.resume();
      resolve(response.statusCode!);
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

describe('the operator page of the embedded runtime', () => {
  let app: TaskgateDev;
  let sqs: SQSClient;
  let host: string;
  const flag = path.join(os.tmpdir(), `taskgate-ui-flag-${process.pid}`);

  beforeAll(async () => {
    app = await taskgateDev(['--paused']);
    sqs = sqsClient(app.config.sqsEndpoint);
    host = new URL(app.config.ui).host;
  }, 120_000);
  afterAll(async () => {
    sqs?.destroy();
    fs.rmSync(flag, { force: true });
    await app?.dispose();
  });

  it('refuses a cross-origin POST and a foreign Host, on the page API and the control API', async () => {
    const url = app.config.ui;
    const json = { 'content-type': 'application/json' };
    // Another site's page: its Origin, and no token (it cannot read the page to learn it).
    for (const route of ['/ui/api/trigger', '/api/schedules/fast-every-minute/resume', '/api/schedules/fast-every-minute/fire']) {
      expect(await raw(url, { method: 'POST', path: route, headers: { host, origin: 'https://evil.example', ...json }, body: '{"task":"fixture-fast"}' }), route).toBe(403);
      // Even with the token, another site's Origin is refused.
      expect(await raw(url, { method: 'POST', path: route, headers: { host, origin: 'https://evil.example', 'x-taskgate-token': app.config.token, ...json }, body: '{}' }), route).toBe(403);
      // A DNS-rebound name points at 127.0.0.1 but says its own Host.
      expect(await raw(url, { method: 'POST', path: route, headers: { host: `evil.example:${new URL(url).port}`, 'x-taskgate-token': app.config.token, ...json }, body: '{}' }), route).toBe(421);
    }
    expect(await raw(url, { method: 'GET', path: '/', headers: { host: `evil.example:${new URL(url).port}` } })).toBe(421);
    expect(await raw(url, { method: 'GET', path: '/ui/api/snapshot', headers: { host: `evil.example:${new URL(url).port}` } })).toBe(421);
    // Nothing was fired or resumed.
    const schedules = (await (await fetch(`${url}/api/schedules`)).json()) as Array<{ enabled: boolean }>;
    expect(schedules.every((schedule) => !schedule.enabled)).toBe(true);
  });

  describe.skipIf(noBrowser)('in headless Chromium', () => {
    let context: BrowserContext;
    let page: Page;
    let profile: string;

    beforeAll(async () => {
      profile = fs.mkdtempSync(path.join(os.tmpdir(), 'taskgate-chromium-'));
      context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
      page = context.pages()[0] ?? (await context.newPage());
      // Offline: the page may load nothing but its own origin.
      await page.route('**/*', (route) => (route.request().url().startsWith(app.config.ui) ? route.continue() : route.abort()));
      const bytes: Record<string, number> = {};
      page.on('response', async (response) => (bytes[new URL(response.url()).pathname] = (await response.body()).length));
      await page.goto(app.config.ui);
      await page.waitForSelector('#gates tbody tr[data-gate="default"]');
      // Reported, not asserted: the page's weight and how soon it shows data.
      const timing = await page.evaluate(() => ({
        firstPaint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
        firstRender: performance.getEntriesByName('taskgate:first-render')[0]?.startTime,
      }));
      console.info(`operator page: ${JSON.stringify(bytes)} bytes; first contentful paint ${timing.firstPaint?.toFixed(0)} ms, data shown ${timing.firstRender?.toFixed(0)} ms after navigation`);
    }, 60_000);
    afterAll(async () => {
      await context?.close();
      if (profile) fs.rmSync(profile, { recursive: true, force: true });
    });

    async function trigger(task: string, fields: Record<string, string>): Promise<string> {
      await page.selectOption('#trigger [name=task]', task);
      for (const [name, value] of Object.entries(fields)) await page.fill(`#trigger-fields input[name="${name}"]`, value);
      await page.click('#trigger button[type=submit]');
      await page.waitForSelector('#trigger-result:not(:has-text("sending"))');
      return (await page.textContent('#trigger-result')) ?? '';
    }

    it('shows a run the test triggered', async () => {
      const sent = await trigger('fixture-fast', { n: '5' });
      const runId = /run id (\S+)/.exec(sent)![1]!;
      await page.waitForSelector(`#runs tr[data-run="${runId}"] .status-succeeded`, { timeout: 30_000 });
      await page.click(`#runs tr[data-run="${runId}"]`);
      expect(await page.textContent('#run-payload')).toContain('"n": 5');
      expect(await page.textContent('#run-detail')).toContain('manual');
    });

    it('shows a bad payload\'s error on its field', async () => {
      const answer = await trigger('fixture-flaky', { order: 'soon' });
      expect(answer).toMatch(/fails its schema/);
      expect(await page.textContent('#trigger .field-error[data-field="order"]')).toMatch(/order: Invalid input: expected number/);
      expect(await page.textContent('#trigger .field-error[data-field="failWhile"]')).toMatch(/failWhile: Invalid input: expected string/);
    });

    it('shows dead letters with their reason in their group, and a redrive of the group empties the DLQ and the runs then succeed', async () => {
      fs.writeFileSync(flag, 'the order service is down');
      const ids = [];
      for (const order of ['4711', '815']) ids.push(/run id (\S+)/.exec(await trigger('fixture-flaky', { order, failWhile: flag }))![1]!);
      const group = '#failures tr[data-group="task-permanent|the order service refused order <n> at <time>"]';
      await page.waitForSelector(`${group}:has-text("2 in DLQ")`, { timeout: 30_000 });
      expect(await page.textContent(group)).toMatch(/task-permanent.*the order service refused order <n> at <time>/);
      // The gate table and the failure groups come from separate reads of one refresh cycle.
      await page.waitForSelector('#gates tr[data-gate="default"]:has-text("2 dead letters")', { timeout: 15_000 });
      expect(await page.getAttribute('#gates tr[data-gate="default"]', 'class')).toBe('hot');

      // The downstream is back: redrive the group, after its dry-run count.
      fs.rmSync(flag);
      await page.click(`${group} button`);
      await page.waitForSelector('#redrive-count');
      expect(await page.textContent('#redrive-count')).toMatch(/^2 dead letter\(s\) of group task-permanent would go back .*2 on default/);
      await page.click('#redrive-confirm');
      await page.waitForSelector('#jobs [data-job="done"]', { timeout: 30_000 });
      for (const id of ids) await page.waitForSelector(`#runs tr[data-run="${id}"] .status-succeeded`, { timeout: 30_000 });
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: app.config.gates.default!.dlqUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      expect(Attributes).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
      await waitFor('the group to go', async () => ((await page.$(group)) === null ? true : undefined));
      expect(await page.getAttribute('#gates tr[data-gate="default"]', 'class')).toBe('');
    });
  });
});
