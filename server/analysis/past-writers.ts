/**
 * The analysis-log writers of runs that are not live: shared by a run's analysis on open and its re-analyses, so one
 * writer at a time appends to a file; a writer opened while the previous one of the same file is closing waits for it.
 */
import type { AnalysisLog } from './analysis-log';
import { AnalysisWriter } from './analysis-store';

export class PastWriters {
  private readonly open = new Map<string, { writer: AnalysisWriter; users: number }>();
  private readonly closing = new Map<string, Promise<void>>();

  constructor(
    private readonly file: (id: string) => string,
    private readonly log: AnalysisLog,
  ) {}

  /** A run's shared writer; call `release` when done with it (the last release closes it). */
  acquire(id: string): { writer: AnalysisWriter; release: () => void } {
    let entry = this.open.get(id);
    if (!entry) this.open.set(id, (entry = { writer: this.create(id), users: 0 }));
    entry.users++;
    const e = entry;
    let released = false;
    return {
      writer: e.writer,
      release: () => {
        if (released) return;
        released = true;
        if (--e.users > 0) return;
        if (this.open.get(id) === e) this.open.delete(id);
        const closing = e.writer.close();
        this.closing.set(id, closing);
        void closing.finally(() => {
          if (this.closing.get(id) === closing) this.closing.delete(id);
        });
      },
    };
  }

  /** A new writer of a run's analysis log that opens the file only after a previous writer has closed it. */
  create(id: string): AnalysisWriter {
    return new AnalysisWriter(this.file(id), (code, err) => this.log(code, id, err), this.closing.get(id));
  }

  /** The run's shared writer while someone holds it. */
  current(id: string): AnalysisWriter | undefined {
    return this.open.get(id)?.writer;
  }

  /** Resolves when the run's last writer (or every run's, without an id) has closed. */
  async closed(id?: string): Promise<void> {
    await (id === undefined ? Promise.all(this.closing.values()) : this.closing.get(id));
  }
}
