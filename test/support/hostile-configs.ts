/**
 * Seeded `.github/rollgate.yml` files for fuzzing the configuration parser and the App: plausible
 * structure (environments `env0`, `env1`, …) with hostile keys and values, names that differ only
 * in case, broken YAML now and then. The same seed gives the same files.
 */
import { HOSTILE_PIECES, hostileText } from './gfm.ts';

/** A seeded configuration file: plausible structure, hostile keys and values, broken YAML now and then. */
export function hostileConfig(random: () => number): string {
  const value = (): string => {
    const roll = random();
    if (roll < 0.3) return JSON.stringify(hostileText(random, 4));
    if (roll < 0.4) return String(Math.floor(random() * 10) - 3);
    if (roll < 0.5) return '[release, prerelease, push, nope]';
    if (roll < 0.6) return '{ days: Mon-Fri, hours: "17:00-09:00", timezone: Mars/Olympus }';
    if (roll < 0.7) return 'https://example.com';
    return hostileText(random, 3).replace(/\n/g, ' ');
  };
  const keys = [
    'url',
    'production',
    'transient',
    'auto_deploy',
    'requires',
    'windows',
    'freezes',
    'urll',
    'approvals',
  ];
  const environments = Array.from({ length: 1 + Math.floor(random() * 6) }, (_, index) => {
    const name = random() < 0.8 ? `env${index}` : random() < 0.5 ? `Env${index - 1}` : hostileText(random, 2);
    const lines = Array.from({ length: Math.floor(random() * 5) }, () => {
      const key = keys[Math.floor(random() * keys.length)] ?? 'url';
      if (key === 'requires')
        return `    requires: { approvals: ${value()}, approvers: [${value()}], deployed_to: env${Math.floor(random() * 8)}, checks: ${value()} }`;
      if (key === 'freezes')
        return `    freezes: [{ from: 2026-12-20, to: ${random() < 0.5 ? '2026-12-01' : value()} }]`;
      return `    ${key}: ${value()}`;
    });
    return [`  ${JSON.stringify(name)}:${lines.length === 0 ? ' {}' : ''}`, ...lines].join('\n');
  });
  let text = [
    random() < 0.1 ? `_extends: ${value()}` : '',
    'environments:',
    ...environments,
    random() < 0.5 ? `commands:\n  permission: ${value()}\n  allow_forks: ${value()}` : '',
  ].join('\n');
  if (random() < 0.1) text = text.replace(/ {4}/g, '\t');
  if (random() < 0.05) text += `\n${HOSTILE_PIECES[Math.floor(random() * HOSTILE_PIECES.length)] ?? ''}: [`;
  return text;
}

/**
 * A seeded file the parser accepts: environments `env0`…`envN` with values a real team writes
 * (URLs, production flags, auto-deploys, approvals, the command permission), so that a fuzz
 * also reaches the commands' real work and not only the refusal of a broken file.
 */
export function plausibleConfig(random: () => number): string {
  const environments = Array.from({ length: 1 + Math.floor(random() * 4) }, (_, index) => {
    const lines = [`  env${index}:`, `    url: https://env${index}.example.com`];
    if (random() < 0.3) lines.push('    production: true');
    if (random() < 0.3) lines.push('    auto_deploy: [release]');
    if (random() < 0.2) lines.push(`    requires: { approvals: ${1 + Math.floor(random() * 2)} }`);
    return lines.join('\n');
  });
  const permission = random() < 0.2 ? 'admin' : 'write';
  return ['environments:', ...environments, 'commands:', `  permission: ${permission}`, ''].join('\n');
}
