export * from './envelope';
export * from './errors';
export * from './outputs';
export * from './registry';
export * from './schedule-expression';
export * from './task';
export * from './task-metadata';
