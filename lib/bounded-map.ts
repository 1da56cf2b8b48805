/** A Map that holds at most `max` entries: setting a key makes it the newest, and the oldest set are dropped first. */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(readonly max: number) {
    super();
    if (!(Number.isInteger(max) && max >= 1)) throw new RangeError(`BoundedMap needs a whole max ≥ 1, got ${max}`);
  }

  /** Sets the entry as the newest, then drops the oldest ones beyond `max`. */
  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    for (const oldest of this.keys()) {
      if (this.size <= this.max) break;
      super.delete(oldest);
    }
    return this;
  }
}
