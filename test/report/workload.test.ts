// A guest's workload in words, for the report's guests table (src/report/workload.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AnonProfile } from '../../src/scenario/types.ts';
import { guestRunTimes, workloadWords } from '../../src/report/workload.ts';

const H = 3600e9;
const MIN = 60e9;

test('each profile in a few words, with its parameters', () => {
  assert.equal(workloadWords({ profile: 'constant', levelPercent: 50 }, H), 'constant 50%');
  assert.equal(workloadWords({ profile: 'step', levelPercent: 40, atNs: 5 * MIN, stepLevelPercent: 70 }, H), 'step 40%→70% at 5 min');
  assert.equal(workloadWords({ profile: 'diurnal', levelPercent: 40, peakPercent: 80, periodNs: 24 * H, phaseNs: 0 }, H), 'diurnal 40%–80% over 24 h');
  assert.equal(workloadWords({ profile: 'diurnal', levelPercent: 40, peakPercent: 80, periodNs: 24 * H, phaseNs: 6 * H }, H), 'diurnal 40%–80% over 24 h, phase 6 h');
  assert.equal(workloadWords({ profile: 'spikes', levelPercent: 30, peakPercent: 95, everyNs: 40e9, lengthNs: 3e9, jitterNs: 0 }, H), 'spikes 30%→95% for 3 s every 40 s');
  assert.equal(workloadWords({ profile: 'spikes', levelPercent: 12.5, peakPercent: 95, everyNs: 40e9, lengthNs: 3e9, jitterNs: 20e9 }, H), 'spikes 12.5%→95% for 3 s every 40 s, first within 20 s');
});

test('a trace: its file, offset and scale, and when the guest outlasts it, after how long it wraps', () => {
  // 288 samples 5 min apart: a day, wrapping to the first sample after the last (traceMemPercentAt).
  const trace = (offsetNs: number, samples = 288): AnonProfile => ({ profile: 'trace', levelPercent: 40, file: '/x/data/gcd/vm_1218322450_1', scalePercent: 50, offsetNs, intervalNs: 5 * MIN, loop: true, memPercent: new Float64Array(samples) });
  assert.equal(workloadWords(trace(10 * H), 14 * H), 'trace vm_1218322450_1 +10 h ×50%', 'ends exactly at the last interval: no wrap');
  assert.equal(workloadWords(trace(10 * H), 14 * H + 1), 'trace vm_1218322450_1 +10 h ×50%, wraps after 14 h (a 24 h trace)');
  assert.equal(workloadWords(trace(0), 30 * H), 'trace vm_1218322450_1 ×50%, wraps after 24 h (a 24 h trace)');
  // An offset past the end starts that far into the repeated trace.
  assert.equal(workloadWords(trace(30 * H), 20 * H), 'trace vm_1218322450_1 +30 h ×50%, wraps after 18 h (a 24 h trace)');
  // Twelve samples: an hour.
  assert.equal(workloadWords(trace(0, 12), 2 * H), 'trace vm_1218322450_1 ×50%, wraps after 60 min (a 60 min trace)');
  // One sample is a constant demand: nothing wraps.
  assert.equal(workloadWords(trace(0, 1), 100 * H), 'trace vm_1218322450_1 ×50%');
});

test('a trace replayed faster (trace.interval) or holding its last sample (trace.at_end: hold)', () => {
  const trace = (offsetNs: number, intervalNs: number, loop: boolean): AnonProfile => ({ profile: 'trace', levelPercent: 40, file: 'vm_1', scalePercent: 100, offsetNs, intervalNs, loop, memPercent: new Float64Array(288) });
  // A day at 12.5 s a sample: an hour; the offset stays as written (6 h of data in), 15 min of the replay.
  assert.equal(workloadWords(trace(6 * H, 12.5e9, true), 50 * MIN), 'trace vm_1 +6 h ×100%, a sample every 12.5 s, wraps after 45 min (a 60 min trace)');
  assert.equal(workloadWords(trace(6 * H, 12.5e9, true), 45 * MIN), 'trace vm_1 +6 h ×100%, a sample every 12.5 s');
  // Hold: the last sample (287 intervals after the first) from then on; no wrap.
  assert.equal(workloadWords(trace(0, 5 * MIN, false), 30 * H), 'trace vm_1 ×100%, holds its last sample after 23.9 h');
  assert.equal(workloadWords(trace(0, 5 * MIN, false), 287 * 5 * MIN), 'trace vm_1 ×100%');
  // At the data's own interval the offset is used as written, as the simulator does (replayOffsetNs):
  // 155 s rescaled through 5 minutes and back is a rounding off, and a two-sample run that ends as it reaches its last sample held nothing.
  const two: AnonProfile = { profile: 'trace', levelPercent: 40, file: 'vm_1', scalePercent: 100, offsetNs: 155e9, intervalNs: 5 * MIN, loop: false, memPercent: new Float64Array(2) };
  assert.equal(workloadWords(two, 145e9), 'trace vm_1 +2.6 min ×100%');
  // An offset past the end holds from the start.
  assert.equal(workloadWords(trace(30 * H, 5 * MIN, false), 1e9), 'trace vm_1 +30 h ×100%, its last sample held from the start (the offset is at or past its last sample)');
  // So does an offset at the last sample itself (287 intervals in): the trace has nothing after it, though the offset is not past its end.
  assert.equal(workloadWords(trace(287 * 5 * MIN, 5 * MIN, false), 1e9), 'trace vm_1 +23.9 h ×100%, its last sample held from the start (the offset is at or past its last sample)');
});

test('how long each guest ran: from its start to its destroy or crash, else to the end', () => {
  const ran = guestRunTimes(
    [
      { timeNs: 0, kind: 'guest_start', guest: 'a' },
      { timeNs: 5e9, kind: 'guest_start', guest: 'b' },
      { timeNs: 7e9, kind: 'guest_start', guest: 'c' },
      { timeNs: 9e9, kind: 'crash', guest: 'b' },
      { timeNs: 9e9, kind: 'destroy', guest: 'never-started' },
    ],
    20e9,
  );
  assert.deepEqual([...ran].sort(), [['a', 20e9], ['b', 4e9], ['c', 13e9]]);
});
