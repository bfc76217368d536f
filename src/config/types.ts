/**
 * `.github/rollgate.yml` twice over: as the file holds it (`RollgateConfigFile`, the shape
 * rollgate.schema.json describes, every key optional) and as the App uses it (`RollgateConfig`,
 * every default applied and every text parsed, so no code past the parser checks it again).
 */

/** Events that deploy to an environment without a command. */
export type AutoDeployTrigger = 'release' | 'prerelease' | 'push';

/** `success`: every check on the ref must have passed; `none`: checks are not looked at. */
export type ChecksRequirement = 'success' | 'none';

/** GitHub's repository permission levels, least to most. */
export type RepositoryPermission = 'read' | 'triage' | 'write' | 'maintain' | 'admin';

/** Days of the week as `windows.days` spells them, Monday first (ISO 8601). */
export type Weekday = 'Mon' | 'Tue' | 'Wed' | 'Thu' | 'Fri' | 'Sat' | 'Sun';

export interface RollgateConfig {
  /** By name, in the order of the file. */
  readonly environments: ReadonlyMap<string, EnvironmentConfig>;
  readonly commands: CommandsConfig;
  /**
   * `_extends` when the parsed text had one: then the text is only part of the configuration,
   * and Probot's `context.config` (which merges the base and drops the key) gives the whole.
   */
  readonly extends: string | undefined;
}

export interface EnvironmentConfig {
  readonly name: string;
  readonly url: string | undefined;
  readonly autoDeploy: readonly AutoDeployTrigger[];
  /** GitHub Deployment `production_environment`. */
  readonly production: boolean;
  /** GitHub Deployment `transient_environment`. */
  readonly transient: boolean;
  readonly requires: EnvironmentRequirements;
  /** Empty: deploys may start at any time. */
  readonly windows: readonly DeployWindow[];
  readonly freezes: readonly DeployFreeze[];
}

export interface EnvironmentRequirements {
  /** Distinct eligible `/approve`s needed; 0 when no approval is needed. */
  readonly approvals: number;
  /** Empty: anyone with `commands.permission` may approve. */
  readonly approvers: readonly Approver[];
  readonly selfApproval: boolean;
  readonly checks: ChecksRequirement;
  /** Another environment (always one of this configuration) where the sha must be live and healthy first. */
  readonly deployedTo: string | undefined;
  /** Branch names and globs; empty: any branch. */
  readonly branches: readonly string[];
}

/** An entry of `requires.approvers`, as written (`text`) and taken apart. */
export type Approver =
  | { readonly kind: 'user'; readonly text: string; readonly login: string }
  | { readonly kind: 'team'; readonly text: string; readonly org: string; readonly slug: string };

/**
 * A `windows` entry: deploys may start on `days` from `startMinute` up to (not including) `endMinute`.
 * An `endMinute` at or before `startMinute` ends on the next day (`22:00-06:00`): the window belongs
 * to the day it starts on.
 */
export interface DeployWindow {
  /** Monday first, each day once. */
  readonly days: readonly Weekday[];
  /** Minutes after midnight, 0–1439. */
  readonly startMinute: number;
  /** Minutes after midnight, 1–1440 (24:00), never equal to `startMinute`; before it: the next day. */
  readonly endMinute: number;
  /** An IANA zone name as written (`Europe/Berlin`); Intl accepts it. */
  readonly timezone: string;
  /** The window as a person reads it: `Mon-Fri 09:00-17:00 Europe/Berlin`. */
  readonly label: string;
}

/** A `freezes` entry: whole days, both included, as `YYYY-MM-DD` (which compare as text), in `timezone`. */
export interface DeployFreeze {
  readonly from: string;
  readonly to: string;
  readonly reason: string | undefined;
  /** An IANA zone name as written (`UTC` unless the file says otherwise); Intl accepts it. */
  readonly timezone: string;
}

export interface CommandsConfig {
  /** The least permission a commenter needs for a command to be acted on. */
  readonly permission: RepositoryPermission;
  /** Whether commands on pull requests from forks may deploy them. */
  readonly allowForks: boolean;
}

/** The file as written, once it satisfies rollgate.schema.json. */
export interface RollgateConfigFile {
  readonly _extends?: string;
  readonly environments?: Readonly<Record<string, EnvironmentConfigFile>>;
  readonly commands?: {
    readonly permission?: RepositoryPermission;
    readonly allow_forks?: boolean;
  };
}

export interface EnvironmentConfigFile {
  readonly url?: string;
  readonly auto_deploy?: readonly AutoDeployTrigger[];
  readonly production?: boolean;
  readonly transient?: boolean;
  readonly requires?: {
    readonly approvals?: number;
    readonly approvers?: readonly string[];
    readonly self_approval?: boolean;
    readonly checks?: ChecksRequirement;
    readonly deployed_to?: string;
    readonly branches?: readonly string[];
  };
  readonly windows?: readonly {
    readonly days?: string;
    readonly hours?: string;
    readonly timezone?: string;
  }[];
  readonly freezes?: readonly {
    readonly from: string;
    readonly to: string;
    readonly reason?: string;
    readonly timezone?: string;
  }[];
}
