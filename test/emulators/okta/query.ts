// Okta's `filter` and `search` expressions (idp-apis.md §3.4-3.6): comparisons joined by and / or,
// with parentheses. Each endpoint allows its own attributes and operators; anything else is the
// 400 E0000031 Okta answers.

export type Operator = "eq" | "sw" | "co" | "gt" | "ge" | "lt" | "le";

type Node =
  | { kind: "cmp"; attr: string; op: Operator; value: string | number | boolean }
  | { kind: "and" | "or"; left: Node; right: Node };

/** Which attributes and operators an endpoint accepts, and how to read an attribute off a record. */
export interface QueryPolicy<T> {
  allows(attr: string, op: Operator): boolean;
  read(record: T, attr: string): unknown;
  isDate(attr: string): boolean;
}

/** A rejected expression, rendered as Okta's error body. */
export class OktaQueryError extends Error {
  constructor(
    readonly errorCode: "E0000031" | "E0000030",
    message: string,
  ) {
    super(message);
  }
}

const OPERATORS = new Set(["eq", "sw", "co", "gt", "ge", "lt", "le"]);
const OKTA_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$/;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const pattern = /\s*(\(|\)|"(?:[^"\\]|\\.)*"|[^\s()"]+)/y;
  let position = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    tokens.push(match[1]!);
    position = pattern.lastIndex;
  }
  if (text.slice(position).trim() !== "") throw invalid();
  return tokens;
}

const invalid = () => new OktaQueryError("E0000031", "Invalid search criteria.");

export function parseOktaQuery(text: string): Node {
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at];
  const take = () => tokens[at++];

  const expression = (): Node => {
    let left = conjunction();
    while (peek()?.toLowerCase() === "or") {
      take();
      left = { kind: "or", left, right: conjunction() };
    }
    return left;
  };
  const conjunction = (): Node => {
    let left = comparison();
    while (peek()?.toLowerCase() === "and") {
      take();
      left = { kind: "and", left, right: comparison() };
    }
    return left;
  };
  const comparison = (): Node => {
    if (peek() === "(") {
      take();
      const inner = expression();
      if (take() !== ")") throw invalid();
      return inner;
    }
    const attr = take();
    const op = take();
    const raw = take();
    if (!attr || !op || raw === undefined || !/^[A-Za-z][\w.]*$/.test(attr) || !OPERATORS.has(op)) throw invalid();
    return { kind: "cmp", attr, op: op as Operator, value: literal(raw) };
  };

  const tree = expression();
  if (at !== tokens.length) throw invalid();
  return tree;
}

function literal(raw: string): string | number | boolean {
  if (raw.startsWith('"')) return JSON.parse(raw) as string;
  if (raw === "true" || raw === "false") return raw === "true";
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  throw invalid();
}

/** Checks the expression against the endpoint's policy, then returns a predicate over its records. */
export function compileOktaQuery<T>(text: string, policy: QueryPolicy<T>): (record: T) => boolean {
  const tree = parseOktaQuery(text);
  validate(tree, policy);
  return (record) => evaluate(tree, record, policy);
}

function validate<T>(node: Node, policy: QueryPolicy<T>): void {
  if (node.kind !== "cmp") {
    validate(node.left, policy);
    validate(node.right, policy);
    return;
  }
  if (!policy.allows(node.attr, node.op)) throw invalid();
  if (policy.isDate(node.attr) && (typeof node.value !== "string" || !OKTA_DATE.test(node.value))) {
    throw new OktaQueryError("E0000030", `Invalid date. Dates must be of the form yyyy-MM-dd'T'HH:mm:ss.SSSZZ, e.g. 2026-11-27T00:00:00.000Z`);
  }
}

function evaluate<T>(node: Node, record: T, policy: QueryPolicy<T>): boolean {
  if (node.kind !== "cmp") {
    return node.kind === "and"
      ? evaluate(node.left, record, policy) && evaluate(node.right, record, policy)
      : evaluate(node.left, record, policy) || evaluate(node.right, record, policy);
  }
  const actual = policy.read(record, node.attr);
  if (actual === undefined || actual === null) return false;
  if (policy.isDate(node.attr)) return compare(Number(actual), Date.parse(String(node.value)), node.op);
  if (node.op === "sw") return String(actual).toLowerCase().startsWith(String(node.value).toLowerCase());
  if (node.op === "co") return String(actual).toLowerCase().includes(String(node.value).toLowerCase());
  return compare(actual as string | number, node.value as string | number, node.op);
}

function compare(a: string | number | boolean, b: string | number | boolean, op: Operator): boolean {
  switch (op) {
    case "eq":
      return a === b;
    case "gt":
      return a > b;
    case "ge":
      return a >= b;
    case "lt":
      return a < b;
    case "le":
      return a <= b;
    default:
      return false;
  }
}
