// Why a file could not be opened or read, in words, for the messages that
// name the file already (Node's own messages repeat the path and use the
// kernel's terms: "ELOOP: too many symbolic links encountered, stat '…'").

const WHY: Record<string, string> = {
  ENOENT: 'no such file',
  ENOTDIR: 'no such file (a part of the path is not a folder)',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory, not a file',
  ELOOP: 'a loop of symbolic links (or too many of them in a row)',
  ENXIO: 'a socket or a device with nothing behind it, not a file',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many files open in this process',
  ENFILE: 'too many files open on this machine',
  EIO: 'an input/output error',
};

/** The reason a file operation failed: in words for the usual codes, else the code and Node's message. */
export function fileProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code !== undefined && Object.hasOwn(WHY, code)) return WHY[code];
  const message = (e as Error).message;
  return code !== undefined && !message.startsWith(code) ? `${code}: ${message}` : message;
}
