// Typed results of hypercall-shaped operations: success carries values,
// failure carries one of Xen's errno names (include/public/errno.h).

export type Errno =
  | 'EPERM'
  | 'ENOENT'
  | 'ESRCH'
  | 'ENOMEM'
  | 'EACCES'
  | 'EBUSY'
  | 'EEXIST'
  | 'ENODEV'
  | 'EINVAL'
  | 'ENOSPC'
  | 'E2BIG'
  | 'EFROZEN'
  | 'EEMPTY';

export type Ok<T extends object = object> = { ok: true } & T;
export type Fail<F extends object = object> = { ok: false; errno: Errno } & F;
export type Result<T extends object = object, F extends object = object> = Ok<T> | Fail<F>;

export const OK: Ok = Object.freeze({ ok: true as const });

export function fail(errno: Errno): Fail {
  return { ok: false, errno };
}
