// Preloaded (`--import`) into an API process by heap-cold.mjs: SIGUSR2 starts V8's sampling heap
// profiler (objects the collector freed included, so garbage counts), a second SIGUSR2 stops it
// and writes the profile to `${HEAP_OUT}.<n>.json`; `${HEAP_OUT}.ready` marks a start.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const session = new Session();
session.connect();
let sampling = false;
let count = 0;
process.on('SIGUSR2', () => {
  if (!sampling) {
    sampling = true;
    const samplingInterval = Number(process.env.HEAP_INTERVAL ?? 256);
    session.post(
      'HeapProfiler.startSampling',
      {
        samplingInterval,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      },
      () => writeFileSync(`${process.env.HEAP_OUT}.ready`, ''),
    );
    return;
  }
  session.post('HeapProfiler.stopSampling', (error, result) => {
    sampling = false;
    const profile = error ? { error: String(error) } : result.profile;
    writeFileSync(`${process.env.HEAP_OUT}.${count++}.json`, JSON.stringify(profile));
  });
});
