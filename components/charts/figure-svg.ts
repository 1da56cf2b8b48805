/** The DOM side of figure export: a chart's SVG and canvas pieces (with their computed styles) as one SVG; SVG → PNG; downloads. */
import { composeSvg, type FigurePiece } from '@/lib/chart/export';

const STYLE_PROPS = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-dasharray',
  'stroke-opacity',
  'opacity',
  'font-size',
  'font-weight',
  'font-family',
  'text-anchor',
  'dominant-baseline',
  'visibility',
  'display',
] as const;

/** Copies the computed presentation of every element of `src` onto its clone (so CSS variables and classes survive). */
function inlineStyles(src: Element, dst: Element): void {
  const cs = getComputedStyle(src);
  const style = STYLE_PROPS.map((p) => `${p}:${cs.getPropertyValue(p)}`).join(';');
  dst.setAttribute('style', style);
  dst.removeAttribute('class');
  const a = src.children;
  const b = dst.children;
  for (let i = 0; i < a.length && i < b.length; i++) inlineStyles(a[i], b[i]);
}

/** One standalone SVG of everything drawn inside `root` (its SVGs, canvases and legend items), titled. */
export function figureToSvg(root: HTMLElement, title: string): string {
  const box = root.getBoundingClientRect();
  const cs = getComputedStyle(document.body);
  const text = cs.color;
  const pieces: FigurePiece[] = [{ x: 8, y: 6, width: box.width, height: 18, text: title, size: 14, weight: 600, fill: text }];
  const top = 30;
  const at = (el: Element) => {
    const r = el.getBoundingClientRect();
    return {
      x: Math.round(r.left - box.left + root.scrollLeft) + 8,
      y: Math.round(r.top - box.top + root.scrollTop) + top,
      width: Math.round(r.width),
      height: Math.round(r.height),
    };
  };
  const skip = (el: Element) => el.closest('[data-export-skip]') !== null || (el.parentElement?.closest('svg') ?? null) !== null;
  for (const el of root.querySelectorAll('svg, canvas, .legend li')) {
    if (skip(el)) continue;
    const p = at(el);
    if (p.width === 0 || p.height === 0) continue;
    if (el instanceof HTMLCanvasElement) pieces.push({ ...p, image: el.toDataURL('image/png') });
    else if (el instanceof SVGSVGElement) {
      const clone = el.cloneNode(true) as SVGSVGElement;
      inlineStyles(el, clone);
      clone.setAttribute('width', String(p.width));
      clone.setAttribute('height', String(p.height));
      pieces.push({ ...p, svg: new XMLSerializer().serializeToString(clone) });
    } else {
      const swatch = el.querySelector('.swatch');
      if (swatch)
        pieces.push({
          ...at(swatch),
          svg: `<svg width="10" height="10"><rect width="10" height="10" rx="2" fill="${getComputedStyle(swatch).backgroundColor}"/></svg>`,
        });
      pieces.push({ ...p, x: p.x + (swatch ? 14 : 0), y: p.y, text: el.textContent ?? '', size: 11, fill: text });
    }
  }
  const bg = getComputedStyle(root).backgroundColor;
  const background = bg && bg !== 'rgba(0, 0, 0, 0)' ? bg : cs.getPropertyValue('--surface').trim() || '#fff';
  return composeSvg(Math.max(box.width, root.scrollWidth) + 16, Math.max(box.height, root.scrollHeight) + top + 8, background, pieces, cs.fontFamily);
}

/** Renders an SVG document to a PNG at `scale` × its size. */
export function svgToPng(svg: string, scale = 2): Promise<Blob> {
  const w = Number(/width="(\d+)"/.exec(svg)?.[1] ?? 800);
  const h = Number(/height="(\d+)"/.exec(svg)?.[1] ?? 600);
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const canvas = document.createElement('canvas');
      canvas.width = Math.round(w * scale);
      canvas.height = Math.round(h * scale);
      const ctx = canvas.getContext('2d')!;
      ctx.scale(scale, scale);
      ctx.drawImage(img, 0, 0, w, h);
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png');
    };
    img.onerror = () => reject(new Error('the figure could not be rendered as an image'));
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  });
}

/** Saves a blob or text under a file name (an object URL and a temporary link). */
export function download(content: Blob | string, filename: string, type = 'text/plain'): void {
  const blob = typeof content === 'string' ? new Blob([content], { type: `${type};charset=utf-8` }) : content;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
