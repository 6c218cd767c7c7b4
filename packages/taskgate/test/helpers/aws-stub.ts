import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** An AWS error the stub answers an operation with. */
export interface StubError {
  readonly code: string;
  readonly message: string;
}

export interface AwsStub {
  /** For AWS_ENDPOINT_URL. */
  readonly endpoint: string;
  /** Operation name (DescribeStacks, PurgeQueue...) → the error to answer it with; successes otherwise. */
  readonly errors: Map<string, StubError>;
  close(): Promise<void>;
}

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A stand-in for AWS's wire protocols, just enough for `taskgate --stack` to load a stack and reach
 * its queues, and to answer chosen operations with the errors AWS sends: CloudFormation's query
 * protocol (DescribeStacks with `outputs`, GetTemplate with `template`) and SQS's JSON protocol
 * (GetQueueAttributes). The SDK's real clients, middleware and error parsing run against it.
 */
export async function startAwsStub(stackName: string, outputs: Readonly<Record<string, string>>, template: object = { Resources: {} }): Promise<AwsStub> {
  const errors = new Map<string, StubError>();
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const target = request.headers['x-amz-target'];
      const json = typeof target === 'string';
      const operation = json ? target.split('.').pop()! : new URLSearchParams(body).get('Action') ?? '';
      const error = errors.get(operation);
      if (error && json) {
        // SQS's JSON protocol keeps its query-protocol error codes in a header.
        response.writeHead(403, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': `${error.code};Sender` });
        response.end(JSON.stringify({ __type: `com.amazon.coral.service#${error.code}Exception`, message: error.message }));
      } else if (error) {
        response.writeHead(403, { 'content-type': 'text/xml' });
        response.end(`<ErrorResponse><Error><Type>Sender</Type><Code>${error.code}</Code><Message>${xml(error.message)}</Message></Error><RequestId>stub</RequestId></ErrorResponse>`);
      } else if (json) {
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify({ Attributes: { ApproximateNumberOfMessages: '3', ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0' } }));
      } else {
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end(queryResult(operation, stackName, outputs, template));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    errors,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function queryResult(operation: string, stackName: string, outputs: Readonly<Record<string, string>>, template: object): string {
  const result =
    operation === 'GetTemplate'
      ? `<TemplateBody>${xml(JSON.stringify(template))}</TemplateBody>`
      : `<Stacks><member><StackName>${stackName}</StackName><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime><Outputs>${Object.entries(
          outputs,
        )
          .map(([key, value]) => `<member><OutputKey>${key}</OutputKey><OutputValue>${xml(value)}</OutputValue></member>`)
          .join('')}</Outputs></member></Stacks>`;
  return `<${operation}Response><${operation}Result>${result}</${operation}Result></${operation}Response>`;
}
