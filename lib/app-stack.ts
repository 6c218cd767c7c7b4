import * as path from 'node:path';
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Taskgate } from 'taskgate/cdk';
import { tasks } from '../lambdas/tasks';

/**
 * The app's stack: the gates and, one line each, the schedules. Edit this file to add a schedule.
 */
export class AppStack extends Stack {
  readonly taskgate: Taskgate<(typeof tasks)[number]>;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.taskgate = new Taskgate(this, 'Taskgate', {
      tasks,
      // The module that exports `tasks`: every gate's worker bundles it.
      taskModule: path.join(__dirname, '..', 'lambdas', 'tasks', 'index.ts'),
      gates: {
        default: { concurrency: 5 },
        'email-api': { concurrency: 2 },
        'rates-api': { concurrency: 1 },
        // A partner that takes 2 requests at once and at most 5 a second (bursts of 10): after an
        // outage its backlog drains at that rate instead of flooding it.
        'partner-api': { concurrency: 2, rate: { perSecond: 5, burst: 10 } },
      },
      // Where notify-partner-of-order posts: `cdk deploy -c partnerWebhookUrl=https://...` per
      // deployment; locally a receiver on this machine (the embedded runtime also takes
      // PARTNER_WEBHOOK_URL from your shell).
      webhookUrls: { PARTNER_WEBHOOK_URL: this.node.tryGetContext('partnerWebhookUrl') ?? 'http://127.0.0.1:4010/orders' },
      // The request API: POST /tasks/{name} over HTTPS, IAM-authorized (also served by `npm start`).
      api: { rateLimit: 20, burstLimit: 40 },
    });

    this.taskgate.schedule('cleanup-stray-instances', 'rate(1 hour)');
    this.taskgate.schedule('send-delivery-reminders', 'cron(0 9 * * ? *)', { timeZone: 'Europe/Berlin', payload: { market: 'de' } });
    this.taskgate.schedule('refresh-exchange-rates', 'cron(0/15 * * * ? *)', { payload: { currencies: ['EUR', 'USD', 'CHF'] } });
    this.taskgate.schedule('release-expired-inventory-holds', 'rate(1 minute)');
  }
}
