import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../build.ts';

/** Receives build progress; the CLI picks a bar on a terminal and log lines otherwise. */
export interface ProgressReporter {
  onProgress(event: ProgressEvent): void;
  stop(): void;
}

/** A progress bar per step on an interactive terminal. */
export function barReporter(stream: NodeJS.WriteStream): ProgressReporter {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: ' {step} |{bar}| {percentage}% {message}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let current: string | undefined;
  return {
    onProgress({ step, fraction, message }) {
      if (step !== current) {
        if (current) bar.stop();
        current = step;
        bar.start(100, 0, { step: step.padEnd(14), message: '' });
      }
      bar.update(Math.round(fraction * 100), { message: message ?? '' });
    },
    stop() {
      if (current) bar.stop();
    },
  };
}

/** One line per finished step, for logs and pipes. */
export function lineReporter(write: (line: string) => void): ProgressReporter {
  const started = new Map<string, number>();
  return {
    onProgress({ step, fraction, message }) {
      if (fraction === 0 && !started.has(step)) started.set(step, performance.now());
      if (fraction >= 1) {
        const seconds = (performance.now() - (started.get(step) ?? performance.now())) / 1000;
        write(`scgraph: ${step} done in ${seconds.toFixed(2)} s${message ? ` (${message})` : ''}`);
      }
    },
    stop() {},
  };
}

/** Progress that goes nowhere (for --json and --quiet). */
export const silentReporter: ProgressReporter = { onProgress() {}, stop() {} };
