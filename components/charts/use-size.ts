'use client';
/** Content size of an element, tracked with a ResizeObserver ({0, 0} until measured). */
import { useLayoutEffect, useRef, useState, type RefObject } from 'react';

export interface Size {
  width: number;
  height: number;
}

/** A ref to attach and the element's current content box in CSS pixels (floored). */
export function useSize<T extends HTMLElement>(): [RefObject<T | null>, Size] {
  const ref = useRef<T | null>(null);
  const [size, setSize] = useState<Size>({ width: 0, height: 0 });
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = (width: number, height: number) =>
      setSize((p) => (p.width === Math.floor(width) && p.height === Math.floor(height) ? p : { width: Math.floor(width), height: Math.floor(height) }));
    const box = el.getBoundingClientRect();
    update(box.width, box.height);
    const ro = new ResizeObserver((entries) => update(entries[0].contentRect.width, entries[0].contentRect.height));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, size];
}
