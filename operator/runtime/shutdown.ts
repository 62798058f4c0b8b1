import type { Logger } from 'pino';

export interface ShutdownStep {
  name: string;
  run: () => Promise<void> | void;
}

/**
 * Runs the shutdown steps once, in order, within `timeoutMs` overall, then exits with `code`.
 * SIGTERM and SIGINT start it with code 0; a second signal exits at once.
 */
export class Shutdown {
  private started = false;
  private readonly steps: ShutdownStep[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs: number,
    private readonly exit: (code: number) => void = (code) => process.exit(code),
  ) {}

  get inProgress(): boolean {
    return this.started;
  }

  add(step: ShutdownStep): void {
    this.steps.push(step);
  }

  listenForSignals(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        if (this.started) {
          this.logger.warn({ signal }, 'second signal; exiting now');
          this.exit(1);
          return;
        }
        void this.run(`received ${signal}`, 0);
      });
    }
  }

  async run(reason: string, code: number): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.logger.info({ reason, exitCode: code }, 'shutting down');

    const timer = setTimeout(() => {
      this.logger.error({ timeoutMs: this.timeoutMs }, 'shutdown took too long; exiting');
      this.exit(code === 0 ? 1 : code);
    }, this.timeoutMs);
    timer.unref();

    for (const step of this.steps) {
      try {
        await step.run();
      } catch (err) {
        this.logger.warn({ err, step: step.name }, 'shutdown step failed');
      }
    }
    clearTimeout(timer);
    this.logger.info({ exitCode: code }, 'shutdown complete');
    this.exit(code);
  }
}
