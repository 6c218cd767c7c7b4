/**
 * On Node 20 the AWS SDK for JavaScript v3 warns, once per process and once per worker thread, that
 * its releases after January 2027 need Node 22 (`NodeVersionSupportWarning`, from @aws-sdk/core's
 * emitWarningIfUnsupportedVersion). Nobody running the CLI or `npm start` can act on it: taskgate
 * supports Node 20 locally, and the deployed workers run on Lambda's Node 24. The SDK's own opt-out
 * hides exactly that warning and no other; the SDK reads it when a client is constructed.
 */
export const SDK_NODE_WARNING_OPT_OUT: Readonly<Record<string, string>> = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

/** Sets the opt-out for this process and the processes it starts (the synth), unless the user set it. */
export function hideSdkNodeWarning(env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(SDK_NODE_WARNING_OPT_OUT)) env[name] ??= value;
}
