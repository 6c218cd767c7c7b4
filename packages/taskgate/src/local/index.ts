export { startRuntime, type LocalRuntime, type RuntimeOutput, type StopSummary } from './runtime';
export { parseRuntimeOptions, runtimeCommand, type RuntimeOptions } from './options';
export { readLocalConfig, localConfigPath, type LocalConfig } from './local-config';
export { synthesize, type CloudAssembly } from './synth';
export { readTemplate, modelFromTemplate, type AppModel } from './template';
