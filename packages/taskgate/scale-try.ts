import { Stack } from 'aws-cdk-lib';
import { App } from 'aws-cdk-lib';
const testApp = () => new App({ outdir: '/tmp/scale-out', context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
import { scaleGateNames, scaleSchedule, scaleTasks, taskgateStack } from './test/helpers/apps';
const t0 = Date.now();
const app = testApp();
const tasks = scaleTasks(100);
const { stack, taskgate } = taskgateStack(app, { tasks, nestedStacks: true, gates: Object.fromEntries(scaleGateNames(100).map((g, i) => [g, { concurrency: i === 0 ? 1 : 3 }])) }, 'ScaleApp');
for (let n = 0; n < 2000; n++) {
  const { task, expression, timeZone } = scaleSchedule(n, tasks);
  taskgate.schedule(task, expression, { timeZone });
}
const asm = app.synth();
console.log('synth ms', Date.now() - t0);
for (const s of asm.stacks) {
  const t = s.template;
  console.log(s.stackName, Object.keys(t.Resources).length, Object.keys(t.Outputs ?? {}).length, Object.keys(t.Parameters ?? {}).length, JSON.stringify(t).length);
}
const fs = require('fs');
console.log(fs.readdirSync(asm.directory).filter((f: string) => f.includes('nested')).length, asm.directory);
import { readTemplate } from './src/local/template';
const model = readTemplate('/tmp/scale-out/ScaleApp.template.json', 'ScaleApp');
console.log('model', model.queues.size, model.functions.size, model.mappings.length, model.schedules.length, model.rules.length, model.tables.size, model.warnings.slice(0, 5));
const s0 = model.schedules[0]!; console.log(s0.logicalId, s0.name, s0.queue, s0.render(new Date()));
const fn = [...model.functions.values()][0]!; console.log(JSON.stringify(fn.environment).slice(0, 600));
