// A push queue read as an async iterable: the shape every streaming backend call returns. It ends on
// `end()` or when the client's AbortSignal fires, so a departed client never leaves a reader behind.

export class Channel<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | undefined;
  private ended = false;
  private readonly onEnd: (() => void)[] = [];

  constructor(signal?: AbortSignal) {
    if (signal?.aborted) this.ended = true;
    else signal?.addEventListener('abort', () => this.end(), { once: true });
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Runs `fn` once when the channel ends (client gone or producer done): producers release here. */
  onClose(fn: () => void): void {
    if (this.ended) fn();
    else this.onEnd.push(fn);
  }

  push(item: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w({ value: item, done: false });
    } else this.items.push(item);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const fn of this.onEnd.splice(0)) fn();
    if (this.waiting && this.items.length === 0) {
      const w = this.waiting;
      this.waiting = undefined;
      w({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.items.length > 0) return Promise.resolve({ value: this.items.shift() as T, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiting = resolve;
        });
      },
      return: () => {
        this.end();
        this.items = [];
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
