// Guests whose setup silently did less than the scenario asked, from their
// guest_start events: tmem pools refused on a host without tmem (ENODEV),
// and self-ballooning asked of a kernel without frontswap. The run report's
// story and the terminal's tables both say so (docs/reports.md).

import type { LoggedEvent } from '../sim/metrics.ts';

/** The guests set up for tmem on a host without it, whose pools were refused (their guest_start events say ENODEV). */
export function tmemRefused(events: readonly LoggedEvent[]): string[] {
  return events.filter((e) => e.kind === 'guest_start' && e.tmem === 'ENODEV').map((e) => String(e.guest));
}

/** The guests asked to self-balloon whose kernels had no frontswap, so did not (their guest_start events say so). */
export function selfballoonOff(events: readonly LoggedEvent[]): string[] {
  return events.filter((e) => e.kind === 'guest_start' && e.selfballoon !== undefined).map((e) => String(e.guest));
}

/** "a, b, c and 2 more". */
export function fewNames(names: readonly string[]): string {
  return names.slice(0, 3).join(', ') + (names.length > 3 ? ` and ${names.length - 3} more` : '');
}

/** One clause per kind of setup that did less than asked (none: an empty list). */
export function setupNotes(events: readonly LoggedEvent[]): string[] {
  const notes: string[] = [];
  const refused = tmemRefused(events);
  if (refused.length > 0) {
    const one = refused.length === 1;
    notes.push(`${refused.length} guest${one ? ' is' : 's are'} set up for tmem on a host without it (${fewNames(refused)}): ${one ? 'its' : 'their'} tmem pools were refused (ENODEV), so frontswap stores went to the swap disk and cleancache kept nothing`);
  }
  const idle = selfballoonOff(events);
  if (idle.length > 0) {
    const one = idle.length === 1;
    notes.push(`${idle.length} guest${one ? ' has' : 's have'} selfballoon.enabled without frontswap (${fewNames(idle)}): self-ballooning needs the guest's frontswap (which follows the host's tmem unless set), so ${one ? 'it' : 'they'} did not self-balloon`);
  }
  return notes;
}

/** The same in a few words, for a comparison's line per variant (counts, no names). */
export function setupNotesShort(events: readonly LoggedEvent[]): string[] {
  const notes: string[] = [];
  const refused = tmemRefused(events).length;
  if (refused > 0) notes.push(`${refused} guest${refused === 1 ? '' : 's'} set up for tmem on a host without it (tmem pools refused: their frontswap stores went to the disk)`);
  const idle = selfballoonOff(events).length;
  if (idle > 0) notes.push(`${idle} guest${idle === 1 ? '' : 's'} with selfballoon.enabled but no frontswap (not self-ballooning)`);
  return notes;
}
