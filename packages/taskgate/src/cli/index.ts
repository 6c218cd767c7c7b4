export { buildProgram } from './program';
export { CliError } from './errors';
export { resolveTarget, type Target, type TargetOptions } from './target';
