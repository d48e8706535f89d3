// The sweep's worker thread entry: registers tsx the way bin/hypermem.js does
// (the tsx API, not `--import tsx`, under which runs took about twice as long
// in a worker), then hands over to the TypeScript task.
import { register } from 'tsx/esm/api';

register();
const { runTask } = await import('./worker-task.ts');

export default runTask;
