// hypermem's version, as package.json gives it (a test keeps the two equal).
// Reports name it; sweep shards carry it, and `hypermem merge` refuses shards
// made by different versions (their runs need not give the same results).

export const HYPERMEM_VERSION = '0.1.0';
