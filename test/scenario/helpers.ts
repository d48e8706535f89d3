// Shared by the scenario tests.
import assert from 'node:assert/strict';
import { ScenarioError } from '../../src/scenario/load.ts';

/** The ScenarioError that `fn` throws. */
export function scenarioError(fn: () => unknown): ScenarioError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  assert.fail('expected a ScenarioError');
}
