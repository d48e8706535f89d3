// The Linux guest model (SEMANTICS.md §5): public exports.

export { Guest, FIRST_INODE, type GuestMetrics } from './guest.ts';
export { guestConfig, validateGuestConfig, defaultKernelReservePages, DEFAULT_SELFBALLOON, type GuestConfig, type GuestConfigInput, type SelfballoonConfig } from './config.ts';
export { Balloon, DEFAULT_BALLOON, type BalloonParams, type BalloonHost } from './balloon.ts';
export { Cleancache, cleancacheOid } from './cleancache.ts';
export { Frontswap, frontswapOid, frontswapIndex, SWIZ_BITS, SWIZ_MASK } from './frontswap.ts';
export { PageCache, PAGECACHE_BYTES_PER_PAGE, PAGECACHE_BYTES_PER_SLOT } from './pagecache.ts';
export { SwapDevice } from './swap.ts';
export { Disk, type DiskConfig, type DiskStats } from './disk.ts';
export { ContentModel, DEFAULT_CONTENT, type ContentConfig, type CompressClass } from './content.ts';
export {
  selfballoonGoal,
  selfballoonTarget,
  selfballoonFloor,
  defaultReservedPages,
  FrontswapSelfshrink,
  mbToPages,
  pagesToMb,
  type SelfballoonParams,
  type SelfballoonState,
} from './selfballoon.ts';
export * from './workload/index.ts';
