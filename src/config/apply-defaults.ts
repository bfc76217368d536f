import type {
  Approver,
  DeployWindow,
  EnvironmentConfig,
  EnvironmentConfigFile,
  RollgateConfig,
  RollgateConfigFile,
} from './types.ts';
import { isTimeZone, parseDays, parseHours } from './window.ts';

/**
 * The configuration the App uses, from a file that passed the schema and the semantic checks:
 * every default of rollgate.schema.json applied and every text (approvers, days, hours, zones)
 * taken apart. Throws only if called on a file that did not pass them.
 */
export function applyDefaults(file: RollgateConfigFile): RollgateConfig {
  return {
    environments: new Map(
      Object.entries(file.environments ?? {}).map(([name, environment]) => [
        name,
        environmentConfig(name, environment),
      ]),
    ),
    commands: {
      permission: file.commands?.permission ?? 'write',
      allowForks: file.commands?.allow_forks ?? false,
    },
    extends: file._extends,
  };
}

function environmentConfig(name: string, environment: EnvironmentConfigFile): EnvironmentConfig {
  const requires = environment.requires ?? {};
  return {
    name,
    url: environment.url,
    autoDeploy: environment.auto_deploy ?? [],
    production: environment.production ?? false,
    transient: environment.transient ?? false,
    requires: {
      approvals: requires.approvals ?? 0,
      approvers: (requires.approvers ?? []).map(approver),
      selfApproval: requires.self_approval ?? false,
      checks: requires.checks ?? 'success',
      deployedTo: requires.deployed_to,
      branches: requires.branches ?? [],
    },
    windows: (environment.windows ?? []).map((window) =>
      deployWindow(window.days ?? 'Mon-Sun', window.hours ?? '00:00-24:00', window.timezone ?? 'UTC'),
    ),
    freezes: (environment.freezes ?? []).map((freeze) => ({
      from: freeze.from,
      to: freeze.to,
      reason: freeze.reason,
      timezone: freeze.timezone ?? 'UTC',
    })),
  };
}

function approver(text: string): Approver {
  if (!text.startsWith('@')) return { kind: 'user', text, login: text };
  const [org = '', slug = ''] = text.slice(1).split('/');
  return { kind: 'team', text, org, slug };
}

function deployWindow(daysText: string, hoursText: string, timezone: string): DeployWindow {
  const days = parseDays(daysText);
  const hours = parseHours(hoursText);
  if (days === undefined || hours === undefined || !isTimeZone(timezone))
    throw new Error(`applyDefaults was given an unchecked window: ${daysText} ${hoursText} ${timezone}`);
  return { days, ...hours, timezone, label: `${daysText} ${hoursText} ${timezone}` };
}
