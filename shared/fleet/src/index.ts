export * from './services';
export {
  checkService,
  checkFleet,
  formatTable,
  exitCode,
  parseArgs,
  main as statusMain,
  DEFAULT_TIMEOUT_MS,
  USAGE as STATUS_USAGE,
} from './status';
export type { ServiceStatus, ServiceState, CheckResult, StatusTarget, StatusOptions, CliOptions } from './status';
export { extractMetricNames, extractGrafanaMetricNames } from './promql';
export { claudeInstructions } from './claude-config';
export { platformToken, resourceFor, TOKEN_USAGE } from './token';
export { planAuth, serviceAuthEnv, authInstructions } from './auth-wiring';
export type { AuthPlan } from './auth-wiring';
