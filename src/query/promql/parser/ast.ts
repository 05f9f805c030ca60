import type { LabelMatcher } from '../../../core/labels.js';

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

export type BinaryOp =
  | '+' | '-' | '*' | '/' | '%' | '^' | 'atan2'
  | '==' | '!=' | '>' | '<' | '>=' | '<='
  | 'and' | 'or' | 'unless';

export type AggregateOp =
  | 'sum' | 'avg' | 'count' | 'min' | 'max' | 'group' | 'stddev' | 'stdvar'
  | 'topk' | 'bottomk' | 'count_values' | 'quantile' | 'limitk' | 'limit_ratio';

/** Position of a node in the query text (character offsets). */
export interface PosRange {
  start: number;
  end: number;
}

/** `@` modifier: a fixed timestamp in ms, or the query's start()/end(). */
export type AtModifier = { kind: 'time'; ms: number } | { kind: 'start' } | { kind: 'end' };

export interface NumberLiteral {
  type: 'number';
  value: number;
  pos: PosRange;
}

export interface StringLiteral {
  type: 'string';
  value: string;
  pos: PosRange;
}

export interface VectorSelector {
  type: 'vectorSelector';
  name: string | undefined;
  matchers: LabelMatcher[];
  /** Offset in ms (positive looks back). */
  offsetMs: number;
  at: AtModifier | undefined;
  pos: PosRange;
}

export interface MatrixSelector {
  type: 'matrixSelector';
  selector: VectorSelector;
  rangeMs: number;
  pos: PosRange;
}

export interface SubqueryExpr {
  type: 'subquery';
  expr: Expr;
  rangeMs: number;
  /** Step in ms; undefined means the engine default. */
  stepMs: number | undefined;
  offsetMs: number;
  at: AtModifier | undefined;
  pos: PosRange;
}

export interface VectorMatching {
  card: 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';
  /** true: `on(...)`; false: `ignoring(...)` (or no clause). */
  on: boolean;
  labels: string[];
  /** Labels copied from the "one" side by group_left/group_right. */
  include: string[];
}

export interface BinaryExpr {
  type: 'binary';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  returnBool: boolean;
  matching: VectorMatching | undefined;
  pos: PosRange;
}

export interface UnaryExpr {
  type: 'unary';
  op: '+' | '-';
  expr: Expr;
  pos: PosRange;
}

export interface ParenExpr {
  type: 'paren';
  expr: Expr;
  pos: PosRange;
}

export interface AggregateExpr {
  type: 'aggregate';
  op: AggregateOp;
  expr: Expr;
  param: Expr | undefined;
  grouping: string[];
  without: boolean;
  pos: PosRange;
}

export interface Call {
  type: 'call';
  func: string;
  args: Expr[];
  pos: PosRange;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | BinaryExpr
  | UnaryExpr
  | ParenExpr
  | AggregateExpr
  | Call;

export const COMPARISON_OPS: ReadonlySet<string> = new Set(['==', '!=', '>', '<', '>=', '<=']);
export const SET_OPS: ReadonlySet<string> = new Set(['and', 'or', 'unless']);
export const AGGREGATE_OPS: ReadonlySet<string> = new Set([
  'sum', 'avg', 'count', 'min', 'max', 'group', 'stddev', 'stdvar',
  'topk', 'bottomk', 'count_values', 'quantile', 'limitk', 'limit_ratio',
]);
