/** One printed row of `npm run bench`. Ratios are against a baseline measured in the same run. */
export interface BenchRow {
  figure: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  ratio?: number;
  /** Human-readable target, e.g. "≥ 40000 msgs/s" or "ratio ≥ 6". */
  target?: string;
  pass?: boolean;
}

export interface BenchContext {
  quick: boolean;
}

export type Bench = (ctx: BenchContext) => Promise<BenchRow[]>;
