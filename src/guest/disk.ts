// The guest's disk: one latency per page I/O and counts by cause. File reads
// are page-cache read misses that cleancache did not satisfy and write misses
// (the partial-block fill, which never asks cleancache), file writes are
// write-back of dirty page-cache pages, swap reads / writes are swap-ins and
// swap-outs that frontswap did not absorb. busyNs is the device time spent
// (I/Os are counted one page each; no queueing or merging is modelled).

export interface DiskConfig {
  /** Time per page I/O. Default 5 ms (a rotating disk or a busy shared SAN). */
  latencyNs: number;
}

export interface DiskStats {
  fileReads: number;
  fileWrites: number;
  swapReads: number;
  swapWrites: number;
  busyNs: number;
}

export class Disk {
  readonly stats: DiskStats = { fileReads: 0, fileWrites: 0, swapReads: 0, swapWrites: 0, busyNs: 0 };

  constructor(readonly config: DiskConfig) {}

  fileRead(): void {
    this.stats.fileReads++;
    this.stats.busyNs += this.config.latencyNs;
  }

  fileWrite(): void {
    this.stats.fileWrites++;
    this.stats.busyNs += this.config.latencyNs;
  }

  swapRead(): void {
    this.stats.swapReads++;
    this.stats.busyNs += this.config.latencyNs;
  }

  swapWrite(): void {
    this.stats.swapWrites++;
    this.stats.busyNs += this.config.latencyNs;
  }
}
