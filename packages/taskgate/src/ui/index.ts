export { UiActions, type RedriveFilter, type RedriveJob } from './actions';
export { UiData, type GateView, type RunFilter, type ScheduleView, type UiSnapshot } from './data';
export { errorSignature, groupFailures, type FailureGroup } from './failures';
export { RequestGuard, TOKEN_HEADER } from './guard';
export { startUiServer, uiRoutes, type UiRoutes, type UiServer } from './server';
