// hypermem as a library: `import { … } from 'hypermem'` (package.json
// "exports" points at the compiled dist/index.js and its types; `npm ci` and
// `npm test` build it). The layers of DESIGN.md, each usable on its own: the
// hypervisor engine (accounting, claims, allocator), tmem, the Linux guest
// model, the toolstack's domain builder, scenarios, the simulator, the JSONL
// hypercall replay, and the report writers.

// The engine: host accounting, domains, claims, the allocator (SEMANTICS.md §2-3).
export { Hypervisor, type HostConfig, type DomainInfo, type PopulateResult, type TmemBackend } from './hypervisor/hypervisor.ts';
export type { ClaimEntry, HostSnapshot, NodeSnapshot } from './hypervisor/accounting.ts';
export { OK, type Errno, type Ok, type Fail, type Result } from './lib/result.ts';
// The seeded random streams the guest model and the simulator draw from (a Guest takes one).
export { Prng } from './lib/prng.ts';
// Transcendent memory (§4).
export * from './hypervisor/tmem/index.ts';
// The Linux guest (§5).
export * from './guest/index.ts';
// The toolstack (§6).
export { DomainBuilder, type BuilderConfig, type HeldMemSet, type LedgerEntry, type Launch, type LaunchOutcome } from './toolstack/builder.ts';
// Scenarios and the simulator.
export { loadScenario, parseScenario, ScenarioError } from './scenario/load.ts';
export type { Scenario, GuestSpec, TimelineEvent, TimelineAction, Policy } from './scenario/types.ts';
export { Simulation, EventBoundError, type RunOptions, type RunResult } from './sim/simulation.ts';
export type { Summary, Sample, LoggedEvent, GuestSample, GuestSummary } from './sim/metrics.ts';
// `hypermem replay`'s engine: one JSON request in, one JSON result out.
export { ReplaySession, type ReplayExtension, type ReplayResult } from './replay/session.ts';
export { replayExtensions } from './replay/extensions.ts';
// What `hypermem run --out` writes.
export { runReportHtml, compareReportHtml, type CompareVariant } from './report/html.ts';
export { runTable, compareTable, compareSeedsTable } from './report/text.ts';
export type { SeedsVariant } from './report/seeds.ts';
export { timeseriesCsv, eventsJsonl } from './report/files.ts';
