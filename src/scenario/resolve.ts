// From a schema-checked scenario (units already parsed) to the Scenario the
// simulator consumes: defaults from docs/scenario.md filled in, guest groups
// expanded into members, the timeline sorted, and the checks that need more
// than one field (memory ≤ maxmem, unique names, guests that fit the host,
// timeline references to guests that exist at that time). Every failure is a
// Problem at a YAML path; load.ts turns it into a located ScenarioError.

import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DURATION_UNITS_NS, formatNs, formatPages, PAGE_BYTES, type SizeOrPercent } from '../lib/units.ts';
import { formatPath, Problem, type YamlPath } from './errors.ts';
import { TIMELINE_ACTIONS, type RawGuestGroup, type RawScenario, type RawTimelineEntry } from './schema.ts';
import type { AnonAccess, AnonProfile, ContentsSpec, FilesSpec, GuestSpec, Scenario, SelfballoonSpec, TimelineAction, TimelineEvent } from './types.ts';

/** At most this many guests in all, initial and launched. */
export const MAX_GUESTS = 10_000;

const GIB_PAGES = (1024 * 1024 * 1024) / PAGE_BYTES;
const MIB_PAGES = (1024 * 1024) / PAGE_BYTES;
const S_NS = Number(DURATION_UNITS_NS.s);
const MS_NS = Number(DURATION_UNITS_NS.ms);

/** The defaults of docs/scenario.md, in our units. */
export const DEFAULTS = Object.freeze({
  seed: 1,
  sampleIntervalNs: 5 * S_NS,
  workloadTickNs: S_NS / 10,
  maxEvents: 100_000_000,
  nodes: 1,
  dom0Pages: GIB_PAGES,
  policy: 'claim' as const,
  buildPagesPerS: 4 * GIB_PAGES,
  buildBatchPages: 64 * MIB_PAGES,
  swapPages: GIB_PAGES,
  kernelReservePercent: 2,
  diskLatencyNs: 5 * MS_NS,
  selfballoon: {
    intervalNs: 5 * S_NS,
    downHysteresis: 8,
    upHysteresis: 1,
    reservedPercent: 10,
    frontswapHysteresis: 20,
    frontswapInertia: 3,
  },
  anonLevelPercent: 40,
  /** As the guest model's own defaults (src/guest/config.ts): no anonymous accesses unless asked. */
  anonAccess: { ratePerS: 5000, zipf: 0.8 },
  diurnalPeriodNs: 24 * 3600 * S_NS,
  files: { workingSetPages: GIB_PAGES, ratePerS: 20_000, zipf: 0.9, scanPercent: 10, writePercent: 5 },
  contents: { zeroPercent: 5, imagePercent: 30, high: 40, medium: 40, low: 20 },
});

/** The project root, the second place a relative trace file is looked for. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function share(percent: number, path: YamlPath, of: string): number {
  if (percent > 100) throw new Problem(path, `expected a share of ${of} from 0% to 100%, found ${percent}%`);
  return percent;
}

function pagesOf(value: SizeOrPercent, wholePages: number, path: YamlPath, of: string): number {
  if ('pages' in value) return value.pages;
  return Math.floor((wholePages * share(value.percent, path, of)) / 100);
}

function atLeastOnePage(pages: number, path: YamlPath): number {
  if (pages < 1) throw new Problem(path, `expected at least one page (4KiB), found ${formatPages(pages)}`);
  return pages;
}

function positiveNs(ns: number, path: YamlPath): number {
  if (ns <= 0) throw new Problem(path, 'expected a duration longer than 0s, found 0s');
  return ns;
}

function traceFile(file: string, scenarioFile: string, path: YamlPath): string {
  const candidates = isAbsolute(file)
    ? [file]
    : [resolvePath(scenarioFile === '' ? '.' : dirname(scenarioFile), file), resolvePath(REPO_ROOT, file)];
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    if (!statSync(candidate).isFile()) throw new Problem(path, `expected a trace file, found a directory: ${candidate}`);
    return candidate;
  }
  const where = isAbsolute(file) ? '' : ' (looked beside the scenario file and in the project root)';
  throw new Problem(path, `no such trace file ${JSON.stringify(file)}${where}`);
}

function resolveAnon(raw: RawGuestGroup, path: YamlPath, scenarioFile: string): AnonProfile & AnonAccess {
  const anon = raw.workload?.anon ?? {};
  const access: AnonAccess = { ratePerS: anon.rate ?? DEFAULTS.anonAccess.ratePerS, zipf: anon.zipf ?? DEFAULTS.anonAccess.zipf };
  return { ...resolveAnonProfile(raw, path, scenarioFile), ...access };
}

function resolveAnonProfile(raw: RawGuestGroup, path: YamlPath, scenarioFile: string): AnonProfile {
  const anon = raw.workload?.anon ?? {};
  const profile = anon.profile ?? 'constant';
  const levelPercent = share(anon.level ?? DEFAULTS.anonLevelPercent, [...path, 'level'], 'maxmem');
  for (const other of ['step', 'diurnal', 'spikes', 'trace'] as const) {
    if (other !== profile && anon[other] !== undefined) {
      throw new Problem([...path, other], `only used with profile: ${other} (the profile is ${profile})`);
    }
  }
  const need = <T>(block: T | undefined): T => {
    if (block === undefined) throw new Problem([...path, profile], `required with profile: ${profile}`);
    return block;
  };
  switch (profile) {
    case 'constant':
      return { profile, levelPercent };
    case 'step': {
      const step = need(anon.step);
      return { profile, levelPercent, atNs: step.at, stepLevelPercent: share(step.level, [...path, 'step', 'level'], 'maxmem') };
    }
    case 'diurnal': {
      const d = need(anon.diurnal);
      return {
        profile,
        levelPercent,
        peakPercent: share(d.peak, [...path, 'diurnal', 'peak'], 'maxmem'),
        periodNs: positiveNs(d.period ?? DEFAULTS.diurnalPeriodNs, [...path, 'diurnal', 'period']),
        phaseNs: d.phase ?? 0,
      };
    }
    case 'spikes': {
      const s = need(anon.spikes);
      const everyNs = positiveNs(s.every, [...path, 'spikes', 'every']);
      const lengthNs = positiveNs(s.length, [...path, 'spikes', 'length']);
      if (lengthNs >= everyNs) {
        throw new Problem([...path, 'spikes', 'length'], `expected a spike shorter than every (${formatNs(everyNs)}), found ${formatNs(lengthNs)}`);
      }
      return {
        profile,
        levelPercent,
        peakPercent: share(s.peak, [...path, 'spikes', 'peak'], 'maxmem'),
        everyNs,
        lengthNs,
        jitterNs: s.jitter ?? 0,
      };
    }
    case 'trace': {
      const t = need(anon.trace);
      return {
        profile,
        levelPercent,
        file: traceFile(t.file, scenarioFile, [...path, 'trace', 'file']),
        scalePercent: t.scale ?? 100,
        offsetNs: t.offset ?? 0,
      };
    }
  }
}

function resolveFiles(raw: RawGuestGroup, maxmemPages: number, path: YamlPath): FilesSpec {
  const files = raw.workload?.files ?? {};
  const d = DEFAULTS.files;
  return {
    workingSetPages:
      files.working_set === undefined ? d.workingSetPages : pagesOf(files.working_set, maxmemPages, [...path, 'working_set'], 'maxmem'),
    ratePerS: files.rate ?? d.ratePerS,
    zipf: files.zipf ?? d.zipf,
    scanPercent: share(files.scan_share ?? d.scanPercent, [...path, 'scan_share'], 'accesses'),
    writePercent: share(files.write_share ?? d.writePercent, [...path, 'write_share'], 'accesses'),
    deleteEveryNs: files.delete_every ?? 0,
  };
}

function resolveContents(raw: RawGuestGroup, path: YamlPath): ContentsSpec {
  const contents = raw.workload?.contents ?? {};
  const d = DEFAULTS.contents;
  const zeroPercent = share(contents.zero_share ?? d.zeroPercent, [...path, 'zero_share'], 'pages');
  const imagePercent = share(contents.image_share ?? d.imagePercent, [...path, 'image_share'], 'pages');
  if (zeroPercent + imagePercent > 100) {
    throw new Problem([...path, 'image_share'], `zero_share and image_share are shares of the same pages: together at most 100%, found ${zeroPercent + imagePercent}%`);
  }
  const c = contents.compressibility ?? { high: d.high, medium: d.medium, low: d.low };
  const sum = c.high + c.medium + c.low;
  if (Math.abs(sum - 100) > 1e-9) {
    throw new Problem([...path, 'compressibility'], `expected high, medium and low to add up to 100%, found ${c.high}% + ${c.medium}% + ${c.low}% = ${Number(sum.toFixed(6))}%`);
  }
  return { zeroPercent, imagePercent, compressibility: { highPercent: c.high, mediumPercent: c.medium, lowPercent: c.low } };
}

function resolveSelfballoon(raw: RawGuestGroup, path: YamlPath): SelfballoonSpec {
  const sb = raw.selfballoon ?? {};
  const d = DEFAULTS.selfballoon;
  const reserved = sb.reserved ?? { percent: d.reservedPercent };
  if ('percent' in reserved) share(reserved.percent, [...path, 'reserved'], 'RAM');
  return {
    enabled: sb.enabled ?? false,
    intervalNs: positiveNs(sb.interval ?? d.intervalNs, [...path, 'interval']),
    downHysteresis: sb.down_hysteresis ?? d.downHysteresis,
    upHysteresis: sb.up_hysteresis ?? d.upHysteresis,
    reserved,
    minUsablePages: sb.min_usable ?? 0,
    selfShrinking: sb.selfshrinking ?? true,
    frontswapHysteresis: sb.frontswap_hysteresis ?? d.frontswapHysteresis,
    frontswapInertia: sb.frontswap_inertia ?? d.frontswapInertia,
  };
}

/** One guest group (under guests: or a launch), expanded into its members. */
function resolveGroup(raw: RawGuestGroup, path: YamlPath, tmemEnabled: boolean, scenarioFile: string): GuestSpec[] {
  const memoryPages = atLeastOnePage(raw.memory, [...path, 'memory']);
  const maxmemPages = raw.maxmem ?? memoryPages;
  if (maxmemPages < memoryPages) {
    throw new Problem([...path, 'maxmem'], `expected at least memory (${formatPages(memoryPages)}), found ${formatPages(maxmemPages)}`);
  }
  const kernelReservePages = pagesOf(raw.kernel_reserve ?? { percent: DEFAULTS.kernelReservePercent }, memoryPages, [...path, 'kernel_reserve'], 'memory');
  if (kernelReservePages >= memoryPages) {
    throw new Problem([...path, 'kernel_reserve'], `expected less than memory (${formatPages(memoryPages)}), found ${formatPages(kernelReservePages)}`);
  }
  const workloadPath = [...path, 'workload'];
  const shared = {
    group: raw.name,
    memoryPages,
    maxmemPages,
    swapPages: raw.swap ?? DEFAULTS.swapPages,
    kernelReservePages,
    image: raw.image ?? raw.name,
    cleancache: raw.cleancache ?? tmemEnabled,
    cleancacheShared: raw.cleancache_shared ?? false,
    frontswap: raw.frontswap ?? tmemEnabled,
    diskLatencyNs: raw.disk_latency ?? DEFAULTS.diskLatencyNs,
    selfballoon: resolveSelfballoon(raw, [...path, 'selfballoon']),
    workload: {
      anon: resolveAnon(raw, [...workloadPath, 'anon'], scenarioFile),
      files: resolveFiles(raw, maxmemPages, [...workloadPath, 'files']),
      contents: resolveContents(raw, [...workloadPath, 'contents']),
    },
  };
  const count = raw.count ?? 1;
  const members: GuestSpec[] = [];
  for (let i = 1; i <= count; i++) {
    // A copy each, so that no member's spec is an alias of another's.
    members.push({ name: count === 1 ? raw.name : `${raw.name}-${i}`, ...structuredClone(shared) });
  }
  return members;
}

/** Guest names seen so far, and where each came from. */
class Names {
  private readonly where = new Map<string, string>();

  add(members: GuestSpec[], path: YamlPath): void {
    if (this.where.size + members.length > MAX_GUESTS) {
      throw new Problem([...path, 'count'], `too many guests: at most ${MAX_GUESTS} in all, initial and launched`);
    }
    for (const member of members) {
      const earlier = this.where.get(member.name);
      if (earlier !== undefined) {
        throw new Problem([...path, 'name'], `guest name ${JSON.stringify(member.name)} is already used by ${earlier}`);
      }
      this.where.set(member.name, members.length === 1 ? formatPath(path) : `${formatPath(path)} (member of ${member.group})`);
    }
  }
}

function actionOf(entry: RawTimelineEntry, path: YamlPath): (typeof TIMELINE_ACTIONS)[number] {
  const present = TIMELINE_ACTIONS.filter((key) => entry[key] !== undefined);
  if (present.length === 1) return present[0];
  if (present.length === 0) throw new Problem(path, `expected one action beside at (one of ${TIMELINE_ACTIONS.join(', ')}), found none`);
  throw new Problem([...path, present[1]], `expected exactly one action beside at, found ${present.join(' and ')}`);
}

function guestOrAll(value: { guest?: string; all?: boolean }, path: YamlPath): string | null {
  if (value.guest !== undefined && value.all !== undefined) throw new Problem([...path, 'all'], 'expected either guest or all, found both');
  if (value.guest !== undefined) return value.guest;
  if (value.all === true) return null;
  if (value.all === false) throw new Problem([...path, 'all'], 'expected all: true (or a guest), found false');
  throw new Problem(path, 'expected a guest (guest: web-1) or all: true, found neither');
}

interface Pending {
  event: TimelineEvent;
  path: YamlPath;
}

function resolveEntry(entry: RawTimelineEntry, path: YamlPath, ctx: { tmemEnabled: boolean; file: string; names: Names }): Pending[] {
  const key = actionOf(entry, path);
  const at = (action: TimelineAction): Pending => ({ event: { atNs: entry.at, action, where: formatPath(path) }, path });
  const actionPath = [...path, key];
  switch (key) {
    case 'launch': {
      const members = resolveGroup(entry.launch!, actionPath, ctx.tmemEnabled, ctx.file);
      ctx.names.add(members, actionPath);
      return members.map((guest) => at({ kind: 'launch', guest }));
    }
    case 'mem_set':
      return [at({ kind: 'mem_set', guest: entry.mem_set!.guest, targetPages: atLeastOnePage(entry.mem_set!.target, [...actionPath, 'target']) })];
    case 'mem_max':
      return [at({ kind: 'mem_max', guest: entry.mem_max!.guest, maxmemPages: atLeastOnePage(entry.mem_max!.maxmem, [...actionPath, 'maxmem']) })];
    case 'tmem_freeze':
      return [at({ kind: 'tmem_freeze', guest: guestOrAll(entry.tmem_freeze!, actionPath) })];
    case 'tmem_thaw':
      return [at({ kind: 'tmem_thaw', guest: guestOrAll(entry.tmem_thaw!, actionPath) })];
    case 'tmem_flush':
      return [at({ kind: 'tmem_flush', pages: atLeastOnePage(entry.tmem_flush!.size, [...actionPath, 'size']) })];
    case 'destroy':
    case 'crash':
    case 'toolstack_dies':
      return [at({ kind: key, guest: entry[key]!.guest })];
  }
}

function describeGuests(names: Iterable<string>): string {
  const all = [...names];
  if (all.length === 0) return 'there are none';
  const shown = all.slice(0, 8).join(', ');
  return all.length > 8 ? `known: ${shown}, … (${all.length} in all)` : `known: ${shown}`;
}

/** Walks the sorted timeline: every guest named must exist at that moment. */
function checkReferences(initial: GuestSpec[], pending: Pending[]): void {
  const alive = new Map<string, { maxmemPages: number; launched: boolean }>();
  for (const g of initial) alive.set(g.name, { maxmemPages: g.maxmemPages, launched: false });
  const gone = new Map<string, string>();
  const launchedAt = new Map<string, Pending>();
  for (const p of pending) if (p.event.action.kind === 'launch') launchedAt.set(p.event.action.guest.name, p);

  for (const { event, path } of pending) {
    const action = event.action;
    if (action.kind === 'launch') {
      alive.set(action.guest.name, { maxmemPages: action.guest.maxmemPages, launched: true });
      continue;
    }
    if (!('guest' in action) || action.guest === null) continue;
    const guestPath = [...path, action.kind, 'guest'];
    const state = alive.get(action.guest);
    if (state === undefined) {
      const name = JSON.stringify(action.guest);
      const killed = gone.get(action.guest);
      if (killed !== undefined) throw new Problem(guestPath, `guest ${name} no longer exists at ${formatNs(event.atNs)}: ${killed}`);
      const later = launchedAt.get(action.guest);
      if (later !== undefined) {
        throw new Problem(guestPath, `guest ${name} is launched later, by ${later.event.where} at ${formatNs(later.event.atNs)}`);
      }
      throw new Problem(guestPath, `no such guest ${name} (${describeGuests(alive.keys())})`);
    }
    switch (action.kind) {
      case 'mem_set':
        if (action.targetPages > state.maxmemPages) {
          throw new Problem([...path, 'mem_set', 'target'], `expected at most ${action.guest}'s maxmem (${formatPages(state.maxmemPages)}), found ${formatPages(action.targetPages)}`);
        }
        break;
      case 'mem_max':
        state.maxmemPages = action.maxmemPages;
        break;
      case 'destroy':
      case 'crash':
        alive.delete(action.guest);
        gone.set(action.guest, `${action.kind === 'crash' ? 'it crashed' : 'destroyed'} at ${formatNs(event.atNs)} by ${event.where}`);
        break;
      case 'toolstack_dies':
        if (!state.launched) {
          throw new Problem(guestPath, `guest ${JSON.stringify(action.guest)} is not launched by the timeline: toolstack_dies stops a launch in progress`);
        }
        break;
    }
  }
}

function fitHost(scenario: Scenario): void {
  const hostPages = scenario.host.pages;
  const fixedPages = scenario.dom0.memoryPages + scenario.host.hypervisorReservePages;
  const fixed = `dom0 (${formatPages(scenario.dom0.memoryPages)}) and the hypervisor reserve (${formatPages(scenario.host.hypervisorReservePages)})`;
  if (fixedPages > hostPages) {
    throw new Problem(['dom0', 'memory'], `${fixed} need ${formatPages(fixedPages)}, larger than the host (${formatPages(hostPages)})`);
  }
  let usedPages = fixedPages;
  let index = -1;
  let group = '';
  for (const guest of scenario.guests) {
    if (guest.group !== group || index < 0) {
      index++;
      group = guest.group;
    }
    // Written so the comparison cannot overflow: free space against the need.
    if (guest.memoryPages > hostPages - usedPages) {
      const needPages = scenario.guests.reduce((sum, g) => sum + g.memoryPages, 0);
      throw new Problem(['guests', index], `guests larger than the host: ${scenario.guests.length} guests need ${formatPages(needPages)} besides ${fixed}, the host has ${formatPages(hostPages)}`);
    }
    usedPages += guest.memoryPages;
  }
}

/** The Scenario for a schema-checked file; throws Problem. */
export function resolveScenario(raw: RawScenario, file: string): Scenario {
  const hostPages = atLeastOnePage(raw.host.memory, ['host', 'memory']);
  const tmem = raw.host.tmem ?? {};
  const tmemEnabled = tmem.enabled ?? false;
  const durationNs = positiveNs(raw.duration, ['duration']);
  const scenario: Scenario = {
    name: raw.name ?? (file === '' ? 'scenario' : basename(file, extname(file))),
    description: raw.description ?? '',
    file,
    seed: raw.seed ?? DEFAULTS.seed,
    durationNs,
    sampleIntervalNs: positiveNs(raw.sample_interval ?? DEFAULTS.sampleIntervalNs, ['sample_interval']),
    workloadTickNs: positiveNs(raw.workload_tick ?? DEFAULTS.workloadTickNs, ['workload_tick']),
    maxEvents: raw.max_events ?? DEFAULTS.maxEvents,
    host: {
      pages: hostPages,
      nodes: raw.host.nodes ?? DEFAULTS.nodes,
      hypervisorReservePages: pagesOf(raw.host.hypervisor_reserve ?? { pages: 0 }, hostPages, ['host', 'hypervisor_reserve'], 'host memory'),
      tmem: {
        enabled: tmemEnabled,
        dedup: tmem.dedup ?? false,
        tze: tmem.tze ?? false,
        compress: tmem.compress ?? false,
        store: tmem.store ?? 'synthetic',
      },
    },
    dom0: { memoryPages: atLeastOnePage(raw.dom0?.memory ?? DEFAULTS.dom0Pages, ['dom0', 'memory']) },
    toolstack: {
      policy: raw.toolstack?.policy ?? DEFAULTS.policy,
      buildPagesPerS: atLeastOnePage(raw.toolstack?.build_rate ?? DEFAULTS.buildPagesPerS, ['toolstack', 'build_rate']),
      buildBatchPages: atLeastOnePage(raw.toolstack?.build_batch ?? DEFAULTS.buildBatchPages, ['toolstack', 'build_batch']),
    },
    guests: [],
    timeline: [],
  };
  const names = new Names();
  (raw.guests ?? []).forEach((group, i) => {
    const members = resolveGroup(group, ['guests', i], tmemEnabled, file);
    names.add(members, ['guests', i]);
    scenario.guests.push(...members);
  });
  fitHost(scenario);

  const pending: Pending[] = [];
  (raw.timeline ?? []).forEach((entry, i) => {
    const path = ['timeline', i];
    // An event after the end is kept (checked like the others) but never runs:
    // shortening a scenario with --set duration=… must not make it invalid.
    pending.push(...resolveEntry(entry, path, { tmemEnabled, file, names }));
  });
  // Array.prototype.sort is stable: events at the same time keep the file's order.
  pending.sort((a, b) => a.event.atNs - b.event.atNs);
  checkReferences(scenario.guests, pending);
  scenario.timeline = pending.map((p) => p.event);
  return scenario;
}
