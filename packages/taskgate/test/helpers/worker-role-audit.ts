import { METADATA_KEYS } from '../../src/core/outputs';

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}
type Resources = Readonly<Record<string, Resource>>;
interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** The logical ids an intrinsic refers to (Ref, Fn::GetAtt), pseudo parameters left out. */
function referencedIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(referencedIds);
  if (value === null || typeof value !== 'object') return [];
  const object = value as Record<string, unknown>;
  if (typeof object.Ref === 'string') return object.Ref.startsWith('AWS::') ? [] : [object.Ref];
  if (Array.isArray(object['Fn::GetAtt'])) return [String(object['Fn::GetAtt'][0])];
  return Object.values(object).flatMap(referencedIds);
}

/** The literal text of a resource (Fn::Join's strings), for the ARNs built from pseudo parameters. */
function literalText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(literalText).join('');
  if (value !== null && typeof value === 'object') return Object.values(value as Record<string, unknown>).map(literalText).join('');
  return '';
}

/** What each gate owns in a template, found from the `taskgate:gate` metadata the Gate construct writes. */
function gateParts(resources: Resources) {
  const gateOf = (id: string) => resources[id]?.Metadata?.[METADATA_KEYS.gate] as string | undefined;
  const queues = Object.keys(resources).filter((id) => resources[id]!.Type === 'AWS::SQS::Queue' && gateOf(id));
  const deadLetterQueues = new Set(queues.flatMap((id) => referencedIds((resources[id]!.Properties?.RedrivePolicy as { deadLetterTargetArn?: unknown } | undefined)?.deadLetterTargetArn)));
  const workers = Object.keys(resources).filter((id) => resources[id]!.Type === 'AWS::Lambda::Function' && gateOf(id));
  return {
    gateOf,
    taskQueues: new Set(queues.filter((id) => !deadLetterQueues.has(id))),
    deadLetterQueues,
    roles: new Map(workers.map((id) => [referencedIds(resources[id]!.Properties?.Role)[0]!, { gate: gateOf(id)!, worker: id, logGroups: referencedIds(resources[id]!.Properties?.LoggingConfig) }])),
  };
}

/** Services and actions a worker role may have, and why. */
const LEDGER_ACTIONS = new Set(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
const RECEIVE_ACTIONS = new Set(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']);
const SEND_ACTIONS = new Set(['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl']);

export interface RoleAudit {
  readonly role: string;
  readonly gate: string;
  readonly statements: number;
  /** Secrets Manager actions granted (0: the gate has no secret). */
  readonly secretStatements: number;
  readonly problems: readonly string[];
}

/**
 * Each worker role's statements against what a gate's worker may touch: its own queue (receive,
 * delete, visibility) and DLQ (send), the task queues of the app's gates (send: chain), the ledger
 * table (items by key: no index, no Query or Scan, no deletes), its own log group, one-time
 * schedules in the app's group and passing the scheduler role that sends them, named SSM parameters (a webhook's
 * `fromSsm` URL), and Secrets Manager secrets of its own gate only (a secret belongs to a gate by
 * its `taskgate:gate` metadata or its logical id).
 */
export function auditWorkerRoles(template: { Resources: Resources }): RoleAudit[] {
  const resources = template.Resources;
  const { gateOf, taskQueues, deadLetterQueues, roles } = gateParts(resources);
  const policies = Object.values(resources).filter((resource) => resource.Type === 'AWS::IAM::Policy');
  const secretGate = (id: string) => gateOf(id) ?? [...new Set([...roles.values()].map((role) => role.gate))].find((gate) => id.includes(`Gate${gate}`));
  const schedulerRole = (id: string) => JSON.stringify(resources[id]?.Properties?.AssumeRolePolicyDocument ?? {}).includes('scheduler.amazonaws.com');
  return [...roles].map(([role, { gate, worker, logGroups }]) => {
    const problems: string[] = [];
    let statements = 0;
    let secretStatements = 0;
    for (const policy of policies.filter((candidate) => referencedIds(candidate.Properties?.Roles).includes(role))) {
      for (const statement of (policy.Properties!.PolicyDocument as { Statement: Statement[] }).Statement) {
        statements += 1;
        const actions = [statement.Action].flat();
        const targets = [statement.Resource].flat();
        const where = `${actions.join(',')} on ${JSON.stringify(statement.Resource)}`;
        if (statement.Effect !== 'Allow') continue;
        if (targets.some((target) => target === '*')) problems.push(`${where}: every resource`);
        for (const action of actions) {
          const ids = targets.flatMap(referencedIds);
          const all = (test: (id: string) => boolean) => ids.length > 0 && ids.every(test);
          const ok = RECEIVE_ACTIONS.has(action)
            ? all((id) => id === ownQueue(gate))
            : SEND_ACTIONS.has(action)
              ? all((id) => taskQueues.has(id) || (deadLetterQueues.has(id) && gateOf(id) === gate))
              : LEDGER_ACTIONS.has(action)
                ? all((id) => resources[id]!.Type === 'AWS::DynamoDB::Table' || resources[id]!.Type === 'AWS::DynamoDB::GlobalTable') && targets.every((target) => !literalText(target).includes('/index/'))
                : action.startsWith('logs:')
                  ? all((id) => logGroups.includes(id))
                  : action === 'scheduler:CreateSchedule'
                    ? targets.every((target) => /:schedule\/[^/*]+\/\*$/.test(literalText(target)))
                    : action === 'ssm:GetParameter'
                      ? targets.every((target) => /:parameter\/./.test(literalText(target)))
                    : action === 'iam:PassRole'
                      ? all(schedulerRole)
                      : action.startsWith('secretsmanager:')
                        ? (secretStatements++, all((id) => secretGate(id) === gate))
                        : false;
          if (!ok) problems.push(`${worker}: ${action} on ${JSON.stringify(statement.Resource)} is beyond what gate ${gate}'s worker may touch`);
        }
      }
    }
    return { role, gate, statements, secretStatements, problems };
  });

  function ownQueue(gate: string): string | undefined {
    return [...taskQueues].find((id) => gateOf(id) === gate);
  }
}

/** One AWS call a worker sent, as recorded: `sqs`, `dynamodb`, `scheduler`, `secretsmanager`, `ssm`; the operation; its input. */
export interface WorkerCall {
  readonly service: string;
  readonly operation: string;
  readonly input: Record<string, unknown>;
}

/** Where a deployment lives, to name the ARNs a call touches. */
export interface Place {
  readonly region: string;
  readonly account: string;
}

/** Actions Lambda itself takes with a worker's role, which no worker code sends: the event source mapping's on its own queue, and log delivery. */
export const LAMBDA_SERVICE_ACTIONS = {
  eventSource: new Set(['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']),
  logs: new Set(['logs:CreateLogStream', 'logs:PutLogEvents']),
} as const;

/** A DynamoDB input's item key (`Key` or `Item`), as raw attribute values or as the document client's plain values. */
function leadingKey(input: Record<string, unknown>): string | undefined {
  const item = (input.Key ?? input.Item) as Record<string, unknown> | undefined;
  const pk = item?.pk as { S?: string } | string | undefined;
  return typeof pk === 'string' ? pk : pk?.S;
}

/**
 * The IAM authorizations one recorded worker call needs: its action (SendMessageBatch is
 * authorized as SendMessage) on what it names, with `dynamodb:LeadingKeys` for an item's key and
 * the PassRole a schedule's target role implies.
 */
export function workerAuthorizations(call: WorkerCall, place: Place): Array<{ action: string; resource: string; context?: Record<string, string> }> {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${place.region}:${place.account}:${resource}`;
  const { service, operation, input } = call;
  switch (service) {
    case 'sqs': {
      const url = String(input.QueueUrl);
      const action = operation === 'SendMessageBatch' ? 'sqs:SendMessage' : `sqs:${operation}`;
      return [{ action, resource: arn('sqs', url.slice(url.lastIndexOf('/') + 1)) }];
    }
    case 'dynamodb': {
      const key = leadingKey(input);
      return [{ action: `dynamodb:${operation}`, resource: arn('dynamodb', `table/${String(input.TableName)}`), ...(key === undefined ? {} : { context: { 'dynamodb:LeadingKeys': key } }) }];
    }
    case 'scheduler': {
      const role = (input.Target as { RoleArn?: string } | undefined)?.RoleArn;
      const schedule = { action: `scheduler:${operation}`, resource: arn('scheduler', `schedule/${String(input.GroupName ?? 'default')}/${String(input.Name)}`) };
      return role ? [schedule, { action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': 'scheduler.amazonaws.com' } }] : [schedule];
    }
    case 'secretsmanager':
      return [{ action: `secretsmanager:${operation}`, resource: String(input.SecretId) }];
    case 'ssm':
      return [{ action: `ssm:${operation}`, resource: arn('ssm', `parameter/${String(input.Name).replace(/^\//, '')}`) }];
  }
  throw new Error(`${service} ${operation}: no resource mapping; add one to workerAuthorizations()`);
}
