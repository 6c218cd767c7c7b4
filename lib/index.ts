export * from './gate';
export * from './task-schedule';
export * from './taskgate';
export * from './app-stack';
export * from './outputs';
export * from './schedule-expression';
