import type { TestProject } from 'vitest/node';
import { startLocalServers } from './helpers/local-servers';

declare module 'vitest' {
  export interface ProvidedContext {
    sqsEndpoint: string;
    dynamodbEndpoint: string;
  }
}

/** One embedded SQS (fauxqs) and DynamoDB (dynalite) for the integration suites, on free loopback ports. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const servers = await startLocalServers();
  project.provide('sqsEndpoint', servers.sqsEndpoint);
  project.provide('dynamodbEndpoint', servers.dynamodbEndpoint);
  return () => servers.close();
}
