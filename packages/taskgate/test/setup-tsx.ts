import { register } from 'tsx/cjs/api';

// A CDK app runs under tsx (cdk.json's "npx tsx bin/app.ts"), so the Taskgate construct can load a
// TypeScript task module with require(); the test workers get the same loader.
register();
