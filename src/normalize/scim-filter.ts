// SCIM filters and PATCH paths (RFC 7644 §3.4.2.2 and §3.5.2): a tokenizer and a recursive-descent
// parser for the RFC's ABNF, returning an AST. Pure: it never touches the database; turning an AST
// into SQL is sync's job (src/sync/scim-query.ts), evaluating it in memory is patch.ts's.
//
//   FILTER    = attrExp / logExp / valuePath / *1"not" "(" valFilter ")"
//   valuePath = attrPath "[" valFilter "]"
//   attrExp   = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)
//   logExp    = FILTER SP ("and" / "or") SP FILTER        ("and" binds tighter than "or")
//   attrPath  = [URI ":"] ATTRNAME *1subAttr
//   PATH      = attrPath / valuePath [subAttr]             (PATCH, §3.5.2)
//
// Operators, "and"/"or"/"not", true/false/null and attribute names are case-insensitive.

/** An attribute reference: optional schema URN, attribute name, optional sub-attribute. */
export interface AttrPath {
  uri: string | null;
  name: string;
  sub: string | null;
}

export const COMPARE_OPS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];
export type CompValue = string | number | boolean | null;

/** A parsed filter. Inside a valuePath, `filter`'s attribute names are relative to `attr`. */
export type Filter =
  | { kind: "compare"; attr: AttrPath; op: CompareOp; value: CompValue }
  | { kind: "present"; attr: AttrPath }
  | { kind: "and" | "or"; left: Filter; right: Filter }
  | { kind: "not"; filter: Filter }
  | { kind: "valuePath"; attr: AttrPath; filter: Filter };

/** A parsed PATCH path: `attr`, optionally narrowed by a value filter and then a sub-attribute. */
export interface PatchPath {
  attr: AttrPath;
  filter: Filter | null;
  sub: string | null;
}

/** Why a filter or path was rejected, with the SCIM error type to answer with. */
export interface ParseError {
  scimType: "invalidFilter" | "invalidPath";
  detail: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ParseError };

/** Longest filter accepted; IdPs send short lookups, so this only stops abuse. */
export const MAX_FILTER_LENGTH = 4096;
const MAX_DEPTH = 64;

type Token =
  | { type: "word"; text: string; at: number }
  | { type: "string"; value: string; at: number }
  | { type: "number"; value: number; at: number }
  | { type: "(" | ")" | "[" | "]"; at: number };

class SyntaxFailure extends Error {}

// ATTRNAME = ALPHA *(nameChar); URIs add ":" and "."; "$ref" is a real sub-attribute name.
const WORD_CHAR = /[A-Za-z0-9_:.$-]/;
const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/;

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      i++;
    } else if (ch === "(" || ch === ")" || ch === "[" || ch === "]") {
      tokens.push({ type: ch, at: i });
      i++;
    } else if (ch === '"') {
      const start = i;
      i++;
      while (i < input.length && input[i] !== '"') i += input[i] === "\\" ? 2 : 1;
      if (i >= input.length) throw new SyntaxFailure(`unterminated string starting at position ${start + 1}`);
      i++;
      let value: unknown;
      try {
        value = JSON.parse(input.slice(start, i));
      } catch {
        throw new SyntaxFailure(`invalid string at position ${start + 1}`);
      }
      // Postgres text cannot hold U+0000; no stored value can match it anyway.
      if ((value as string).includes("\u0000")) throw new SyntaxFailure(`string at position ${start + 1} contains U+0000`);
      tokens.push({ type: "string", value: value as string, at: start });
    } else if (ch === "-" || (ch >= "0" && ch <= "9")) {
      const match = NUMBER.exec(input.slice(i));
      if (!match) throw new SyntaxFailure(`invalid number at position ${i + 1}`);
      tokens.push({ type: "number", value: Number(match[0]), at: i });
      i += match[0].length;
    } else if (WORD_CHAR.test(ch)) {
      const start = i;
      while (i < input.length && WORD_CHAR.test(input[i]!)) i++;
      tokens.push({ type: "word", text: input.slice(start, i), at: start });
    } else {
      throw new SyntaxFailure(`unexpected character ${JSON.stringify(ch)} at position ${i + 1}`);
    }
  }
  return tokens;
}

const ATTRNAME = /^[A-Za-z$][A-Za-z0-9_$-]*$/;

/** Splits "urn:...:User:manager.value" into URI, name and sub-attribute; null when malformed. */
export function parseAttrPath(text: string): AttrPath | null {
  let uri: string | null = null;
  let rest = text;
  if (/^urn:/i.test(text)) {
    const cut = text.lastIndexOf(":");
    uri = text.slice(0, cut);
    rest = text.slice(cut + 1);
  }
  const parts = rest.split(".");
  if (parts.length > 2 || !parts.every((p) => ATTRNAME.test(p))) return null;
  return { uri, name: parts[0]!, sub: parts[1] ?? null };
}

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  done(): boolean {
    return this.pos >= this.tokens.length;
  }

  peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private next(): Token {
    const token = this.tokens[this.pos++];
    if (!token) throw new SyntaxFailure("unexpected end of filter");
    return token;
  }

  private keyword(word: string): boolean {
    const token = this.peek();
    if (token?.type === "word" && token.text.toLowerCase() === word) {
      this.pos++;
      return true;
    }
    return false;
  }

  private expect(type: "(" | ")" | "[" | "]"): void {
    const token = this.next();
    if (token.type !== type) throw new SyntaxFailure(`expected "${type}" at position ${token.at + 1}`);
  }

  /** filter := andExpr ("or" andExpr)* */
  filter(): Filter {
    if (++this.depth > MAX_DEPTH) throw new SyntaxFailure("filter is nested too deeply");
    let left = this.andExpr();
    while (this.keyword("or")) left = { kind: "or", left, right: this.andExpr() };
    this.depth--;
    return left;
  }

  private andExpr(): Filter {
    let left = this.unary();
    while (this.keyword("and")) left = { kind: "and", left, right: this.unary() };
    return left;
  }

  private unary(): Filter {
    const token = this.peek();
    if (token?.type === "word" && token.text.toLowerCase() === "not" && this.tokens[this.pos + 1]?.type === "(") {
      this.pos++;
      this.expect("(");
      const inner = this.filter();
      this.expect(")");
      return { kind: "not", filter: inner };
    }
    if (token?.type === "(") {
      this.pos++;
      const inner = this.filter();
      this.expect(")");
      return inner;
    }
    return this.attrExpression();
  }

  /** attrExp or valuePath; also accepts `attr[filter].sub op value` as `attr[filter and sub op value]`. */
  private attrExpression(): Filter {
    const attr = this.attrPath();
    if (this.peek()?.type === "[") {
      const filter = this.valueFilter();
      const sub = this.subAttr();
      if (sub) {
        const tail = this.comparison({ uri: null, name: sub, sub: null });
        return { kind: "valuePath", attr, filter: { kind: "and", left: filter, right: tail } };
      }
      return { kind: "valuePath", attr, filter };
    }
    return this.comparison(attr);
  }

  /** A ".name" right after "]", as in emails[type eq "work"].value; null when absent. */
  subAttr(): string | null {
    const token = this.peek();
    if (token?.type !== "word" || !token.text.startsWith(".")) return null;
    const sub = token.text.slice(1);
    if (!ATTRNAME.test(sub)) throw new SyntaxFailure(`invalid sub-attribute "${sub}" at position ${token.at + 1}`);
    this.pos++;
    return sub;
  }

  valueFilter(): Filter {
    this.expect("[");
    const filter = this.filter();
    this.expect("]");
    return filter;
  }

  private comparison(attr: AttrPath): Filter {
    const opToken = this.next();
    const op = opToken.type === "word" ? opToken.text.toLowerCase() : "";
    if (op === "pr") return { kind: "present", attr };
    if (!(COMPARE_OPS as readonly string[]).includes(op)) {
      throw new SyntaxFailure(`expected an operator (eq ne co sw ew gt ge lt le pr) at position ${opToken.at + 1}`);
    }
    return { kind: "compare", attr, op: op as CompareOp, value: this.compValue() };
  }

  private compValue(): CompValue {
    const token = this.next();
    if (token.type === "string" || token.type === "number") return token.value;
    if (token.type === "word") {
      const word = token.text.toLowerCase();
      if (word === "true") return true;
      if (word === "false") return false;
      if (word === "null") return null;
    }
    throw new SyntaxFailure(`expected a value (a "quoted string", number, true, false or null) at position ${token.at + 1}`);
  }

  attrPath(): AttrPath {
    const token = this.next();
    if (token.type !== "word") throw new SyntaxFailure(`expected an attribute name at position ${token.at + 1}`);
    const attr = parseAttrPath(token.text);
    if (!attr) throw new SyntaxFailure(`invalid attribute name "${token.text}" at position ${token.at + 1}`);
    return attr;
  }
}

function run<T>(input: string, scimType: ParseError["scimType"], parse: (p: Parser) => T): ParseResult<T> {
  if (input.length > MAX_FILTER_LENGTH) return { ok: false, error: { scimType, detail: `longer than ${MAX_FILTER_LENGTH} characters` } };
  try {
    const parser = new Parser(tokenize(input));
    if (parser.done()) return { ok: false, error: { scimType, detail: "empty" } };
    const value = parse(parser);
    const extra = parser.peek();
    if (extra) return { ok: false, error: { scimType, detail: `unexpected input at position ${extra.at + 1}` } };
    return { ok: true, value };
  } catch (error) {
    if (error instanceof SyntaxFailure) return { ok: false, error: { scimType, detail: error.message } };
    throw error;
  }
}

/** Parses a `filter` query parameter (RFC 7644 §3.4.2.2). */
export function parseScimFilter(input: string): ParseResult<Filter> {
  const result = run(input, "invalidFilter", (p) => p.filter());
  return result.ok ? result : { ok: false, error: { ...result.error, detail: `invalid filter: ${result.error.detail}` } };
}

/** Parses a PATCH operation's `path` (RFC 7644 §3.5.2). */
export function parseScimPath(input: string): ParseResult<PatchPath> {
  const result = run(input, "invalidPath", (p) => {
    const attr = p.attrPath();
    if (p.peek()?.type !== "[") return { attr, filter: null, sub: null };
    if (attr.sub) throw new SyntaxFailure("a value filter must follow a top-level attribute");
    const filter = p.valueFilter();
    return { attr, filter, sub: p.subAttr() };
  });
  return result.ok ? result : { ok: false, error: { ...result.error, detail: `invalid path: ${result.error.detail}` } };
}
