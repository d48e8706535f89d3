// The replay vocabulary beyond the engine's own requests (tmem adds its ops here).

import type { ReplayExtension } from './session.ts';
import { tmemReplayExtension } from './tmem-ops.ts';

export function replayExtensions(): ReplayExtension[] {
  return [tmemReplayExtension()];
}
