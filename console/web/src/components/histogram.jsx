import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { fmtTime } from '../format.js';

/** Counts over time as bars, drawn by uPlot on a canvas (no markup from data). */
export function Histogram({ buckets, height = 140 }) {
  const el = useRef(null);
  useEffect(() => {
    if (!el.current || !buckets?.length) return undefined;
    const xs = buckets.map((b) => b.t / 1000);
    const ys = buckets.map((b) => b.count);
    const width = el.current.clientWidth || 800;
    const plot = new uPlot(
      {
        width,
        height,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [
          { space: 90, values: (_u, vals) => vals.map((v) => fmtTime(v * 1000, 'short')), stroke: '#9aa4b2', grid: { stroke: '#263041' } },
          { size: 44, stroke: '#9aa4b2', grid: { stroke: '#263041' } },
        ],
        series: [{}, { stroke: '#4f8cff', fill: 'rgba(79,140,255,0.35)', paths: uPlot.paths.bars({ size: [0.9, 40] }), points: { show: false } }],
      },
      [xs, ys],
      el.current,
    );
    return () => plot.destroy();
  }, [buckets, height]);
  return <div class="histogram" ref={el} />;
}
