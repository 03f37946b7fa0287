/**
 * The Itanium C++ ABI demangler's parser: a TypeScript port of demangle.go from
 * github.com/ianlancetaylor/demangle as vendored in Go 1.19 (the demangler `go tool pprof` uses).
 * Copyright 2015 The Go Authors. BSD-style license: see LICENSE in this folder.
 *
 * The grammar comments are Go's. Differences: errors are exceptions (Go panics and recovers), the
 * "seen" lists are Sets (same identity semantics, linear instead of quadratic), the Verbose option
 * is left out (pprof never passes it), and the budget bounds recursion and work (budget.cts).
 */
import {
  type AST, ArgumentPack, ArrayType, Binary, BinaryFP, BuiltinType, Cast, Closure, Clone, ComplexType, Constructor,
  Decltype, DefaultArg, Destructor, ElaboratedType, EnableIf, ExprList, FixedType, Fold, FunctionParam, FunctionType,
  GlobalCDtor, ImaginaryType, InitializerList, LambdaAuto, LambdaExpr, Literal, MethodWithQualifiers, Name, New,
  NonTypeTemplateParam, Nullary, Operator, PackExpansion, PointerType, PtrMem, PtrMemCast, Qualified, Qualifier,
  Qualifiers, ReferenceType, RvalueReferenceType, SizeofArgs, SizeofPack, Special, Special2, StringLiteral,
  StructuredBindings, Subobject, TaggedName, Template, TemplateParam, TemplateParamName, TemplateParamPack,
  TemplateTemplateParam, Trinary, Typed, TypeTemplateParam, TypeWithQualifiers, Unary, UnnamedType, VectorType,
  VendorQualifier, isDigit, isLower, isUpper,
} from './ast.cjs';
import { budget, BudgetError } from './budget.cjs';

/**
 * A malformed name (Go's demangleErr). The parser backtracks on these in one place only. Not an
 * Error: many names fail (every malformed one, every C++-looking Rust name), and an Error's stack
 * trace costs more than demangling.
 */
export class DemangleError {
  constructor(readonly message: string) {}
}

export interface ParseOptions {
  /** false: stop after the name (pprof's NoParams), which also drops clone suffixes */
  params: boolean;
  /** false: no clone suffixes (pprof's NoClones) */
  clones: boolean;
}

/** A name after its `_Z` (or `___Z`, or a `_GLOBAL_` key's `_Z`) → its tree. Throws on malformed names. */
export function parseMangled(name: string, o: ParseOptions): AST {
  const st = new State(name);
  let a = st.encoding(o.params, false);
  const clones = o.params && o.clones;
  if (clones) {
    // Accept clone suffixes.
    while (st.rest() > 1 && st.at('.') && (isLower(st.code(1)) || st.at('_', 1) || isDigit(st.code(1)))) a = st.cloneSuffix(a);
  }
  if (clones && st.rest() > 0) st.fail('unparsed characters at end of mangled name');
  return a;
}

/** Global constructors and destructors: `_GLOBAL_` then [._$][ID]_ then a mangled name or a key. */
export function parseGlobalCDtor(name: string, clones: boolean): AST {
  if (name.length < 4) throw new DemangleError('not a mangled name');
  if (name[0] !== '.' && name[0] !== '_' && name[0] !== '$') throw new DemangleError('not a mangled name');
  if (name[1] !== 'I' && name[1] !== 'D') throw new DemangleError('not a mangled name');
  if (name[2] !== '_') throw new DemangleError('not a mangled name');
  const ctor = name[1] === 'I';
  if (!name.startsWith('_Z', 3)) return new GlobalCDtor(ctor, new Name(name));
  // The standard demangler ignores NoParams for global constructors; so does Go's.
  return new GlobalCDtor(ctor, parseMangled(name.slice(5), { params: true, clones }));
}

const OPERATORS: Record<string, [string, number]> = {
  aN: ['&=', 2], aS: ['=', 2], aa: ['&&', 2], ad: ['&', 1], an: ['&', 2], at: ['alignof ', 1],
  aw: ['co_await ', 1], az: ['alignof ', 1], cc: ['const_cast', 2], cl: ['()', 2],
  // cp is not in the ABI; clang uses it "when the call would use ADL except for being parenthesized".
  cp: ['()', 2], cm: [',', 2], co: ['~', 1], dV: ['/=', 2], dX: ['[...]=', 3], da: ['delete[] ', 1],
  dc: ['dynamic_cast', 2], de: ['*', 1], di: ['=', 2], dl: ['delete ', 1], ds: ['.*', 2], dt: ['.', 2],
  dv: ['/', 2], dx: [']=', 2], eO: ['^=', 2], eo: ['^', 2], eq: ['==', 2], fl: ['...', 2], fr: ['...', 2],
  fL: ['...', 3], fR: ['...', 3], ge: ['>=', 2], gs: ['::', 1], gt: ['>', 2], ix: ['[]', 2], lS: ['<<=', 2],
  le: ['<=', 2], li: ['operator"" ', 1], ls: ['<<', 2], lt: ['<', 2], mI: ['-=', 2], mL: ['*=', 2], mi: ['-', 2],
  ml: ['*', 2], mm: ['--', 1], na: ['new[]', 3], ne: ['!=', 2], ng: ['-', 1], nt: ['!', 1], nw: ['new', 3],
  nx: ['noexcept', 1], oR: ['|=', 2], oo: ['||', 2], or: ['|', 2], pL: ['+=', 2], pl: ['+', 2], pm: ['->*', 2],
  pp: ['++', 1], ps: ['+', 1], pt: ['->', 2], qu: ['?', 3], rM: ['%=', 2], rS: ['>>=', 2],
  rc: ['reinterpret_cast', 2], rm: ['%', 2], rs: ['>>', 2], sP: ['sizeof...', 1], sZ: ['sizeof...', 1],
  sc: ['static_cast', 2], ss: ['<=>', 2], st: ['sizeof ', 1], sz: ['sizeof ', 1], tr: ['throw', 0], tw: ['throw ', 1],
};

const BUILTIN_TYPES: Record<string, string> = {
  a: 'signed char', b: 'bool', c: 'char', d: 'double', e: 'long double', f: 'float', g: '__float128',
  h: 'unsigned char', i: 'int', j: 'unsigned int', l: 'long', m: 'unsigned long', n: '__int128',
  o: 'unsigned __int128', s: 'short', t: 'unsigned short', v: 'void', w: 'wchar_t', x: 'long long',
  y: 'unsigned long long', z: '...',
};

const QUALIFIERS: Record<string, string> = { r: 'restrict', V: 'volatile', K: 'const' };

const std = () => new Name('std');
const stdName = (n: string) => new Qualified(std(), new Name(n), false);
const charTraits = () => new Template(stdName('char_traits'), [new BuiltinType('char')]);

/** Standard substitutions; the long forms (VERBOSE_AST) are used for constructors and destructors. */
const SUB_AST: Record<string, AST> = {
  t: std(), a: stdName('allocator'), b: stdName('basic_string'), s: stdName('string'),
  i: stdName('istream'), o: stdName('ostream'), d: stdName('iostream'),
};
const VERBOSE_AST: Record<string, AST> = {
  t: std(), a: stdName('allocator'), b: stdName('basic_string'),
  s: new Template(stdName('basic_string'), [new BuiltinType('char'), charTraits(), new Template(stdName('allocator'), [new BuiltinType('char')])]),
  i: new Template(stdName('basic_istream'), [new BuiltinType('char'), charTraits()]),
  o: new Template(stdName('basic_ostream'), [new BuiltinType('char'), charTraits()]),
  d: new Template(stdName('basic_iostream'), [new BuiltinType('char'), charTraits()]),
};

const ENABLE_IF_PREFIX = 'Ua9enable_ifI';

class State {
  /** the name; `i` is where parsing is (Go's st.str is s[i:]) */
  private readonly s: string;
  private i = 0;
  private subs: AST[] = [];
  /** templates being processed; undefined marks a cast operator's (filled in later) */
  private templates: (Template | undefined)[] = [];
  /** the number of templates when a lambda started, plus 1, so that 0 means not in a lambda */
  private lambdaTemplateLevel = 0;
  /** counts of template parameters without template arguments, for lambdas */
  private typeTemplateParamCount = 0;
  private nonTypeTemplateParamCount = 0;
  private templateTemplateParamCount = 0;
  private depth = 0;

  constructor(s: string) {
    this.s = s;
  }

  rest(): number { return this.s.length - this.i; }
  /** whether the character k ahead is c */
  at(c: string, k = 0): boolean { return this.s[this.i + k] === c; }
  code(k = 0): number { return this.s.charCodeAt(this.i + k); }
  private ch(k = 0): string { return this.s[this.i + k] ?? ''; }
  private startsWith(p: string): boolean { return this.s.startsWith(p, this.i); }
  private take(n: number): string { return this.s.slice(this.i, this.i + n); }

  fail(err: string): never { throw new DemangleError(err); }

  private advance(n: number): void {
    if (this.rest() < n) throw new Error('internal error');
    this.i += n;
  }

  private checkChar(c: string): void {
    if (!this.at(c)) throw new Error('internal error');
    this.i++;
  }

  /** Bounds the recursion: every recursive production goes through here. */
  private nested<T>(parse: () => T): T {
    budget.tick();
    if (++this.depth > budget.maxDepth) throw new BudgetError('mangled name nests too deep');
    const r = parse();
    this.depth--;
    return r;
  }

  /**
   * encoding ::= <(function) name> <bare-function-type>
   *              <(data) name>
   *              <special-name>
   */
  encoding(params: boolean, forLocalName: boolean): AST {
    return this.nested(() => this.encoding1(params, forLocalName));
  }

  private encoding1(params: boolean, forLocalName: boolean): AST {
    if (this.rest() < 1) this.fail('expected encoding');
    if (this.at('G') || this.at('T')) return this.specialName();

    let a = simplify(this.name());

    if (!params) {
      // Without the parameters: the CV-qualifiers apply to 'this', which the standard demangler
      // does not print then.
      if (a instanceof MethodWithQualifiers) a = a.method;
      // A local name may carry CV-qualifiers that really apply to the top level, and go with the
      // parameters (a class local to a function).
      if (a instanceof Qualified && a.localName) {
        const q = a;
        const holder: { get: () => AST; set: (v: AST) => void } = q.name instanceof DefaultArg
          ? { get: () => (q.name as DefaultArg).arg, set: (v) => { (q.name as DefaultArg).arg = v; } }
          : { get: () => q.name, set: (v) => { q.name = v; } };
        const inner = holder.get();
        if (inner instanceof MethodWithQualifiers) holder.set(inner.method);
      }
      return a;
    }

    // No parameters: a data symbol, not a function.
    if (this.rest() === 0 || this.at('E')) return a;

    const mwq = a instanceof MethodWithQualifiers ? a : undefined;

    const findTemplate = (check: AST): Template | undefined => {
      if (check instanceof Template) return check;
      if (check instanceof Qualified) {
        if (check.localName || check.name instanceof Constructor) return findTemplate(check.name);
      } else if (check instanceof MethodWithQualifiers) {
        return findTemplate(check.method);
      } else if (check instanceof Constructor) {
        if (check.base !== undefined) return findTemplate(check.base);
      }
      return undefined;
    };

    const template = findTemplate(a);
    let oldLambdaTemplateLevel = 0;
    if (template !== undefined) {
      this.templates.push(template);
      oldLambdaTemplateLevel = this.lambdaTemplateLevel;
      this.lambdaTemplateLevel = 0;
    }

    // What the LLVM demangler does for the enable_if attribute: not general, but perhaps sufficient.
    let enableIfArgs: AST[] = [];
    if (this.startsWith(ENABLE_IF_PREFIX)) {
      this.advance(ENABLE_IF_PREFIX.length - 1);
      enableIfArgs = this.templateArgs();
    }

    let ft = this.bareFunctionType(hasReturnType(a));

    if (template !== undefined) {
      this.templates.pop();
      this.lambdaTemplateLevel = oldLambdaTemplateLevel;
    }

    ft = simplify(ft);

    // A local name's return type is dropped, not to be confused with the top level's.
    if (forLocalName && ft instanceof FunctionType) ft.forLocalName = true;

    // Top-level qualifiers belong to the function type.
    if (mwq !== undefined) {
      a = mwq.method;
      mwq.method = ft;
      ft = mwq;
    }
    if (a instanceof Qualified && a.localName) {
      const q = a;
      if (q.name instanceof DefaultArg) {
        const da = q.name;
        if (da.arg instanceof MethodWithQualifiers) {
          const m = da.arg;
          da.arg = m.method;
          m.method = ft;
          ft = m;
        }
      } else if (q.name instanceof MethodWithQualifiers) {
        const m = q.name;
        q.name = m.method;
        m.method = ft;
        ft = m;
      }
    }

    let r: AST = new Typed(a, ft);
    if (enableIfArgs.length > 0) r = new EnableIf(r, enableIfArgs);
    return r;
  }

  /** <tagged-name> ::= <name> B <source-name> */
  private taggedName(a: AST): AST {
    while (this.at('B')) {
      this.advance(1);
      const tag = this.sourceName();
      a = new TaggedName(a, tag);
    }
    return a;
  }

  /**
   * <name> ::= <nested-name>
   *        ::= <unscoped-name>
   *        ::= <unscoped-template-name> <template-args>
   *        ::= <local-name>
   *
   * <unscoped-name> ::= <unqualified-name>
   *                 ::= St <unqualified-name>
   *
   * <unscoped-template-name> ::= <unscoped-name>
   *                          ::= <substitution>
   */
  private name(): AST {
    return this.nested(() => this.name1());
  }

  private name1(): AST {
    if (this.rest() < 1) this.fail('expected name');
    switch (this.ch()) {
      case 'N':
        return this.nestedName();
      case 'Z':
        return this.localName();
      case 'U': {
        const [a, isCast] = this.unqualifiedName();
        if (isCast) this.setTemplate(a, undefined);
        return a;
      }
      case 'S': {
        if (this.rest() < 2) {
          this.advance(1);
          this.fail('expected substitution index');
        }
        let a: AST;
        let isCast = false;
        let subst = false;
        if (this.at('t', 1)) {
          this.advance(2);
          [a, isCast] = this.unqualifiedName();
          a = new Qualified(new Name('std'), a, false);
        } else {
          a = this.substitution(false);
          subst = true;
        }
        return this.unscopedTemplate(a, isCast, !subst);
      }
      default: {
        const [a, isCast] = this.unqualifiedName();
        return this.unscopedTemplate(a, isCast, true);
      }
    }
  }

  /**
   * An <unscoped-name>, and its <template-args> when they follow: then it is an
   * <unscoped-template-name>, a substitution candidate unless it came from a substitution.
   */
  private unscopedTemplate(a: AST, isCast: boolean, candidate: boolean): AST {
    if (this.at('I')) {
      if (candidate) this.subs.push(a);
      return this.castTemplate(a, this.templateArgs(), isCast);
    }
    if (isCast) this.setTemplate(a, undefined);
    return a;
  }

  /**
   * <nested-name> ::= N [<CV-qualifiers>] [<ref-qualifier>] <prefix> <unqualified-name> E
   *               ::= N [<CV-qualifiers>] [<ref-qualifier>] <template-prefix> <template-args> E
   */
  private nestedName(): AST {
    this.checkChar('N');
    const q = this.cvQualifiers();
    const r = this.refQualifier();
    let a = this.prefix();
    if (q !== undefined || r !== '') a = new MethodWithQualifiers(a, q, r);
    if (!this.at('E')) this.fail('expected E after nested name');
    this.advance(1);
    return a;
  }

  /**
   * <prefix> ::= <prefix> <unqualified-name>
   *          ::= <template-prefix> <template-args>
   *          ::= <template-param>
   *          ::= <decltype>
   *          ::=
   *          ::= <substitution>
   *
   * <template-prefix> ::= <prefix> <(template) unqualified-name>
   *                   ::= <template-param>
   *                   ::= <substitution>
   *
   * <decltype> ::= Dt <expression> E
   *            ::= DT <expression> E
   */
  private prefix(): AST {
    let a: AST | undefined;
    // The last name seen, for a constructor or destructor.
    let last: AST | undefined;
    const getLast = (x: AST): AST => {
      for (;;) {
        if (x instanceof Template) x = x.name;
        else if (x instanceof Qualified) x = x.name;
        else if (x instanceof TaggedName) x = x.name;
        else return x;
      }
    };
    let isCast = false;
    for (;;) {
      budget.tick();
      if (this.rest() === 0) this.fail('expected prefix');
      let next: AST;
      const c = this.ch();
      const cc = this.code();
      if (isDigit(cc) || isLower(cc) || c === 'U' || c === 'L' || (c === 'D' && this.at('C', 1))) {
        const [un, isUnCast] = this.unqualifiedName();
        next = un;
        if (isUnCast) isCast = true;
      } else {
        switch (c) {
          case 'C': {
            let inheriting = false;
            this.advance(1);
            if (this.at('I')) {
              inheriting = true;
              this.advance(1);
            }
            if (this.rest() < 1) this.fail('expected constructor type');
            if (last === undefined) this.fail('constructor before name is seen');
            this.advance(1);
            const base = inheriting ? this.demangleType(false) : undefined;
            next = new Constructor(getLast(last), base);
            if (this.at('B')) next = this.taggedName(next);
            break;
          }
          case 'D':
            if (this.at('T', 1) || this.at('t', 1)) {
              next = this.demangleType(false);
            } else {
              if (this.rest() < 2) this.fail('expected destructor type');
              if (last === undefined) this.fail('destructor before name is seen');
              this.advance(2);
              next = new Destructor(getLast(last));
              if (this.at('B')) next = this.taggedName(next);
            }
            break;
          case 'S':
            next = this.substitution(true);
            break;
          case 'I': {
            if (a === undefined) this.fail('unexpected template arguments');
            const args = this.templateArgs();
            const tmpl = this.castTemplate(a, args, isCast);
            isCast = false;
            a = undefined;
            next = tmpl;
            break;
          }
          case 'T':
            next = this.templateParam();
            break;
          case 'E':
            if (a === undefined) this.fail('expected prefix');
            if (isCast) this.setTemplate(a, undefined);
            return a;
          case 'M':
            // The initializer scope of a lambda: not recorded; the variable is treated as a type
            // scope, which prints right.
            if (a === undefined) this.fail('unexpected lambda initializer');
            this.advance(1);
            continue;
          case 'J': {
            // clang can emit a J for template arguments without the I (seen in large C++ programs).
            if (a === undefined) this.fail('unexpected template arguments');
            const args: AST[] = [];
            while (!this.at('E')) args.push(this.templateArg());
            this.advance(1);
            const tmpl = this.castTemplate(a, args, isCast);
            isCast = false;
            a = undefined;
            next = tmpl;
            break;
          }
          default:
            this.fail('unrecognized letter in prefix');
        }
      }
      last = next;
      a = a === undefined ? next : new Qualified(a, next, false);
      if (c !== 'S' && !this.at('E')) this.subs.push(a);
    }
  }

  /**
   * <unqualified-name> ::= <operator-name>
   *                    ::= <ctor-dtor-name>
   *                    ::= <source-name>
   *                    ::= <local-source-name>
   *
   * <local-source-name> ::= L <source-name> <discriminator>
   */
  private unqualifiedName(): [AST, boolean] {
    if (this.rest() < 1) this.fail('expected unqualified name');
    let a: AST;
    let isCast = false;
    const c = this.ch();
    const cc = this.code();
    if (isDigit(cc)) {
      a = this.sourceName();
    } else if (isLower(cc)) {
      [a] = this.operatorName(false);
      if (a instanceof Cast) isCast = true;
      if (a instanceof Operator && a.name === 'operator"" ') {
        const n = this.sourceName();
        a = new Unary(a, n, false, false);
      }
    } else if (c === 'D' && this.at('C', 1)) {
      const bindings: AST[] = [];
      this.advance(2);
      for (;;) {
        bindings.push(this.sourceName());
        if (this.at('E')) {
          this.advance(1);
          break;
        }
      }
      a = new StructuredBindings(bindings);
    } else {
      switch (c) {
        case 'C':
        case 'D':
          return this.fail('constructor/destructor not in nested name');
        case 'L':
          this.advance(1);
          a = this.discriminator(this.sourceName());
          break;
        case 'U':
          if (this.rest() < 2) {
            this.advance(1);
            this.fail('expected closure or unnamed type');
          }
          switch (this.ch(1)) {
            case 'b':
              this.advance(2);
              this.compactNumber();
              a = new Name("'block-literal'");
              break;
            case 'l':
              a = this.closureTypeName();
              break;
            case 't':
              a = this.unnamedTypeName();
              break;
            default:
              this.advance(1);
              this.fail('expected closure or unnamed type');
          }
          break;
        default:
          this.fail('expected unqualified name');
      }
    }
    if (this.at('B')) a = this.taggedName(a);
    return [a, isCast];
  }

  /**
   * <source-name> ::= <(positive length) number> <identifier>
   * identifier ::= <(unqualified source code identifier)>
   */
  private sourceName(): Name {
    const val = this.number();
    if (val <= 0) this.fail('expected positive number');
    if (this.rest() < val) this.fail('not enough characters for identifier');
    let id = this.take(val);
    this.advance(val);
    // GCC's encoding of the anonymous namespace, made friendlier.
    const anon = '_GLOBAL_';
    if (id.startsWith(anon) && id.length > anon.length + 2) {
      const c1 = id[anon.length];
      const c2 = id[anon.length + 1];
      if ((c1 === '.' || c1 === '_' || c1 === '$') && c2 === 'N') id = '(anonymous namespace)';
    }
    return new Name(id);
  }

  /** number ::= [n] <(non-negative decimal integer)> */
  private number(): number {
    let neg = false;
    if (this.at('n')) {
      neg = true;
      this.advance(1);
    }
    if (this.rest() === 0 || !isDigit(this.code())) this.fail('missing number');
    let val = 0;
    while (this.rest() > 0 && isDigit(this.code())) {
      // Picked so that a 32-bit int cannot overflow: any very large number here is bogus.
      if (val >= Math.trunc(0x80000000 / 10) - 10) this.fail('numeric overflow');
      val = val * 10 + (this.code() - 48);
      this.advance(1);
    }
    return neg ? -val : val;
  }

  /** <seq-id> ::= <0-9A-Z>+, followed by an underscore. */
  private seqID(eofOK: boolean): number {
    if (this.at('_')) {
      this.advance(1);
      return 0;
    }
    let id = 0;
    for (;;) {
      if (this.rest() === 0) {
        if (eofOK) return id + 1;
        this.fail('missing end to sequence ID');
      }
      // No 32-bit overflow.
      if (id >= Math.trunc(0x80000000 / 36) - 36) this.fail('sequence ID overflow');
      const c = this.code();
      if (c === 95) {
        this.advance(1);
        return id + 1;
      }
      if (isDigit(c)) id = id * 36 + (c - 48);
      else if (isUpper(c)) id = id * 36 + (c - 65) + 10;
      else this.fail('invalid character in sequence ID');
      this.advance(1);
    }
  }

  /**
   * operator_name ::= many different two character encodings.
   *               ::= cv <type>
   *               ::= v <digit> <source-name>
   *
   * inExpression matters for the template parameters in the type of a cast operator.
   */
  private operatorName(inExpression: boolean): [AST, number] {
    if (this.rest() < 2) this.fail('missing operator code');
    const code = this.take(2);
    this.advance(2);
    if (code[0] === 'v' && isDigit(code.charCodeAt(1))) {
      const name = this.sourceName();
      return [new Operator(name.name), code.charCodeAt(1) - 48];
    } else if (code === 'cv') {
      // undefined on the template stack: the template parameters are filled in later.
      if (!inExpression) this.templates.push(undefined);
      const t = this.demangleType(!inExpression);
      if (!inExpression) this.templates.pop();
      return [new Cast(t), 1];
    } else if (Object.hasOwn(OPERATORS, code)) {
      const [name, args] = OPERATORS[code]!;
      return [new Operator(name), args];
    }
    return this.fail('unrecognized operator code');
  }

  /**
   * <local-name> ::= Z <(function) encoding> E <(entity) name> [<discriminator>]
   *              ::= Z <(function) encoding> E s [<discriminator>]
   *              ::= Z <(function) encoding> E d [<parameter> number>] _ <entity name>
   */
  private localName(): AST {
    this.checkChar('Z');
    const fn = this.encoding(true, true);
    if (!this.at('E')) this.fail('expected E after local name');
    this.advance(1);
    if (this.at('s')) {
      this.advance(1);
      const n = this.discriminator(new Name('string literal'));
      return new Qualified(fn, n, true);
    }
    let num = -1;
    if (this.at('d')) {
      // Default argument scope.
      this.advance(1);
      num = this.compactNumber();
    }
    let n = this.discriminator(this.name());
    if (num >= 0) n = new DefaultArg(num, n);
    return new Qualified(fn, n, true);
  }

  /** A Java resource special-name. */
  private javaResource(): AST {
    let ln = this.number();
    if (ln <= 1) this.fail('java resource length less than 1');
    if (!this.at('_')) this.fail('expected _ after number');
    this.advance(1);
    ln--;
    if (this.rest() < ln) this.fail('not enough characters for java resource length');
    const str = this.take(ln);
    let final = '';
    this.advance(ln);
    const escapes: Record<string, string> = { S: '/', _: '.', $: '$' };
    for (let i = 0; i < str.length; i++) {
      if (str[i] !== '$') {
        final += str[i];
      } else {
        if (str.length <= i + 1) this.fail('java resource escape at end of string');
        i++;
        const r = Object.hasOwn(escapes, str[i]!) ? escapes[str[i]!] : undefined;
        if (r === undefined) this.fail('unrecognized java resource escape');
        final += r;
      }
    }
    return new Special('java resource ', new Name(final));
  }

  /**
   * <special-name> ::= TV <type>
   *                ::= TT <type>
   *                ::= TI <type>
   *                ::= TS <type>
   *                ::= TA <template-arg>
   *                ::= GV <(object) name>
   *                ::= T <call-offset> <(base) encoding>
   *                ::= Tc <call-offset> <call-offset> <(base) encoding>
   * g++ extensions:
   *                ::= TC <type> <(offset) number> _ <(base) type>
   *                ::= TF <type>
   *                ::= TJ <type>
   *                ::= GR <name>
   *                ::= GA <encoding>
   *                ::= Gr <resource name>
   *                ::= GTt <encoding>
   *                ::= GTn <encoding>
   */
  private specialName(): AST {
    if (this.at('T')) {
      this.advance(1);
      if (this.rest() === 0) this.fail('expected special name code');
      const c = this.ch();
      this.advance(1);
      switch (c) {
        case 'V': return new Special('vtable for ', this.demangleType(false));
        case 'T': return new Special('VTT for ', this.demangleType(false));
        case 'I': return new Special('typeinfo for ', this.demangleType(false));
        case 'S': return new Special('typeinfo name for ', this.demangleType(false));
        case 'A': return new Special('template parameter object for ', this.templateArg());
        case 'h':
          this.callOffset('h');
          return new Special('non-virtual thunk to ', this.encoding(true, false));
        case 'v':
          this.callOffset('v');
          return new Special('virtual thunk to ', this.encoding(true, false));
        case 'c':
          this.callOffset('');
          this.callOffset('');
          return new Special('covariant return thunk to ', this.encoding(true, false));
        case 'C': {
          const derived = this.demangleType(false);
          const offset = this.number();
          if (offset < 0) this.fail('expected positive offset');
          if (!this.at('_')) this.fail('expected _ after number');
          this.advance(1);
          const base = this.demangleType(false);
          return new Special2('construction vtable for ', base, '-in-', derived);
        }
        case 'F': return new Special('typeinfo fn for ', this.demangleType(false));
        case 'J': return new Special('java Class for ', this.demangleType(false));
        case 'H': return new Special('TLS init function for ', this.name());
        case 'W': return new Special('TLS wrapper function for ', this.name());
        default: return this.fail('unrecognized special T name code');
      }
    }
    this.checkChar('G');
    if (this.rest() === 0) this.fail('expected special name code');
    const c = this.ch();
    this.advance(1);
    switch (c) {
      case 'V': return new Special('guard variable for ', this.name());
      case 'R': {
        const n = this.name();
        this.seqID(true);
        return new Special('reference temporary for ', n);
      }
      case 'A': return new Special('hidden alias for ', this.encoding(true, false));
      case 'T': {
        if (this.rest() === 0) this.fail('expected special GT name code');
        const c2 = this.ch();
        this.advance(1);
        const v = this.encoding(true, false);
        // Different letters are meant for different kinds of transactional cloning: all alike for now.
        return new Special(c2 === 'n' ? 'non-transaction clone for ' : 'transaction clone for ', v);
      }
      case 'r': return this.javaResource();
      default: return this.fail('unrecognized special G name code');
    }
  }

  /**
   * <call-offset> ::= h <nv-offset> _
   *               ::= v <v-offset> _
   * c, when not '', is the <call-offset>'s first character, already read. The offsets are not shown.
   */
  private callOffset(c: string): void {
    if (c === '') {
      if (this.rest() === 0) this.fail('missing call offset');
      c = this.ch();
      this.advance(1);
    }
    if (c === 'h') {
      this.number();
    } else if (c === 'v') {
      this.number();
      if (!this.at('_')) this.fail('expected _ after number');
      this.advance(1);
      this.number();
    } else {
      this.fail('unrecognized call offset code');
    }
    if (!this.at('_')) this.fail('expected _ after call offset');
    this.advance(1);
  }

  /**
   * <type> ::= <builtin-type>
   *        ::= <function-type>
   *        ::= <class-enum-type>
   *        ::= <array-type>
   *        ::= <pointer-to-member-type>
   *        ::= <template-param>
   *        ::= <template-template-param> <template-args>
   *        ::= <substitution>
   *        ::= <CV-qualifiers> <type>
   *        ::= P <type>
   *        ::= R <type>
   *        ::= O <type> (C++0x)
   *        ::= C <type>
   *        ::= G <type>
   *        ::= U <source-name> <type>
   *
   * <builtin-type> ::= various one letter codes
   *                ::= u <source-name>
   */
  private demangleType(isCast: boolean): AST {
    return this.nested(() => this.demangleType1(isCast));
  }

  private demangleType1(isCast: boolean): AST {
    if (this.rest() === 0) this.fail('expected type');
    let addSubst = true;
    let q = this.cvQualifiers();
    if (q !== undefined) {
      if (this.rest() === 0) this.fail('expected type');
      // CV-qualifiers before a function type apply to 'this': the unqualified function type is
      // no substitution candidate.
      if (this.at('F')) addSubst = false;
    }

    let ret: AST;
    const c0 = this.ch();
    if (Object.hasOwn(BUILTIN_TYPES, c0)) {
      ret = new BuiltinType(BUILTIN_TYPES[c0]!);
      this.advance(1);
      if (q !== undefined) {
        ret = new TypeWithQualifiers(ret, q);
        this.subs.push(ret);
      }
      return ret;
    }
    let c = c0;
    switch (c) {
      case 'u':
        this.advance(1);
        ret = this.sourceName();
        break;
      case 'F':
        ret = this.functionType();
        break;
      case 'N': case 'Z': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
        ret = this.name();
        break;
      case 'A':
        ret = this.arrayType(isCast);
        break;
      case 'M':
        ret = this.pointerToMemberType(isCast);
        break;
      case 'T': {
        if (this.at('s', 1) || this.at('u', 1) || this.at('e', 1)) {
          c = this.ch(1);
          this.advance(2);
          ret = new ElaboratedType(c === 's' ? 'struct' : c === 'u' ? 'union' : 'enum', this.name());
          break;
        }
        ret = this.templateParam();
        if (this.at('I')) {
          // See demangleCastTemplateArgs.
          if (!isCast) {
            this.subs.push(ret);
            const args = this.templateArgs();
            ret = new Template(ret, args);
          } else {
            ret = this.demangleCastTemplateArgs(ret, true);
          }
        }
        break;
      }
      case 'S': {
        // A special substitution starts a <class-enum-type>.
        const c2 = this.ch(1);
        const c2c = this.code(1);
        if (isDigit(c2c) || c2 === '_' || isUpper(c2c)) {
          ret = this.substitution(false);
          if (!this.at('I')) {
            addSubst = false;
          } else if (!(ret instanceof TemplateParam) || !isCast) {
            // See demangleCastTemplateArgs.
            const args = this.templateArgs();
            ret = new Template(ret, args);
          } else {
            const next = this.demangleCastTemplateArgs(ret, false);
            if (next === ret) addSubst = false;
            ret = next;
          }
        } else {
          ret = this.name();
          // This substitution is no substitution candidate itself, unless template arguments were added.
          if ((Object.hasOwn(SUB_AST, c2) && ret === SUB_AST[c2]) || (Object.hasOwn(VERBOSE_AST, c2) && ret === VERBOSE_AST[c2])) {
            addSubst = false;
          }
        }
        break;
      }
      case 'O': case 'P': case 'R': case 'C': case 'G': {
        this.advance(1);
        const t = this.demangleType(isCast);
        switch (c) {
          case 'O': ret = new RvalueReferenceType(t); break;
          case 'P': ret = new PointerType(t); break;
          case 'R': ret = new ReferenceType(t); break;
          case 'C': ret = new ComplexType(t); break;
          default: ret = new ImaginaryType(t); break;
        }
        break;
      }
      case 'U': {
        if (this.rest() < 2) this.fail('expected source name or unnamed type');
        switch (this.ch(1)) {
          case 'l':
            ret = this.closureTypeName();
            addSubst = false;
            break;
          case 't':
            ret = this.unnamedTypeName();
            addSubst = false;
            break;
          default: {
            this.advance(1);
            let n: AST = this.sourceName();
            if (this.at('I')) {
              const args = this.templateArgs();
              n = new Template(n, args);
            }
            const t = this.demangleType(isCast);
            ret = new VendorQualifier(n, t);
          }
        }
        break;
      }
      case 'D': {
        this.advance(1);
        if (this.rest() === 0) this.fail('expected D code for type');
        addSubst = false;
        const c2 = this.ch();
        this.advance(1);
        switch (c2) {
          case 'T':
          case 't':
            // decltype(expression)
            ret = this.expression();
            if (!this.at('E')) this.fail('expected E after expression in type');
            this.advance(1);
            ret = new Decltype(ret);
            addSubst = true;
            break;
          case 'p': {
            const t = this.demangleType(isCast);
            const pack = this.findArgumentPack(t);
            ret = new PackExpansion(t, pack);
            addSubst = true;
            break;
          }
          case 'a': ret = new Name('auto'); break;
          case 'c': ret = new Name('decltype(auto)'); break;
          case 'f': ret = new BuiltinType('decimal32'); break;
          case 'd': ret = new BuiltinType('decimal64'); break;
          case 'e': ret = new BuiltinType('decimal128'); break;
          case 'h': ret = new BuiltinType('half'); break;
          case 'u': ret = new BuiltinType('char8_t'); break;
          case 's': ret = new BuiltinType('char16_t'); break;
          case 'i': ret = new BuiltinType('char32_t'); break;
          case 'n': ret = new BuiltinType('decltype(nullptr)'); break;
          case 'F': {
            let accum = false;
            let bits = 0;
            if (this.rest() > 0 && isDigit(this.code())) {
              accum = true;
              bits = this.number();
            }
            if (this.at('_')) {
              if (bits === 0) this.fail('expected non-zero number of bits');
              this.advance(1);
              ret = new BinaryFP(bits);
            } else {
              const base = this.demangleType(isCast);
              if (this.rest() > 0 && isDigit(this.code())) this.number(); // the bits do not matter
              let sat = false;
              if (this.rest() > 0) {
                if (this.at('s')) sat = true;
                this.advance(1);
              }
              ret = new FixedType(base, accum, sat);
            }
            break;
          }
          case 'v':
            ret = this.vectorType(isCast);
            addSubst = true;
            break;
          default:
            return this.fail('unrecognized D code in type');
        }
        break;
      }
      default:
        return this.fail('unrecognized type code');
    }

    if (addSubst) this.subs.push(ret);

    if (q !== undefined) {
      if (ret instanceof FunctionType) {
        ret = new MethodWithQualifiers(ret, q, '');
      } else if (ret instanceof MethodWithQualifiers) {
        // Adjacent qualifiers merge: a function with a trailing ref-qualifier.
        ret.qualifiers = mergeQualifiers(q, ret.qualifiers);
      } else {
        // Adjacent qualifiers merge: multi-dimensional arrays.
        if (ret instanceof TypeWithQualifiers) {
          q = mergeQualifiers(q, ret.qualifiers)!;
          ret = ret.base;
        }
        ret = new TypeWithQualifiers(ret, q);
      }
      this.subs.push(ret);
    }
    return ret;
  }

  /**
   * A <template-param> followed by <template-args> is a template-template-param, except in the type
   * of a cast operator, where it is one only when yet another <template-args> follows; otherwise
   * the arguments belong to the prefix. Here (isCast) we read the arguments, and when no second set
   * follows, go back to before them and return the bare parameter.
   */
  private demangleCastTemplateArgs(tp: AST, addSubst: boolean): AST {
    const save = this.save();
    let args: AST[] = [];
    let failed = false;
    try {
      args = this.templateArgs();
    } catch (e) {
      if (!(e instanceof DemangleError)) throw e;
      failed = true;
    }
    if (!failed && this.at('I')) {
      if (addSubst) this.subs.push(tp);
      return new Template(tp, args);
    }
    // Back to before the template arguments: prefix reads them again.
    this.restore(save);
    return tp;
  }

  private save() {
    return {
      i: this.i, subs: this.subs.length, templates: this.templates.slice(), lambdaTemplateLevel: this.lambdaTemplateLevel,
      typeTemplateParamCount: this.typeTemplateParamCount, nonTypeTemplateParamCount: this.nonTypeTemplateParamCount,
      templateTemplateParamCount: this.templateTemplateParamCount, depth: this.depth,
    };
  }

  private restore(s: ReturnType<State['save']>): void {
    this.i = s.i;
    this.subs.length = s.subs;
    this.templates = s.templates;
    this.lambdaTemplateLevel = s.lambdaTemplateLevel;
    this.typeTemplateParamCount = s.typeTemplateParamCount;
    this.nonTypeTemplateParamCount = s.nonTypeTemplateParamCount;
    this.templateTemplateParamCount = s.templateTemplateParamCount;
    this.depth = s.depth;
  }

  /** <CV-qualifiers> ::= [r] [V] [K] (and the D-prefixed exception specifications) */
  private cvQualifiers(): Qualifiers | undefined {
    const q: Qualifier[] = [];
    loop: while (this.rest() > 0) {
      const c = this.ch();
      if (Object.hasOwn(QUALIFIERS, c)) {
        q.unshift(new Qualifier(QUALIFIERS[c]!));
        this.advance(1);
      } else if (this.rest() > 1 && c === 'D') {
        let qual: Qualifier;
        switch (this.ch(1)) {
          case 'x':
            qual = new Qualifier('transaction_safe');
            this.advance(2);
            break;
          case 'o':
            qual = new Qualifier('noexcept');
            this.advance(2);
            break;
          case 'O': {
            this.advance(2);
            const expr = this.expression();
            if (!this.at('E')) this.fail('expected E after computed noexcept expression');
            this.advance(1);
            qual = new Qualifier('noexcept', [expr]);
            break;
          }
          case 'w': {
            this.advance(2);
            const parmlist = this.parmlist();
            if (!this.at('E')) this.fail('expected E after throw parameter list');
            this.advance(1);
            qual = new Qualifier('throw', parmlist);
            break;
          }
          default:
            break loop;
        }
        q.unshift(qual);
      } else {
        break;
      }
    }
    return q.length === 0 ? undefined : new Qualifiers(q);
  }

  /** <ref-qualifier> ::= R | O */
  private refQualifier(): string {
    if (this.at('R')) {
      this.advance(1);
      return '&';
    }
    if (this.at('O')) {
      this.advance(1);
      return '&&';
    }
    return '';
  }

  /** <type>+ */
  private parmlist(): AST[] {
    let ret: AST[] = [];
    for (;;) {
      if (this.rest() < 1) break;
      if (this.at('E') || this.at('.')) break;
      // A function ref-qualifier.
      if ((this.at('R') || this.at('O')) && this.at('E', 1)) break;
      ret.push(this.demangleType(false));
    }
    // At least one type: a function without arguments has the single parameter type void.
    if (ret.length === 0) this.fail('expected at least one type in type list');
    // Which is left out.
    if (ret.length === 1 && ret[0] instanceof BuiltinType && ret[0].name === 'void') ret = [];
    return ret;
  }

  /** <function-type> ::= F [Y] <bare-function-type> [<ref-qualifier>] E */
  private functionType(): AST {
    this.checkChar('F');
    if (this.at('Y')) this.advance(1); // C linkage, not printed
    let ret: AST = this.bareFunctionType(true);
    const r = this.refQualifier();
    if (r !== '') ret = new MethodWithQualifiers(ret, undefined, r);
    if (!this.at('E')) this.fail('expected E after function type');
    this.advance(1);
    return ret;
  }

  /** <bare-function-type> ::= [J]<type>+ */
  private bareFunctionType(hasReturnType: boolean): AST {
    if (this.at('J')) {
      hasReturnType = true;
      this.advance(1);
    }
    const returnType = hasReturnType ? this.demangleType(false) : undefined;
    const types = this.parmlist();
    return new FunctionType(returnType, types, false);
  }

  /**
   * <array-type> ::= A <(positive dimension) number> _ <(element) type>
   *              ::= A [<(dimension) expression>] _ <(element) type>
   */
  private arrayType(isCast: boolean): AST {
    this.checkChar('A');
    if (this.rest() === 0) this.fail('missing array dimension');
    let dim: AST;
    if (this.at('_')) {
      dim = new Name('');
    } else if (isDigit(this.code())) {
      let i = 1;
      while (this.rest() > i && isDigit(this.code(i))) i++;
      dim = new Name(this.take(i));
      this.advance(i);
    } else {
      dim = this.expression();
    }
    if (!this.at('_')) this.fail('expected _ after dimension');
    this.advance(1);
    const t = this.demangleType(isCast);
    // Qualifiers on the element of an array type go on the whole array type.
    if (t instanceof TypeWithQualifiers) return new TypeWithQualifiers(new ArrayType(dim, t.base), t.qualifiers);
    return new ArrayType(dim, t);
  }

  /**
   * <vector-type> ::= Dv <number> _ <type>
   *               ::= Dv _ <expression> _ <type>
   */
  private vectorType(isCast: boolean): AST {
    if (this.rest() === 0) this.fail('expected vector dimension');
    let dim: AST;
    if (this.at('_')) {
      this.advance(1);
      dim = this.expression();
    } else {
      dim = new Name(String(this.number()));
    }
    if (!this.at('_')) this.fail('expected _ after vector dimension');
    this.advance(1);
    const t = this.demangleType(isCast);
    return new VectorType(dim, t);
  }

  /**
   * <pointer-to-member-type> ::= M <(class) type> <(member) type>
   *
   * For a pointer to member function the member type puts a non-member function type into the
   * substitution table, which the ABI says is wrong; harmless, since it is never referred to.
   */
  private pointerToMemberType(isCast: boolean): AST {
    this.checkChar('M');
    const cl = this.demangleType(false);
    const mem = this.demangleType(isCast);
    return new PtrMem(cl, mem);
  }

  /** <non-negative number> _ */
  private compactNumber(): number {
    if (this.rest() === 0) this.fail('missing index');
    if (this.at('_')) {
      this.advance(1);
      return 0;
    }
    if (this.at('n')) this.fail('unexpected negative number');
    const n = this.number();
    if (!this.at('_')) this.fail('missing underscore after number');
    this.advance(1);
    return n + 1;
  }

  /**
   * <template-param> ::= T_
   *                  ::= T <(parameter-2 non-negative) number> _
   *                  ::= TL <level-1> __
   *                  ::= TL <level-1> _ <parameter-2 non-negative number> _
   *
   * A template parameter that is a substitution candidate refers, when substituted, to the parameter
   * of the same index in the template then active, not to what it expands to here: substitution
   * and simplify sort this out.
   */
  private templateParam(): AST {
    this.checkChar('T');
    let level = 0;
    if (this.at('L')) {
      this.advance(1);
      level = this.compactNumber();
    }
    const n = this.compactNumber();
    if (level >= this.templates.length) {
      // Lambda auto parameters are mangled as template parameters (https://gcc.gnu.org/PR78252).
      if (this.lambdaTemplateLevel > 0 && level === this.lambdaTemplateLevel - 1) return new LambdaAuto(n);
      this.fail('template parameter is not in scope of template');
    }
    const template = this.templates[level];
    // In a cast operator: if the cast is a template itself, a forward reference, filled in later.
    if (template === undefined) return new TemplateParam(n, undefined);
    if (n >= template.args.length) {
      if (this.lambdaTemplateLevel > 0 && level === this.lambdaTemplateLevel - 1) return new LambdaAuto(n);
      this.fail('template index out of range');
    }
    return new TemplateParam(n, template);
  }

  /** a<args>; when a is a cast operator, its forward-referencing template parameters now refer to it. */
  private castTemplate(a: AST, args: AST[], isCast: boolean): Template {
    const tmpl = new Template(a, args);
    if (isCast) {
      this.setTemplate(a, tmpl);
      this.clearTemplateArgs(args);
    }
    return tmpl;
  }

  /** Fills in the template of the TemplateParams in a: the forward references of cast operators. */
  private setTemplate(a: AST, tmpl: Template | undefined): void {
    const seen = new Set<AST>();
    a.traverse((x) => {
      if (x instanceof TemplateParam) {
        if (x.template !== undefined) {
          if (tmpl !== undefined) this.fail('duplicate template parameters');
          return false;
        }
        if (tmpl === undefined) this.fail('cast template parameter not in scope of template');
        if (x.index >= tmpl.args.length) this.fail('cast template index out of range');
        x.template = tmpl;
        return false;
      }
      // There are no template params in closure types (https://gcc.gnu.org/PR78252).
      if (x instanceof Closure) return false;
      if (seen.has(x)) return false;
      seen.add(x);
      return true;
    });
  }

  /** An error for any unset template in args: a cast operator with a forward reference inside another. */
  private clearTemplateArgs(args: AST[]): void {
    for (const a of args) this.setTemplate(a, undefined);
  }

  /** <template-args> ::= I <template-arg>+ E */
  private templateArgs(): AST[] {
    if (!this.at('I') && !this.at('J')) throw new Error('internal error');
    this.advance(1);
    const ret: AST[] = [];
    while (!this.at('E')) ret.push(this.templateArg());
    this.advance(1);
    return ret;
  }

  /**
   * <template-arg> ::= <type>
   *                ::= X <expression> E
   *                ::= <expr-primary>
   */
  private templateArg(): AST {
    return this.nested(() => this.templateArg1());
  }

  private templateArg1(): AST {
    if (this.rest() === 0) this.fail('missing template argument');
    switch (this.ch()) {
      case 'X': {
        this.advance(1);
        const expr = this.expression();
        if (!this.at('E')) this.fail('missing end of expression');
        this.advance(1);
        return expr;
      }
      case 'L':
        return this.exprPrimary();
      case 'I':
      case 'J':
        return new ArgumentPack(this.templateArgs());
      default:
        return this.demangleType(false);
    }
  }

  /** A sequence of expressions up to the stop character. */
  private exprList(stop: string): ExprList {
    if (this.at(stop)) {
      this.advance(1);
      return new ExprList([]);
    }
    const exprs: AST[] = [];
    for (;;) {
      exprs.push(this.expression());
      if (this.at(stop)) {
        this.advance(1);
        break;
      }
    }
    return new ExprList(exprs);
  }

  /** <expression>: see the Itanium ABI; Go's comment lists every production. */
  private expression(): AST {
    return this.nested(() => this.expression1());
  }

  private expression1(): AST {
    if (this.rest() === 0) this.fail('expected expression');
    const c0 = this.ch();
    const c1 = this.ch(1);
    if (c0 === 'L') return this.exprPrimary();
    if (c0 === 'T') return this.templateParam();
    if (c0 === 's' && c1 === 'o') {
      this.advance(2);
      return this.subobject();
    }
    if (c0 === 's' && c1 === 'r') return this.unresolvedName();
    if (c0 === 's' && c1 === 'p') {
      this.advance(2);
      const e = this.expression();
      const pack = this.findArgumentPack(e);
      return new PackExpansion(e, pack);
    }
    if (c0 === 's' && c1 === 'Z') {
      this.advance(2);
      const e = this.expression();
      const ap = this.findArgumentPack(e);
      if (ap === undefined) this.fail('missing argument pack');
      return new SizeofPack(ap);
    }
    if (c0 === 's' && c1 === 'P') {
      this.advance(2);
      const args: AST[] = [];
      while (!this.at('E')) args.push(this.templateArg());
      this.advance(1);
      return new SizeofArgs(args);
    }
    if (c0 === 'f' && c1 === 'p') {
      this.advance(2);
      if (this.at('T')) {
        this.advance(1);
        return new FunctionParam(0);
      }
      // Qualifiers can be here; they are not printed.
      this.cvQualifiers();
      return new FunctionParam(this.compactNumber() + 1);
    }
    if (c0 === 'f' && this.rest() > 2 && c1 === 'L' && isDigit(this.code(2))) {
      this.advance(2);
      this.number(); // the scope count is not printed
      if (!this.at('p')) this.fail('expected p after function parameter scope count');
      this.advance(1);
      this.cvQualifiers();
      return new FunctionParam(this.compactNumber() + 1);
    }
    if (c0 === 'm' && c1 === 'c') {
      this.advance(2);
      const typ = this.demangleType(false);
      const expr = this.expression();
      let offset = 0;
      if (this.at('n') || isDigit(this.code())) offset = this.number();
      if (!this.at('E')) this.fail('expected E after pointer-to-member conversion');
      this.advance(1);
      return new PtrMemCast(typ, expr, offset);
    }
    if (isDigit(this.code()) || (c0 === 'o' && c1 === 'n')) {
      if (c0 === 'o') this.advance(2); // the operator function ID
      let [n] = this.unqualifiedName();
      if (this.at('I')) n = new Template(n, this.templateArgs());
      return n;
    }
    if ((c0 === 'i' || c0 === 't') && c1 === 'l') {
      // A brace-enclosed initializer list.
      this.advance(2);
      const t = c0 === 't' ? this.demangleType(false) : undefined;
      return new InitializerList(t, this.exprList('E'));
    }
    if (c0 === 's' && c1 === 't') {
      const [o] = this.operatorName(true);
      const t = this.demangleType(false);
      return new Unary(o, t, false, true);
    }
    if (c0 === 'u') {
      this.advance(1);
      const name = this.sourceName();
      // __uuidof followed by a type or an expression, as LLVM uses it.
      if (name.name === '__uuidof') {
        if (this.rest() < 2) this.fail('missing uuidof argument');
        let operand: AST | undefined;
        if (this.at('t')) {
          this.advance(1);
          operand = this.demangleType(false);
        } else if (this.at('z')) {
          this.advance(1);
          operand = this.expression();
        }
        if (operand !== undefined) return new Binary(new Operator('()'), name, new ExprList([operand]));
      }
      const args: AST[] = [];
      for (;;) {
        if (this.rest() === 0) this.fail('missing argument in vendor extended expressoin');
        if (this.at('E')) {
          this.advance(1);
          break;
        }
        args.push(this.templateArg());
      }
      return new Binary(new Operator('()'), name, new ExprList(args));
    }

    if (this.rest() < 2) this.fail('missing operator code');
    const code = this.take(2);
    const [o, args] = this.operatorName(true);
    switch (args) {
      case 0:
        return new Nullary(o);
      case 1: {
        let suffix = false;
        if (code === 'pp' || code === 'mm') {
          if (this.at('_')) this.advance(1);
          else suffix = true;
        }
        let operand: AST;
        if (o instanceof Cast && this.at('_')) {
          this.advance(1);
          operand = this.exprList('E');
        } else {
          operand = this.expression();
        }
        return new Unary(o, operand, suffix, false);
      }
      case 2: {
        let left: AST;
        let right: AST;
        if (code === 'sc' || code === 'dc' || code === 'cc' || code === 'rc') {
          left = this.demangleType(false);
        } else if (code[0] === 'f') {
          [left] = this.operatorName(true);
          right = this.expression();
          return new Fold(code[1] === 'l', left, right, undefined);
        } else if (code === 'di') {
          [left] = this.unqualifiedName();
        } else {
          left = this.expression();
        }
        if (code === 'cl' || code === 'cp') {
          right = this.exprList('E');
        } else if (code === 'dt' || code === 'pt') {
          right = this.unresolvedName();
          if (this.at('I')) right = new Template(right, this.templateArgs());
        } else {
          right = this.expression();
        }
        return new Binary(o, left, right);
      }
      case 3: {
        if (code[0] === 'n') {
          if (code[1] !== 'w' && code[1] !== 'a') throw new Error('internal error');
          const placeList = this.exprList('_');
          const place = placeList.exprs.length === 0 ? undefined : placeList;
          const t = this.demangleType(false);
          let ini: AST | undefined;
          if (this.at('E')) {
            this.advance(1);
          } else if (this.rest() > 1 && this.at('p') && this.at('i', 1)) {
            // A parenthesized initializer.
            this.advance(2);
            ini = this.exprList('E');
          } else if (this.rest() > 1 && this.at('i') && this.at('l', 1)) {
            ini = this.expression(); // an initializer list
          } else {
            this.fail('unrecognized new initializer');
          }
          return new New(o, place, t, ini);
        } else if (code[0] === 'f') {
          const [first] = this.operatorName(true);
          const second = this.expression();
          const third = this.expression();
          return new Fold(code[1] === 'L', first, second, third);
        }
        const first = this.expression();
        const second = this.expression();
        const third = this.expression();
        return new Trinary(o, first, second, third);
      }
      default:
        return this.fail('unsupported number of operator arguments');
    }
  }

  /**
   * <expression> ::= so <referent type> <expr> [<offset number>] <union-selector>* [p] E
   * <union-selector> ::= _ [<number>]
   */
  private subobject(): AST {
    const typ = this.demangleType(false);
    const expr = this.expression();
    let offset = 0;
    if (this.at('n') || isDigit(this.code())) offset = this.number();
    const selectors: number[] = [];
    while (this.at('_')) {
      this.advance(1);
      let selector = 0;
      if (this.at('n') || isDigit(this.code())) selector = this.number();
      selectors.push(selector);
    }
    let pastEnd = false;
    if (this.at('p')) {
      this.advance(1);
      pastEnd = true;
    }
    if (!this.at('E')) this.fail('expected E after subobject');
    this.advance(1);
    return new Subobject(typ, expr, offset, selectors, pastEnd);
  }

  /**
   * <unresolved-name> ::= [gs] <base-unresolved-name>
   *                   ::= sr <unresolved-type> <base-unresolved-name>
   *                   ::= srN <unresolved-type> <unresolved-qualifier-level>+ E <base-unresolved-name>
   *                   ::= [gs] sr <unresolved-qualifier-level>+ E <base-unresolved-name>
   */
  private unresolvedName(): AST {
    return this.nested(() => this.unresolvedName1());
  }

  private unresolvedName1(): AST {
    if (this.startsWith('gs')) {
      this.advance(2);
      const n = this.unresolvedName();
      return new Unary(new Operator('::'), n, false, false);
    }
    if (!this.startsWith('sr')) return this.baseUnresolvedName();
    this.advance(2);
    if (this.rest() === 0) this.fail('expected unresolved type');
    const c = this.ch();
    if (c === 'T' || c === 'D' || c === 'S') {
      const t = this.demangleType(false);
      let n: AST = new Qualified(t, this.baseUnresolvedName(), false);
      if (this.at('I')) {
        n = new Template(n, this.templateArgs());
        this.subs.push(n);
      }
      return n;
    }
    let s: AST | undefined;
    if (this.at('N')) {
      this.advance(1);
      s = this.demangleType(false);
    }
    while (!this.at('E')) {
      budget.tick();
      // GCC does not follow the ABI here: it can emit type/name without an 'E'.
      if (s !== undefined && this.rest() > 0 && !isDigit(this.code())) {
        if (s instanceof Qualified) {
          const a = s.scope;
          if (a instanceof Template) {
            this.subs.push(a.name);
            this.subs.push(a);
          } else {
            this.subs.push(a);
          }
          return s;
        }
      }
      let n: AST = this.sourceName();
      if (this.at('I')) {
        this.subs.push(n);
        n = new Template(n, this.templateArgs());
      }
      s = s === undefined ? n : new Qualified(s, n, false);
      this.subs.push(s);
    }
    if (s === undefined) this.fail('missing scope in unresolved name');
    this.advance(1);
    const n = this.baseUnresolvedName();
    return new Qualified(s, n, false);
  }

  /**
   * <base-unresolved-name> ::= <simple-id>
   *                        ::= on <operator-name>
   *                        ::= on <operator-name> <template-args>
   *                        ::= dn <destructor-name>
   *
   * <simple-id> ::= <source-name> [ <template-args> ]
   */
  private baseUnresolvedName(): AST {
    let n: AST;
    if (this.startsWith('on')) {
      this.advance(2);
      [n] = this.operatorName(true);
    } else if (this.startsWith('dn')) {
      this.advance(2);
      n = this.rest() > 0 && isDigit(this.code()) ? this.sourceName() : this.demangleType(false);
      n = new Destructor(n);
    } else if (this.rest() > 0 && isDigit(this.code())) {
      n = this.sourceName();
    } else {
      // GCC can have an operator name without on (https://gcc.gnu.org/PR70182).
      [n] = this.operatorName(true);
    }
    if (this.at('I')) n = new Template(n, this.templateArgs());
    return n;
  }

  /**
   * <expr-primary> ::= L <type> <(value) number> E
   *                ::= L <type> <(value) float> E
   *                ::= L <mangled-name> E
   */
  private exprPrimary(): AST {
    this.checkChar('L');
    if (this.rest() === 0) this.fail('expected primary expression');
    let ret: AST;
    // 'Z' too: g++ omitted the underscore until -fabi-version=3.
    if (this.at('_') || this.at('Z')) {
      if (this.at('_')) this.advance(1);
      if (!this.at('Z')) this.fail('expected mangled name');
      this.advance(1);
      ret = this.encoding(true, false);
    } else {
      const t = this.demangleType(false);
      const isArrayType = (typ: AST) => (typ instanceof TypeWithQualifiers ? typ.base : typ) instanceof ArrayType;
      let neg = false;
      if (this.at('n')) {
        neg = true;
        this.advance(1);
      }
      if (this.at('E')) {
        if (t instanceof BuiltinType && t.name === 'decltype(nullptr)') {
          // A nullptr has no value; GCC used to give it one, which is accepted (https://gcc.gnu.org/PR91979).
        } else if (t instanceof Closure) {
          // A closure has no value.
          this.advance(1);
          return new LambdaExpr(t);
        } else if (isArrayType(t)) {
          this.advance(1);
          return new StringLiteral(t);
        } else {
          this.fail('missing literal value');
        }
      }
      let i = 0;
      while (this.rest() > i && !this.at('E', i)) i++;
      const val = this.take(i);
      this.advance(i);
      ret = new Literal(t, val, neg);
    }
    if (!this.at('E')) this.fail('expected E after literal');
    this.advance(1);
    return ret;
  }

  /**
   * <discriminator> ::= _ <(non-negative) number> (when number < 10)
   *                     __ <(non-negative) number> _ (when number >= 10)
   */
  private discriminator(a: AST): AST {
    if (!this.at('_')) {
      // clang can put a discriminator without underscore at the end of the name.
      for (let i = this.i; i < this.s.length; i++) if (!isDigit(this.s.charCodeAt(i))) return a;
      this.advance(this.rest()); // the trailing digits
      return a;
    }
    this.advance(1);
    let trailingUnderscore = false;
    if (this.at('_')) {
      this.advance(1);
      trailingUnderscore = true;
    }
    const d = this.number();
    if (d < 0) this.fail('invalid negative discriminator');
    if (trailingUnderscore && d >= 10) {
      if (!this.at('_')) this.fail('expected _ after discriminator >= 10');
      this.advance(1);
    }
    // The discriminator is not printed, so not kept.
    return a;
  }

  /**
   * <closure-type-name> ::= Ul <lambda-sig> E [ <nonnegative number> ] _
   * <lambda-sig> ::= <parameter type>+
   */
  private closureTypeName(): AST {
    this.checkChar('U');
    this.checkChar('l');
    const oldLambdaTemplateLevel = this.lambdaTemplateLevel;
    this.lambdaTemplateLevel = this.templates.length + 1;
    const templateArgs: AST[] = [];
    let template: Template | undefined;
    while (this.rest() > 1 && this.at('T')) {
      const [arg, templateVal] = this.templateParamDecl();
      if (arg === undefined) break;
      templateArgs.push(arg);
      if (template === undefined) {
        template = new Template(new Name('lambda'), []);
        this.templates.push(template);
      }
      template.args.push(templateVal!);
    }
    const types = this.parmlist();
    this.lambdaTemplateLevel = oldLambdaTemplateLevel;
    if (template !== undefined) this.templates.pop();
    if (!this.at('E')) this.fail('expected E after closure type name');
    this.advance(1);
    const num = this.compactNumber();
    return new Closure(templateArgs, types, num);
  }

  /**
   * <template-param-decl> ::= Ty                          # type parameter
   *                       ::= Tn <type>                   # non-type parameter
   *                       ::= Tt <template-param-decl>* E # template parameter
   *                       ::= Tp <template-param-decl>    # parameter pack
   *
   * Returns the node for the tree being built and the one for the list of template parameters;
   * [undefined, undefined] when not at a template-param-decl.
   */
  private templateParamDecl(): [AST | undefined, AST | undefined] {
    return this.nested(() => this.templateParamDecl1());
  }

  private templateParamDecl1(): [AST | undefined, AST | undefined] {
    if (this.rest() < 2 || !this.at('T')) return [undefined, undefined];
    switch (this.ch(1)) {
      case 'y': {
        this.advance(2);
        const name = new TemplateParamName('$T', this.typeTemplateParamCount++);
        return [new TypeTemplateParam(name), name];
      }
      case 'n': {
        this.advance(2);
        const name = new TemplateParamName('$N', this.nonTypeTemplateParamCount++);
        const typ = this.demangleType(false);
        return [new NonTypeTemplateParam(name, typ), name];
      }
      case 't': {
        this.advance(2);
        const name = new TemplateParamName('$TT', this.templateTemplateParamCount++);
        const params: AST[] = [];
        let template: Template | undefined;
        for (;;) {
          if (this.rest() === 0) this.fail('expected closure template parameter');
          if (this.at('E')) {
            this.advance(1);
            break;
          }
          const [param, templateVal] = this.templateParamDecl();
          if (param === undefined) this.fail('expected closure template parameter');
          params.push(param);
          if (template === undefined) {
            template = new Template(new Name('template_template'), []);
            this.templates.push(template);
          }
          template.args.push(templateVal!);
        }
        if (template !== undefined) this.templates.pop();
        return [new TemplateTemplateParam(name, params), name];
      }
      case 'p': {
        this.advance(2);
        const [param, templateVal] = this.templateParamDecl();
        if (param === undefined) this.fail('expected lambda template parameter');
        return [new TemplateParamPack(param), templateVal];
      }
      default:
        return [undefined, undefined];
    }
  }

  /** <unnamed-type-name> ::= Ut [ <nonnegative number> ] _ */
  private unnamedTypeName(): AST {
    this.checkChar('U');
    this.checkChar('t');
    const ret = new UnnamedType(this.compactNumber());
    this.subs.push(ret);
    return ret;
  }

  /** A clone suffix: not in the ABI, but added by GCC when it clones functions. */
  cloneSuffix(a: AST): AST {
    let i = 0;
    const ok = (c: number) => isLower(c) || isDigit(c) || c === 95;
    if (this.rest() > 1 && this.at('.') && ok(this.code(1))) {
      i += 2;
      while (this.rest() > i && ok(this.code(i))) i++;
    }
    while (this.rest() > i + 1 && this.at('.', i) && isDigit(this.code(i + 1))) {
      i += 2;
      while (this.rest() > i && isDigit(this.code(i))) i++;
    }
    const suffix = this.take(i);
    this.advance(i);
    return new Clone(a, suffix);
  }

  /**
   * <substitution> ::= S <seq-id> _
   *                ::= S_
   *                ::= St
   *                ::= Sa
   *                ::= Sb
   *                ::= Ss
   *                ::= Si
   *                ::= So
   *                ::= Sd
   */
  private substitution(forPrefix: boolean): AST {
    this.checkChar('S');
    if (this.rest() === 0) this.fail('missing substitution index');
    const c = this.ch();
    const cc = this.code();
    if (c === '_' || isDigit(cc) || isUpper(cc)) {
      const id = this.seqID(false);
      if (id >= this.subs.length) this.fail('substitution index out of range');
      const ret = this.subs[id]!;

      // References to template parameters must now refer to the template active here. When copying
      // a Typed the templates may need adjusting.
      const copyTemplates = this.templates.slice();
      const oldLambdaTemplateLevel: number[] = [];

      // pushTemplate is called from skip, popTemplate from copy.
      const pushTemplate = (template: Template) => {
        copyTemplates.push(template);
        oldLambdaTemplateLevel.push(this.lambdaTemplateLevel);
        this.lambdaTemplateLevel = 0;
      };
      const popTemplate = () => {
        copyTemplates.pop();
        this.lambdaTemplateLevel = oldLambdaTemplateLevel.pop()!;
      };

      const copy = (a: AST): AST | undefined => {
        let index: number;
        if (a instanceof Typed) {
          // Remove the template added in skip.
          if (a.name instanceof Template) popTemplate();
          return undefined;
        } else if (a instanceof Closure) {
          // Undo the save in skip.
          this.lambdaTemplateLevel = oldLambdaTemplateLevel.pop()!;
          return undefined;
        } else if (a instanceof TemplateParam) {
          index = a.index;
        } else if (a instanceof LambdaAuto) {
          // A lambda auto parameter is represented as a template parameter: it may have to change back.
          index = a.index;
        } else {
          return undefined;
        }
        if (this.lambdaTemplateLevel > 0) {
          if (a instanceof LambdaAuto) return undefined;
          return new LambdaAuto(index);
        }
        let template: Template | undefined;
        if (copyTemplates.length > 0) {
          template = copyTemplates[copyTemplates.length - 1];
        } else if (ret instanceof Template) {
          // clang can start with a template that has to be referred to (Go: "probably something
          // wrong here").
          template = ret;
        } else {
          this.fail('substituted template parameter not in scope of template');
        }
        // A template parameter within the scope of a cast operator.
        if (template === undefined) return new TemplateParam(index, undefined);
        if (index >= template.args.length) this.fail('substituted template index out of range');
        return new TemplateParam(index, template);
      };

      const seen = new Set<AST>();
      const skip = (a: AST): boolean => {
        if (a instanceof Typed) {
          // This template is removed in copy.
          if (a.name instanceof Template) pushTemplate(a.name);
          return false;
        } else if (a instanceof Closure) {
          // Undone in copy.
          oldLambdaTemplateLevel.push(this.lambdaTemplateLevel);
          this.lambdaTemplateLevel = copyTemplates.length + 1;
          return false;
        } else if (a instanceof TemplateParam || a instanceof LambdaAuto) {
          return false;
        }
        if (seen.has(a)) return true;
        seen.add(a);
        return false;
      };

      return ret.copy(copy, skip) ?? ret;
    }

    this.advance(1);
    // The longer names of constructors and destructors, as the standard demangler prints them.
    const m = forPrefix && (this.at('C') || this.at('D')) ? VERBOSE_AST : SUB_AST;
    let a = Object.hasOwn(m, c) ? m[c] : undefined;
    if (a === undefined) return this.fail('unrecognized substitution code');
    if (this.at('B')) {
      a = this.taggedName(a);
      this.subs.push(a);
    }
    return a;
  }

  /** Finds the argument pack of a pack expansion, through a template parameter. */
  private findArgumentPack(a: AST): ArgumentPack | undefined {
    const seen = new Set<AST>();
    let ret: ArgumentPack | undefined;
    a.traverse((x) => {
      if (ret !== undefined) return false;
      if (x instanceof TemplateParam) {
        if (x.template === undefined || x.index >= x.template.args.length) return true;
        const arg = x.template.args[x.index];
        if (arg instanceof ArgumentPack) {
          ret = arg;
          return false;
        }
      } else if (x instanceof PackExpansion || x instanceof Closure || x instanceof Name || x instanceof TaggedName ||
        x instanceof Operator || x instanceof BuiltinType || x instanceof FunctionParam || x instanceof UnnamedType ||
        x instanceof FixedType || x instanceof DefaultArg) {
        return false;
      }
      if (seen.has(x)) return false;
      seen.add(x);
      return true;
    });
    return ret;
  }
}

/** Whether the mangled form of a has a return type. */
function hasReturnType(a: AST): boolean {
  if (a instanceof Qualified) return a.localName ? hasReturnType(a.name) : false;
  if (a instanceof Template) return !isCDtorConversion(a.name);
  if (a instanceof TypeWithQualifiers) return hasReturnType(a.base);
  if (a instanceof MethodWithQualifiers) return hasReturnType(a.method);
  return false;
}

/** Whether a is a constructor, a destructor or a conversion operator. */
function isCDtorConversion(a: AST): boolean {
  if (a instanceof Qualified) return isCDtorConversion(a.name);
  return a instanceof Constructor || a instanceof Destructor || a instanceof Cast;
}

/** Merges two qualifier lists into one. */
function mergeQualifiers(q1: Qualifiers | undefined, q2: Qualifiers | undefined): Qualifiers | undefined {
  if (q1 === undefined) return q2;
  if (q2 === undefined) return q1;
  const m = new Set<string>();
  for (const qual of q1.qualifiers) if (qual.exprs.length === 0) m.add(qual.name);
  const rq = q1.qualifiers;
  for (const qual of q2.qualifiers) {
    if (qual.exprs.length > 0) {
      rq.push(qual);
    } else if (!m.has(qual.name)) {
      rq.push(qual);
      m.add(qual.name);
    }
  }
  q1.qualifiers = rq;
  return q1;
}

/** Replaces template parameters with their expansions, and merges qualifiers. */
function simplify(a: AST): AST {
  const seen = new Set<AST>();
  const skip = (x: AST) => {
    if (seen.has(x)) return true;
    seen.add(x);
    return false;
  };
  return a.copy(simplifyOne, skip) ?? a;
}

/** The kinds of node simplifyOne may change: one look-up spares the rest (most nodes) seven instanceof tests. */
const SIMPLIFIABLE = new Set<unknown>([TemplateParam, MethodWithQualifiers, TypeWithQualifiers, ReferenceType, RvalueReferenceType, ArrayType, PackExpansion]);

/** Simplifies one node; undefined when there is nothing to do. */
function simplifyOne(a: AST): AST | undefined {
  if (!SIMPLIFIABLE.has(a.constructor)) return undefined;
  if (a instanceof TemplateParam) {
    if (a.template !== undefined && a.index < a.template.args.length) return a.template.args[a.index];
  } else if (a instanceof MethodWithQualifiers) {
    const m = a.method;
    if (m instanceof MethodWithQualifiers) {
      let ref = a.refQualifier;
      if (ref === '') ref = m.refQualifier;
      else if (m.refQualifier !== '' && (ref === '&' || m.refQualifier === '&')) ref = '&';
      return new MethodWithQualifiers(m.method, mergeQualifiers(a.qualifiers, m.qualifiers), ref);
    }
    if (m instanceof TypeWithQualifiers) return new MethodWithQualifiers(m.base, mergeQualifiers(a.qualifiers, m.qualifiers), a.refQualifier);
  } else if (a instanceof TypeWithQualifiers) {
    const b = a.base;
    if (b instanceof FunctionType) return new MethodWithQualifiers(b, a.qualifiers, '');
    if (b instanceof TypeWithQualifiers) return new TypeWithQualifiers(b.base, mergeQualifiers(a.qualifiers, b.qualifiers)!);
    if (b instanceof MethodWithQualifiers) return new MethodWithQualifiers(b.method, mergeQualifiers(a.qualifiers, b.qualifiers), b.refQualifier);
  } else if (a instanceof ReferenceType) {
    if (a.base instanceof ReferenceType) return a.base;
    if (a.base instanceof RvalueReferenceType) return new ReferenceType(a.base.base);
  } else if (a instanceof RvalueReferenceType) {
    if (a.base instanceof RvalueReferenceType) return a.base;
    if (a.base instanceof ReferenceType) return a.base;
  } else if (a instanceof ArrayType) {
    // Qualifiers on the element of an array type go on the whole array type.
    if (a.element instanceof TypeWithQualifiers) {
      return new TypeWithQualifiers(new ArrayType(a.dimension, a.element.base), a.element.qualifiers);
    }
  } else if (a instanceof PackExpansion) {
    // Expands the pack: a list of expressions.
    if (a.pack !== undefined) {
      const pack = a.pack;
      const exprs = pack.args.map((arg) => {
        // Replaces the pack with one argument, copies everything else.
        const copy = (sub: AST) => (sub === pack ? arg : undefined);
        const seen = new Set<AST>();
        const skip = (sub: AST) => {
          if (sub instanceof PackExpansion) return true; // not into another pack expansion
          if (seen.has(sub)) return true;
          seen.add(sub);
          return false;
        };
        return simplify(a.base.copy(copy, skip) ?? a.base);
      });
      return new ExprList(exprs);
    }
  }
  return undefined;
}
