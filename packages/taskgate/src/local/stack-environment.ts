import type { AppModel, FunctionModel } from './template';

/** The account in local ARNs when the template's stack names none. */
export const LOCAL_ACCOUNT_ID = '000000000000';
/** Lambda's memory when a function's template sets no MemorySize. */
export const LAMBDA_DEFAULT_MEMORY_MB = 128;

/** The account and region a stack is pinned to (its cloud assembly `environment`); absent when environment-agnostic. */
export interface StackEnvironment {
  readonly account?: string;
  readonly region?: string;
}

/** Where a function runs, as Lambda would tell it: from the template, defaulting only where it says nothing. */
export interface FunctionPlacement {
  readonly region: string;
  readonly accountId: string;
  readonly memoryMb: number;
}

/**
 * A cloud assembly stack's `environment`, `aws://<account>/<region>`; CDK writes `unknown-account`
 * and `unknown-region` for a stack without `env`, which here means "not given".
 */
export function stackEnvironment(environment: string | undefined): StackEnvironment {
  const match = /^aws:\/\/([^/]*)\/([^/]*)$/.exec(environment ?? '');
  if (!match) return {};
  const [, account, region] = match;
  return {
    ...(account && account !== 'unknown-account' ? { account } : {}),
    ...(region && region !== 'unknown-region' ? { region } : {}),
  };
}

/** The stack's region and account: the template's, else `--region` and the local account. */
export function stackPlacement(model: Pick<AppModel, 'environment'>, defaultRegion: string): Omit<FunctionPlacement, 'memoryMb'> {
  return { region: model.environment.region ?? defaultRegion, accountId: model.environment.account ?? LOCAL_ACCOUNT_ID };
}

/** The function's region, account and memory: the template's, else `--region`, the local account and Lambda's default memory. */
export function functionPlacement(model: Pick<AppModel, 'environment'>, fn: Pick<FunctionModel, 'memoryMb'>, defaultRegion: string): FunctionPlacement {
  return { ...stackPlacement(model, defaultRegion), memoryMb: fn.memoryMb ?? LAMBDA_DEFAULT_MEMORY_MB };
}
