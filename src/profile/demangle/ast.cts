/**
 * The C++ demangler's syntax tree and its printer: a TypeScript port of ast.go from
 * github.com/ianlancetaylor/demangle as vendored in Go 1.19 (the demangler `go tool pprof` uses).
 * Copyright 2015 The Go Authors. BSD-style license: see LICENSE in this folder.
 *
 * Kept: every node, Traverse, Copy and the GNU-style printer, with their quirks (they decide pprof's
 * bytes). Left out: GoString (debugging) and the LLVM style (pprof never asks for it).
 *
 * Strings here are byte strings (one UTF-16 unit per byte, as Go indexes them): see index.cts.
 */
import { budget, BudgetError } from './budget.cjs';

export type Fn = (a: AST) => AST | undefined;
export type Skip = (a: AST) => boolean;

export abstract class AST {
  /**
   * Child fields (a node, an optional node or a list of nodes) in the order Go's Copy visits them.
   * Traverse visits the same children unless `walk` says otherwise.
   */
  static kids: readonly string[] = [];
  static walk: readonly string[] | undefined;

  abstract print(ps: PrintState): void;

  /** Visits this node and, when fn says so, its children. */
  traverse(fn: (a: AST) => boolean): void {
    budget.tick();
    if (!fn(this)) return;
    const k = this.constructor as typeof AST;
    for (const name of k.walk ?? k.kids) {
      const v = field(this, name);
      if (Array.isArray(v)) for (const a of v as AST[]) a.traverse(fn);
      else if (v !== undefined) (v as AST).traverse(fn);
    }
  }

  /**
   * Go's Copy: a copy with fn's replacements, or undefined when nothing changed. skip(a) true means
   * "do not look into a". A changed node is rebuilt with its other fields as they were.
   */
  copy(fn: Fn, skip: Skip): AST | undefined {
    if (skip(this)) return undefined;
    budget.tick();
    // The changed children, by field; nothing is allocated while nothing changes (most nodes).
    let repl: Record<string, unknown> | undefined;
    for (const name of (this.constructor as typeof AST).kids) {
      const v = field(this, name);
      if (Array.isArray(v)) {
        let list: AST[] | undefined;
        for (let i = 0; i < v.length; i++) {
          const c = (v[i] as AST).copy(fn, skip);
          if (c === undefined) continue;
          list ??= (v as AST[]).slice();
          list[i] = c;
        }
        if (list !== undefined) (repl ??= {})[name] = list;
      } else if (v !== undefined) {
        const c = (v as AST).copy(fn, skip);
        if (c !== undefined) (repl ??= {})[name] = c;
      }
    }
    if (repl === undefined) return fn(this);
    const n = this.rebuild(repl);
    return fn(n) ?? n;
  }

  protected rebuild(repl: Record<string, unknown>): AST {
    return Object.assign(Object.create(Object.getPrototypeOf(this) as object) as AST, this, repl);
  }
}

function field(a: AST, name: string): unknown {
  return (a as unknown as Record<string, unknown>)[name];
}

/** Nodes that print part of themselves inside another type (C++'s inside-out declarators). */
interface InnerPrinter {
  printInner(ps: PrintState): void;
}

function isInnerPrinter(a: AST): a is AST & InnerPrinter {
  return typeof (a as Partial<InnerPrinter>).printInner === 'function';
}

/** The print state (Go's printState). */
export class PrintState {
  buf = '';
  /** the last byte written */
  last = '';
  /** the items still to print for a type name: how types implement the inside-out declarator syntax */
  inner: AST[] = [];
  /** the items being printed: a substitution that refers back to itself prints once at most */
  private printing: AST[] = [];

  constructor(readonly tparams: boolean, private readonly maxLength: number) {}

  writeString(s: string): void {
    if (s.length === 0) return;
    this.last = s[s.length - 1]!;
    this.buf += s;
    if (this.buf.length > this.maxLength) throw new BudgetError('demangled name too long');
  }

  print(a: AST): void {
    budget.tick();
    let c = 0;
    for (const v of this.printing) {
      // Once is allowed: a case like _Z6outer2IsEPFilES1_ prints the substitution differently the
      // second time because the inner types differ.
      if (v === a && ++c > 1) return;
    }
    if (this.printing.length > budget.maxDepth) throw new BudgetError('demangled name nests too deep');
    this.printing.push(a);
    a.print(this);
    this.printing.pop();
  }

  /** Prints the inner types; with prefixOnly, the method qualifiers are kept back and returned. */
  printInner(prefixOnly: boolean): AST[] {
    const save: AST[] = [];
    while (this.inner.length > 0) this.printOneInner(prefixOnly ? save : undefined);
    return save;
  }

  printOneInner(save: AST[] | undefined): void {
    if (this.inner.length === 0) throw new Error('printOneInner called with no inner types');
    const a = this.inner.pop()!;
    if (save !== undefined && a instanceof MethodWithQualifiers) {
      save.push(a);
      return;
    }
    if (isInnerPrinter(a)) a.printInner(this);
    else this.print(a);
  }

  /** Whether printing a prints nothing. */
  isEmpty(a: AST): boolean {
    if (a instanceof ArgumentPack) return a.args.every((x) => this.isEmpty(x));
    if (a instanceof ExprList) return a.exprs.length === 0;
    if (a instanceof PackExpansion) return a.pack !== undefined && this.isEmpty(a.base);
    return false;
  }

  /** `, `-separated items, leaving out the ones that print nothing when `skipEmpty`. */
  list(items: readonly AST[], skipEmpty = false): void {
    let first = true;
    for (const a of items) {
      if (skipEmpty && this.isEmpty(a)) continue;
      if (!first) this.writeString(', ');
      this.print(a);
      first = false;
    }
  }
}

export function astToString(a: AST, tparams: boolean, maxLength: number): string {
  const ps = new PrintState(tparams, maxLength);
  a.print(ps);
  return ps.buf;
}

/** An unqualified name. */
export class Name extends AST {
  constructor(public name: string) { super(); }
  print(ps: PrintState): void { ps.writeString(this.name); }
}

/** A typed name. */
export class Typed extends AST {
  static override kids = ['name', 'type'];
  constructor(public name: AST, public type: AST) { super(); }
  print(ps: PrintState): void {
    // A typed name ignores the current inner names and passes down its own name as the one to use.
    const hold = ps.inner;
    ps.inner = [this];
    ps.print(this.type);
    if (ps.inner.length > 0) {
      // The type did not print the name; print it in the default place.
      ps.writeString(' ');
      ps.print(this.name);
    }
    ps.inner = hold;
  }
  printInner(ps: PrintState): void { ps.print(this.name); }
}

/** A name in a scope; localName when parsed as a <local-name>. */
export class Qualified extends AST {
  static override kids = ['scope', 'name'];
  constructor(public scope: AST, public name: AST, public localName: boolean) { super(); }
  print(ps: PrintState): void {
    ps.print(this.scope);
    ps.writeString('::');
    ps.print(this.name);
  }
}

/** A template with arguments. */
export class Template extends AST {
  static override kids = ['name', 'args'];
  constructor(public name: AST, public args: AST[]) { super(); }
  print(ps: PrintState): void {
    // Inner types apply to the template as a whole: they don't cross into it.
    const hold = ps.inner;
    ps.inner = [];
    ps.print(this.name);
    if (ps.tparams) {
      if (ps.last === '<') ps.writeString(' '); // operator< <…>
      ps.writeString('<');
      ps.list(this.args, true);
      if (ps.last === '>') ps.writeString(' '); // no >> for old C++
      ps.writeString('>');
    }
    ps.inner = hold;
  }
}

/** A template parameter; simplify replaces it with its argument, so it rarely prints itself. */
export class TemplateParam extends AST {
  constructor(public index: number, public template: Template | undefined) { super(); }
  print(ps: PrintState): void {
    // Go panics here (a crash of pprof); an error makes the name stay as it is.
    if (this.template === undefined) throw new Error('TemplateParam Template field is nil');
    if (this.index >= this.template.args.length) throw new Error('TemplateParam Index out of bounds');
    ps.print(this.template.args[this.index]!);
  }
}

/** A lambda auto parameter. */
export class LambdaAuto extends AST {
  constructor(public index: number) { super(); }
  print(ps: PrintState): void { ps.writeString(`auto:${this.index + 1}`); }
}

/** An ordered list of type qualifiers. */
export class Qualifiers extends AST {
  static override kids = ['qualifiers'];
  constructor(public qualifiers: Qualifier[]) { super(); }
  print(ps: PrintState): void {
    this.qualifiers.forEach((q, i) => {
      if (i > 0) ps.writeString(' ');
      q.print(ps);
    });
  }
}

/** One type qualifier; exprs for noexcept(…) and throw(…). */
export class Qualifier extends AST {
  static override kids = ['exprs'];
  constructor(public name: string, public exprs: AST[] = []) { super(); }
  print(ps: PrintState): void {
    ps.writeString(this.name);
    if (this.exprs.length > 0) {
      ps.writeString('(');
      ps.list(this.exprs.filter((e) => !(e instanceof ExprList && e.exprs.length === 0)));
      ps.writeString(')');
    }
  }
}

/** A type with standard qualifiers. */
export class TypeWithQualifiers extends AST {
  static override kids = ['base', 'qualifiers'];
  static override walk = ['base'];
  constructor(public base: AST, public qualifiers: Qualifiers) { super(); }
  print(ps: PrintState): void {
    // The base type may print the inner types.
    ps.inner.push(this);
    ps.print(this.base);
    if (ps.inner.length > 0) {
      // The qualifier wasn't printed by the base.
      ps.writeString(' ');
      ps.print(this.qualifiers);
      ps.inner.pop();
    }
  }
  printInner(ps: PrintState): void {
    ps.writeString(' ');
    ps.print(this.qualifiers);
  }
}

/** A method with qualifiers. */
export class MethodWithQualifiers extends AST {
  static override kids = ['method', 'qualifiers'];
  static override walk = ['method'];
  constructor(public method: AST, public qualifiers: Qualifiers | undefined, public refQualifier: string) { super(); }
  print(ps: PrintState): void {
    ps.inner.push(this);
    ps.print(this.method);
    if (ps.inner.length > 0) {
      this.printInner(ps);
      ps.inner.pop();
    }
  }
  printInner(ps: PrintState): void {
    if (this.qualifiers !== undefined) {
      ps.writeString(' ');
      ps.print(this.qualifiers);
    }
    if (this.refQualifier !== '') {
      ps.writeString(' ');
      ps.writeString(this.refQualifier);
    }
  }
}

/** A builtin type, like "int". */
export class BuiltinType extends AST {
  constructor(public name: string) { super(); }
  print(ps: PrintState): void { ps.writeString(this.name); }
}

/** Types printed as their base plus a suffix (Go's printBase). */
abstract class SuffixType extends AST implements InnerPrinter {
  static override kids = ['base'];
  constructor(public base: AST) { super(); }
  print(ps: PrintState): void {
    ps.inner.push(this);
    ps.print(this.base);
    if (ps.inner.length > 0) {
      this.printInner(ps);
      ps.inner.pop();
    }
  }
  abstract printInner(ps: PrintState): void;
}

export class PointerType extends SuffixType {
  printInner(ps: PrintState): void { ps.writeString('*'); }
}

export class ReferenceType extends SuffixType {
  printInner(ps: PrintState): void { ps.writeString('&'); }
}

export class RvalueReferenceType extends SuffixType {
  printInner(ps: PrintState): void { ps.writeString('&&'); }
}

export class ComplexType extends SuffixType {
  printInner(ps: PrintState): void { ps.writeString(' _Complex'); }
}

export class ImaginaryType extends SuffixType {
  printInner(ps: PrintState): void { ps.writeString(' _Imaginary'); }
}

/** A type qualified by a vendor-specific qualifier. */
export class VendorQualifier extends AST {
  static override kids = ['qualifier', 'type'];
  constructor(public qualifier: AST, public type: AST) { super(); }
  print(ps: PrintState): void {
    ps.inner.push(this);
    ps.print(this.type);
    if (ps.inner.length > 0) ps.printOneInner(undefined);
  }
  printInner(ps: PrintState): void {
    ps.writeString(' ');
    ps.print(this.qualifier);
  }
  override copy(fn: Fn, skip: Skip): AST | undefined {
    if (skip(this)) return undefined;
    budget.tick();
    const qualifier = this.qualifier.copy(fn, skip);
    const type = this.type.copy(fn, skip);
    if (qualifier === undefined && type === undefined) return fn(this);
    // Go's copy keeps the old type here (a bug we keep: it decides the output).
    const n = new VendorQualifier(qualifier ?? this.qualifier, this.type);
    return fn(n) ?? n;
  }
}

/** An array type. */
export class ArrayType extends AST {
  static override kids = ['dimension', 'element'];
  constructor(public dimension: AST, public element: AST) { super(); }
  print(ps: PrintState): void {
    // The array is an inner type so that multi-dimensional arrays print right.
    ps.inner.push(this);
    ps.print(this.element);
    if (ps.inner.length > 0) {
      ps.inner.pop();
      this.printDimension(ps);
    }
  }
  printInner(ps: PrintState): void { this.printDimension(ps); }
  private printDimension(ps: PrintState): void {
    let space = ' ';
    while (ps.inner.length > 0) {
      // Not at the real type yet: parentheses around it, unless it is an array (multi-dimensional).
      const top = ps.inner[ps.inner.length - 1]!;
      const inn = top instanceof TypeWithQualifiers ? top.base : top;
      if (inn instanceof ArrayType) {
        if (inn === top) space = '';
        ps.printOneInner(undefined);
      } else {
        ps.writeString(' (');
        ps.printInner(false);
        ps.writeString(')');
      }
    }
    ps.writeString(space);
    ps.writeString('[');
    ps.print(this.dimension);
    ps.writeString(']');
  }
}

/** A function type; forLocalName: made for a local name, whose return type GNU style omits. */
export class FunctionType extends AST {
  static override kids = ['ret', 'args'];
  constructor(public ret: AST | undefined, public args: AST[], public forLocalName: boolean) { super(); }
  print(ps: PrintState): void {
    const ret = this.forLocalName ? undefined : this.ret;
    if (ret !== undefined) {
      // The return type is passed as an inner type so that the arguments print in the right place.
      ps.inner.push(this);
      ps.print(ret);
      if (ps.inner.length === 0) return; // everything was printed
      ps.inner.pop();
      ps.writeString(' ');
    }
    this.printArgs(ps);
  }
  printInner(ps: PrintState): void { this.printArgs(ps); }
  private printArgs(ps: PrintState): void {
    let paren = false;
    let space = false;
    for (let i = ps.inner.length - 1; i >= 0; i--) {
      const a = ps.inner[i];
      if (a instanceof PointerType || a instanceof ReferenceType || a instanceof RvalueReferenceType) {
        paren = true;
      } else if (a instanceof TypeWithQualifiers || a instanceof ComplexType || a instanceof ImaginaryType || a instanceof PtrMem) {
        space = true;
        paren = true;
      }
      if (paren) break;
    }
    if (paren) {
      if (!space && ps.last !== '(' && ps.last !== '*') space = true;
      if (space && ps.last !== ' ') ps.writeString(' ');
      ps.writeString('(');
    }
    const save = ps.printInner(true);
    if (paren) ps.writeString(')');
    ps.writeString('(');
    ps.list(this.args, true);
    ps.writeString(')');
    ps.inner = save;
    ps.printInner(false);
  }
}

/** A function parameter, in a closure's trailing return type. */
export class FunctionParam extends AST {
  constructor(public index: number) { super(); }
  print(ps: PrintState): void { ps.writeString(this.index === 0 ? 'this' : `{parm#${this.index}}`); }
}

/** A pointer-to-member type. */
export class PtrMem extends AST {
  static override kids = ['cls', 'member'];
  constructor(public cls: AST, public member: AST) { super(); }
  print(ps: PrintState): void {
    ps.inner.push(this);
    ps.print(this.member);
    if (ps.inner.length > 0) ps.printOneInner(undefined);
  }
  printInner(ps: PrintState): void {
    if (ps.last !== '(') ps.writeString(' ');
    ps.print(this.cls);
    ps.writeString('::*');
  }
}

/** A fixed-point type. */
export class FixedType extends AST {
  static override kids = ['base'];
  constructor(public base: AST, public accum: boolean, public sat: boolean) { super(); }
  print(ps: PrintState): void {
    if (this.sat) ps.writeString('_Sat ');
    // The standard demangler skips "int".
    if (!(this.base instanceof BuiltinType && this.base.name === 'int')) {
      ps.print(this.base);
      ps.writeString(' ');
    }
    ps.writeString(this.accum ? '_Accum' : '_Fract');
  }
}

/** A binary floating-point type. */
export class BinaryFP extends AST {
  constructor(public bits: number) { super(); }
  print(ps: PrintState): void { ps.writeString(`_Float${this.bits}`); }
}

/** A vector type. */
export class VectorType extends AST {
  static override kids = ['dimension', 'base'];
  constructor(public dimension: AST, public base: AST) { super(); }
  print(ps: PrintState): void {
    ps.inner.push(this);
    ps.print(this.base);
    if (ps.inner.length > 0) ps.printOneInner(undefined);
  }
  printInner(ps: PrintState): void {
    ps.writeString(' __vector(');
    ps.print(this.dimension);
    ps.writeString(')');
  }
}

/** An elaborated struct/union/enum type. */
export class ElaboratedType extends AST {
  static override kids = ['type'];
  constructor(public kind: string, public type: AST) { super(); }
  print(ps: PrintState): void {
    ps.writeString(this.kind);
    ps.writeString(' ');
    this.type.print(ps); // not ps.print, as in Go
  }
}

/** decltype(expr). */
export class Decltype extends AST {
  static override kids = ['expr'];
  constructor(public expr: AST) { super(); }
  print(ps: PrintState): void {
    ps.writeString('decltype (');
    ps.print(this.expr);
    ps.writeString(')');
  }
}

/** An operator. */
export class Operator extends AST {
  constructor(public name: string) { super(); }
  print(ps: PrintState): void {
    ps.writeString('operator');
    if (isLower(this.name.charCodeAt(0))) ps.writeString(' ');
    ps.writeString(this.name.endsWith(' ') ? this.name.slice(0, -1) : this.name);
  }
}

/** A constructor; base is the base class of an inheriting constructor (not printed). */
export class Constructor extends AST {
  static override kids = ['name', 'base'];
  constructor(public name: AST, public base: AST | undefined) { super(); }
  print(ps: PrintState): void { ps.print(this.name); }
}

export class Destructor extends AST {
  static override kids = ['name'];
  constructor(public name: AST) { super(); }
  print(ps: PrintState): void {
    ps.writeString('~');
    ps.print(this.name);
  }
}

/** A global constructor or destructor. */
export class GlobalCDtor extends AST {
  static override kids = ['key'];
  constructor(public ctor: boolean, public key: AST) { super(); }
  print(ps: PrintState): void {
    ps.writeString(`global ${this.ctor ? 'constructors' : 'destructors'} keyed to `);
    ps.print(this.key);
  }
}

/** A name with an ABI tag. */
export class TaggedName extends AST {
  static override kids = ['name', 'tag'];
  constructor(public name: AST, public tag: AST) { super(); }
  print(ps: PrintState): void {
    ps.print(this.name);
    ps.writeString('[abi:');
    ps.print(this.tag);
    ps.writeString(']');
  }
}

/** A pack expansion; pack may be undefined. */
export class PackExpansion extends AST {
  static override kids = ['base'];
  constructor(public base: AST, public pack: ArgumentPack | undefined) { super(); }
  print(ps: PrintState): void {
    // Normally only reached when simplify could not find and expand the pack.
    if (this.pack === undefined) {
      parenthesize(ps, this.base);
      ps.writeString('...');
    } else {
      ps.print(this.base);
    }
  }
}

export class ArgumentPack extends AST {
  static override kids = ['args'];
  constructor(public args: AST[]) { super(); }
  print(ps: PrintState): void { ps.list(this.args); }
}

/** sizeof...(pack). */
export class SizeofPack extends AST {
  constructor(public pack: ArgumentPack) { super(); }
  print(ps: PrintState): void { ps.writeString(String(this.pack.args.length)); }
  override copy(fn: Fn, skip: Skip): AST | undefined {
    if (skip(this)) return undefined;
    // Go always copies this one (the pack points elsewhere in the tree).
    const n = new SizeofPack(this.pack);
    return fn(n) ?? n;
  }
}

/** The size of a captured template parameter pack from an alias template. */
export class SizeofArgs extends AST {
  static override kids = ['args'];
  constructor(public args: AST[]) { super(); }
  print(ps: PrintState): void {
    let c = 0;
    for (const a of this.args) {
      if (a instanceof ArgumentPack) c += a.args.length;
      else if (a instanceof ExprList) c += a.exprs.length;
      else c++;
    }
    ps.writeString(String(c));
  }
}

/** The name the demangler gives a lambda's explicit template parameter: a prefix and an index. */
export class TemplateParamName extends AST {
  constructor(public prefix: string, public index: number) { super(); }
  print(ps: PrintState): void {
    ps.writeString(this.prefix);
    if (this.index > 0) ps.writeString(String(this.index - 1));
  }
}

export class TypeTemplateParam extends AST {
  static override kids = ['name'];
  constructor(public name: AST) { super(); }
  print(ps: PrintState): void {
    ps.writeString('typename ');
    ps.printInner(false);
    ps.print(this.name);
  }
}

export class NonTypeTemplateParam extends AST {
  static override kids = ['name', 'type'];
  constructor(public name: AST, public type: AST) { super(); }
  print(ps: PrintState): void {
    ps.inner.push(this);
    ps.print(this.type);
    if (ps.inner.length > 0) {
      ps.writeString(' ');
      ps.print(this.name);
      ps.inner.pop();
    }
  }
  printInner(ps: PrintState): void { ps.print(this.name); }
}

export class TemplateTemplateParam extends AST {
  static override kids = ['name', 'params'];
  constructor(public name: AST, public params: AST[]) { super(); }
  print(ps: PrintState): void {
    ps.writeString('template<');
    ps.list(this.params);
    ps.writeString('> typename ');
    ps.print(this.name);
  }
}

export class TemplateParamPack extends AST {
  static override kids = ['param'];
  constructor(public param: AST) { super(); }
  print(ps: PrintState): void {
    const hold = ps.inner;
    ps.inner = [this];
    ps.print(this.param instanceof NonTypeTemplateParam ? this.param.type : this.param);
    if (ps.inner.length > 0) ps.writeString('...');
    ps.inner = hold;
  }
  printInner(ps: PrintState): void {
    ps.writeString('...');
    if (this.param instanceof NonTypeTemplateParam) ps.print(this.param.name);
  }
}

/** A conversion operator. */
export class Cast extends AST {
  static override kids = ['to'];
  constructor(public to: AST) { super(); }
  print(ps: PrintState): void {
    ps.writeString('operator ');
    ps.print(this.to);
  }
}

/** Prints val, in parentheses when needed. */
function parenthesize(ps: PrintState, val: AST): void {
  const paren = !(val instanceof Name || val instanceof InitializerList || val instanceof FunctionParam ||
    (val instanceof Qualified && !val.localName));
  if (paren) ps.writeString('(');
  ps.print(val);
  if (paren) ps.writeString(')');
}

/** An operator with no arguments, such as throw. */
export class Nullary extends AST {
  static override kids = ['op'];
  constructor(public op: AST) { super(); }
  print(ps: PrintState): void {
    if (this.op instanceof Operator) ps.writeString(this.op.name);
    else ps.print(this.op);
  }
}

/** A unary operation; suffix for postfix ++ and --, sizeofType for sizeof (type). */
export class Unary extends AST {
  static override kids = ['op', 'expr'];
  constructor(public op: AST, public expr: AST, public suffix: boolean, public sizeofType: boolean) { super(); }
  print(ps: PrintState): void {
    const op = this.op instanceof Operator ? this.op : undefined;
    let expr = this.expr;
    // No argument list when taking the address of a function.
    if (op?.name === '&' && expr instanceof Typed && expr.type instanceof FunctionType) expr = expr.name;
    if (this.suffix) parenthesize(ps, expr);
    if (op !== undefined) {
      ps.writeString(op.name);
    } else if (this.op instanceof Cast) {
      ps.writeString('(');
      ps.print(this.op.to);
      ps.writeString(')');
    } else {
      ps.print(this.op);
    }
    if (!this.suffix) {
      if (op?.name === '::') {
        ps.print(expr); // no parentheses after ::
      } else if (this.sizeofType || op?.name === '__alignof__') {
        ps.writeString('(');
        ps.print(expr);
        ps.writeString(')');
      } else {
        parenthesize(ps, expr);
      }
    }
  }
}

function isDesignatedInitializer(x: AST): boolean {
  if (x instanceof Binary && x.op instanceof Operator) {
    if (x.op.name === ']=') return true;
    if (x.op.name !== '=') return false;
    return !(x.left instanceof Literal);
  }
  if (x instanceof Trinary && x.op instanceof Operator) return x.op.name === '[...]=';
  return false;
}

/** A binary operation. */
export class Binary extends AST {
  static override kids = ['op', 'left', 'right'];
  constructor(public op: AST, public left: AST, public right: AST) { super(); }
  print(ps: PrintState): void {
    const op = this.op instanceof Operator ? this.op : undefined;
    if (op !== undefined && op.name.includes('cast')) {
      ps.writeString(op.name);
      ps.writeString('<');
      ps.print(this.left);
      ps.writeString('>(');
      ps.print(this.right);
      ps.writeString(')');
      return;
    }
    if (isDesignatedInitializer(this)) {
      ps.writeString(op!.name === '=' ? '.' : '[');
      ps.print(this.left);
      if (op!.name === ']=') ps.writeString(']');
      if (isDesignatedInitializer(this.right)) {
        ps.print(this.right); // nothing between chained designated initializers
      } else {
        ps.writeString('=');
        parenthesize(ps, this.right);
      }
      return;
    }
    // Parentheses around a > so that it is not taken for the end of template arguments.
    if (op?.name === '>') ps.writeString('(');
    let left = this.left;
    let skipParens = false;
    // A call in an expression prints its argument types only when there is a return type.
    if (op?.name === '()' && left instanceof Typed) {
      if (left.type instanceof FunctionType && left.type.ret !== undefined) skipParens = true;
      else left = left.name;
    }
    if (skipParens) ps.print(left);
    else parenthesize(ps, left);
    if (op?.name === '[]') {
      ps.writeString('[');
      ps.print(this.right);
      ps.writeString(']');
      return;
    }
    if (op === undefined) ps.print(this.op);
    else if (op.name !== '()') ps.writeString(op.name);
    parenthesize(ps, this.right);
    if (op?.name === '>') ps.writeString(')');
  }
}

/** The ?: operation (and the [a ... b]= designated initializer). */
export class Trinary extends AST {
  static override kids = ['op', 'first', 'second', 'third'];
  constructor(public op: AST, public first: AST, public second: AST, public third: AST) { super(); }
  print(ps: PrintState): void {
    if (isDesignatedInitializer(this)) {
      ps.writeString('[');
      ps.print(this.first);
      ps.writeString(' ... ');
      ps.print(this.second);
      ps.writeString(']');
      if (isDesignatedInitializer(this.third)) {
        ps.print(this.third);
      } else {
        ps.writeString('=');
        parenthesize(ps, this.third);
      }
      return;
    }
    parenthesize(ps, this.first);
    ps.writeString('?');
    parenthesize(ps, this.second);
    ps.writeString(' : ');
    parenthesize(ps, this.third);
  }
}

/** A C++17 fold expression; arg2 undefined for a unary fold. */
export class Fold extends AST {
  static override kids = ['op', 'arg1', 'arg2'];
  constructor(public left: boolean, public op: AST, public arg1: AST, public arg2: AST | undefined) { super(); }
  print(ps: PrintState): void {
    const printOp = () => {
      if (this.op instanceof Operator) ps.writeString(this.op.name);
      else ps.print(this.op);
    };
    if (this.arg2 === undefined) {
      if (this.left) {
        ps.writeString('(...');
        printOp();
        parenthesize(ps, this.arg1);
        ps.writeString(')');
      } else {
        ps.writeString('(');
        parenthesize(ps, this.arg1);
        printOp();
        ps.writeString('...)');
      }
    } else {
      ps.writeString('(');
      parenthesize(ps, this.arg1);
      printOp();
      ps.writeString('...');
      printOp();
      parenthesize(ps, this.arg2);
      ps.writeString(')');
    }
  }
}

/** A reference to an offset in an expression (C++20 class-type template arguments). */
export class Subobject extends AST {
  static override kids = ['type', 'subExpr'];
  constructor(public type: AST, public subExpr: AST, public offset: number, public selectors: number[], public pastEnd: boolean) { super(); }
  print(ps: PrintState): void {
    ps.print(this.subExpr);
    ps.writeString('.<');
    ps.print(this.type);
    ps.writeString(` at offset ${this.offset}>`);
  }
  override copy(fn: Fn, skip: Skip): AST | undefined {
    if (skip(this)) return undefined;
    budget.tick();
    const type = this.type.copy(fn, skip);
    const subExpr = this.subExpr.copy(fn, skip);
    if (type === undefined && subExpr === undefined) return undefined; // not fn(this), as in Go
    const n = new Subobject(type ?? this.type, subExpr ?? this.subExpr, this.offset, this.selectors, this.pastEnd);
    return fn(n) ?? n;
  }
}

/** A conversion of an expression to a pointer-to-member type. */
export class PtrMemCast extends AST {
  static override kids = ['type', 'expr'];
  constructor(public type: AST, public expr: AST, public offset: number) { super(); }
  print(ps: PrintState): void {
    ps.writeString('(');
    ps.print(this.type);
    ps.writeString(')(');
    ps.print(this.expr);
    ps.writeString(')');
  }
  override copy(fn: Fn, skip: Skip): AST | undefined {
    if (skip(this)) return undefined;
    budget.tick();
    const type = this.type.copy(fn, skip);
    const expr = this.expr.copy(fn, skip);
    if (type === undefined && expr === undefined) return undefined; // not fn(this), as in Go
    const n = new PtrMemCast(type ?? this.type, expr ?? this.expr, this.offset);
    return fn(n) ?? n;
  }
}

/** operator new in an expression. */
export class New extends AST {
  static override kids = ['op', 'place', 'type', 'init'];
  constructor(public op: AST, public place: AST | undefined, public type: AST, public init: AST | undefined) { super(); }
  print(ps: PrintState): void {
    ps.writeString('new ');
    if (this.place !== undefined) {
      parenthesize(ps, this.place);
      ps.writeString(' ');
    }
    ps.print(this.type);
    if (this.init !== undefined) parenthesize(ps, this.init);
  }
}

const BUILTIN_TYPE_SUFFIX: Record<string, string> = {
  'int': '', 'unsigned int': 'u', 'long': 'l', 'unsigned long': 'ul', 'long long': 'll', 'unsigned long long': 'ull',
};
const BUILTIN_TYPE_FLOAT = new Set(['double', 'long double', 'float', '__float128', 'half']);

/** A literal in an expression. */
export class Literal extends AST {
  static override kids = ['type'];
  constructor(public type: AST, public val: string, public neg: boolean) { super(); }
  print(ps: PrintState): void {
    let isFloat = false;
    if (this.type instanceof BuiltinType) {
      const b = this.type.name;
      const suffix = Object.hasOwn(BUILTIN_TYPE_SUFFIX, b) ? BUILTIN_TYPE_SUFFIX[b] : undefined;
      if (suffix !== undefined) {
        if (this.neg) ps.writeString('-');
        ps.writeString(this.val);
        ps.writeString(suffix);
        return;
      } else if (b === 'bool' && !this.neg) {
        if (this.val === '0' || this.val === '1') {
          ps.writeString(this.val === '0' ? 'false' : 'true');
          return;
        }
      } else if (b === 'decltype(nullptr)' && this.val === '') {
        ps.print(this.type);
        return;
      } else {
        isFloat = BUILTIN_TYPE_FLOAT.has(b);
      }
    }
    ps.writeString('(');
    ps.print(this.type);
    ps.writeString(')');
    if (isFloat) ps.writeString('[');
    if (this.neg) ps.writeString('-');
    ps.writeString(this.val);
    if (isFloat) ps.writeString(']');
  }
}

export class StringLiteral extends AST {
  static override kids = ['type'];
  constructor(public type: AST) { super(); }
  print(ps: PrintState): void {
    ps.writeString('"<');
    this.type.print(ps);
    ps.writeString('>"');
  }
}

/** A literal that is a lambda expression. */
export class LambdaExpr extends AST {
  static override kids = ['type'];
  constructor(public type: AST) { super(); }
  print(ps: PrintState): void {
    ps.writeString('[]');
    if (this.type instanceof Closure) this.type.printTypes(ps);
    ps.writeString('{...}');
  }
}

/** A list of expressions, such as the arguments of a call. */
export class ExprList extends AST {
  static override kids = ['exprs'];
  constructor(public exprs: AST[]) { super(); }
  print(ps: PrintState): void { ps.list(this.exprs); }
}

/** An initializer list: an optional type and the expressions. */
export class InitializerList extends AST {
  static override kids = ['type', 'exprs'];
  constructor(public type: AST | undefined, public exprs: AST) { super(); }
  print(ps: PrintState): void {
    if (this.type !== undefined) ps.print(this.type);
    ps.writeString('{');
    ps.print(this.exprs);
    ps.writeString('}');
  }
}

/** A default argument of a local name. */
export class DefaultArg extends AST {
  static override kids = ['arg'];
  constructor(public num: number, public arg: AST) { super(); }
  print(ps: PrintState): void {
    ps.writeString(`{default arg#${this.num + 1}}::`);
    ps.print(this.arg);
  }
}

/** A closure (lambda) type. */
export class Closure extends AST {
  static override kids = ['templateArgs', 'types'];
  constructor(public templateArgs: AST[], public types: AST[], public num: number) { super(); }
  print(ps: PrintState): void {
    ps.writeString('{lambda');
    this.printTypes(ps);
    ps.writeString(`#${this.num + 1}}`);
  }
  printTypes(ps: PrintState): void {
    if (this.templateArgs.length > 0) {
      ps.writeString('<');
      ps.list(this.templateArgs);
      ps.writeString('>');
    }
    ps.writeString('(');
    ps.list(this.types);
    ps.writeString(')');
  }
}

/** A structured binding declaration. */
export class StructuredBindings extends AST {
  static override kids = ['bindings'];
  constructor(public bindings: AST[]) { super(); }
  print(ps: PrintState): void {
    ps.writeString('[');
    this.bindings.forEach((b, i) => {
      if (i > 0) ps.writeString(', ');
      b.print(ps);
    });
    ps.writeString(']');
  }
}

/** An unnamed type, known by its index. */
export class UnnamedType extends AST {
  constructor(public num: number) { super(); }
  print(ps: PrintState): void { ps.writeString(`{unnamed type#${this.num + 1}}`); }
}

/** A clone of a function (GCC's .constprop.0, .isra.0, .cold …). */
export class Clone extends AST {
  static override kids = ['base'];
  constructor(public base: AST, public suffix: string) { super(); }
  print(ps: PrintState): void {
    ps.print(this.base);
    ps.writeString(` [clone ${this.suffix}]`);
  }
}

/** A special symbol: a prefix and a value (vtable for …, guard variable for …). */
export class Special extends AST {
  static override kids = ['val'];
  constructor(public prefix: string, public val: AST) { super(); }
  print(ps: PrintState): void {
    ps.writeString(this.prefix);
    ps.print(this.val);
  }
}

export class Special2 extends AST {
  static override kids = ['val1', 'val2'];
  constructor(public prefix: string, public val1: AST, public middle: string, public val2: AST) { super(); }
  print(ps: PrintState): void {
    ps.writeString(this.prefix);
    ps.print(this.val1);
    ps.writeString(this.middle);
    ps.print(this.val2);
  }
}

/** clang's enable_if attribute. */
export class EnableIf extends AST {
  static override kids = ['type', 'args'];
  constructor(public type: AST, public args: AST[]) { super(); }
  print(ps: PrintState): void {
    ps.print(this.type);
    ps.writeString(' [enable_if:');
    ps.list(this.args);
    ps.writeString(']');
  }
}

export function isDigit(c: number): boolean { return c >= 48 && c <= 57; }
export function isUpper(c: number): boolean { return c >= 65 && c <= 90; }
export function isLower(c: number): boolean { return c >= 97 && c <= 122; }
