/**
 * A virtualized list: only the rows in view (plus a few) are in the DOM, at fixed height, so 100k
 * alerts scroll like 100. Keyboard: ↑/↓, PageUp/PageDown, Home/End move the cursor, Enter opens.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface VirtualListProps {
  count: number;
  rowHeight: number;
  cursor: number;
  onCursor(i: number): void;
  onOpen(i: number): void;
  renderRow(i: number, active: boolean): ComponentChildren;
  label: string;
  id: string;
  header?: ComponentChildren;
}

export function VirtualList(p: VirtualListProps) {
  const ref = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState(0);
  const [height, setHeight] = useState(600);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);
  // Keep the cursor row in view.
  useEffect(() => {
    const el = ref.current;
    if (!el || p.cursor < 0) return;
    const headerH = p.header ? p.rowHeight : 0;
    const top = p.cursor * p.rowHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + p.rowHeight > el.scrollTop + el.clientHeight - headerH) el.scrollTop = top + p.rowHeight - el.clientHeight + headerH;
  }, [p.cursor]);
  const overscan = 8;
  const first = Math.max(0, Math.floor(scroll / p.rowHeight) - overscan);
  const last = Math.min(p.count, Math.ceil((scroll + height) / p.rowHeight) + overscan);
  const rows = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <div key={i} class="vrow" style={{ top: `${i * p.rowHeight}px`, height: `${p.rowHeight}px` }} onClick={() => (p.onCursor(i), p.onOpen(i))}>
        {p.renderRow(i, i === p.cursor)}
      </div>,
    );
  }
  const onKey = (e: KeyboardEvent): void => {
    const page = Math.max(1, Math.floor(height / p.rowHeight) - 1);
    const move: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page, j: 1, k: -1 };
    let next: number | null = null;
    if (e.key in move) next = Math.min(p.count - 1, Math.max(0, (p.cursor < 0 ? -1 : p.cursor) + move[e.key]!));
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = p.count - 1;
    else if (e.key === 'Enter' && p.cursor >= 0) {
      e.preventDefault();
      p.onOpen(p.cursor);
      return;
    }
    if (next !== null && p.count > 0) {
      e.preventDefault();
      p.onCursor(next);
    }
  };
  return (
    <div
      ref={ref}
      id={p.id}
      class="vlist"
      tabIndex={0}
      role="grid"
      aria-label={p.label}
      aria-rowcount={p.count}
      aria-activedescendant={p.cursor >= 0 ? `${p.id}-row-${p.cursor}` : undefined}
      onScroll={(e) => setScroll((e.currentTarget as HTMLDivElement).scrollTop)}
      onKeyDown={onKey}
    >
      {p.header}
      <div class="vbody" style={{ height: `${p.count * p.rowHeight}px` }}>
        {rows}
      </div>
    </div>
  );
}
