/*
 * hotpath viewer: numbers as pprof prints them, and the one way this page matches names against a
 * user's regexp (RE2, like every option). Loaded before the views, which find it at hotpath.format
 * and hotpath.match.
 */
(function (hp) {
  'use strict';

  /** Go's strconv.FormatFloat(x, 'g', 2, 64) for 0 ≤ x < 1. */
  function goG2(x) {
    if (x === 0) return '0';
    var m = /^(\d)(?:\.(\d))?e([+-]\d+)$/.exec(x.toExponential(1));
    var digits = m[1] + (m[2] && m[2] !== '0' ? '.' + m[2] : '');
    var exp = Number(m[3]);
    if (exp < -4 || exp >= 2) return digits + 'e' + (exp < 0 ? '-' : '+') + (Math.abs(exp) < 10 ? '0' : '') + Math.abs(exp);
    return x.toFixed(Math.max(0, 1 - exp)).replace(/\.?0+$/, '');
  }

  /**
   * Go's %.2f for x ≥ 0. toFixed rounds an exact tie (x = k/8, k odd: .125, .375, …) away from zero;
   * Go rounds it to even.
   */
  function fixed2(x) {
    var eighths = x * 8;
    if (!Number.isInteger(eighths) || eighths % 2 === 0 || x > 1e13) return x.toFixed(2);
    var cents = Math.floor(x * 100);
    if (cents % 2 !== 0) cents += 1;
    var whole = Math.floor(cents / 100);
    var rest = cents - whole * 100;
    return whole + '.' + (rest < 10 ? '0' : '') + rest;
  }

  /**
   * pprof's Percentage, trimmed: "100%" within ±0.05 of it, two decimals from 1%, else Go's %.2g
   * ("0.94%", "0.5%", "0%", "1.2e-05%"). The sign is dropped, as pprof does.
   */
  function percent(value, total) {
    var ratio = total !== 0 ? Math.abs(value / total) * 100 : 0;
    if (ratio >= 99.95 && ratio <= 100.05) return '100%';
    if (ratio >= 1) return fixed2(ratio) + '%';
    return goG2(ratio) + '%';
  }

  /**
   * pprof's Label (ScaledLabel, auto): the largest unit of the value's family that keeps it ≥ 1,
   * two decimals, ".00" dropped. `scale` is flame.json's ({factor, units, fallback}); null for counts.
   */
  function label(v, scale) {
    if (v < 0) {
      var positive = label(-v, scale);
      return positive === '0' ? '0' : '-' + positive;
    }
    var x = v;
    var unit = '';
    if (scale) {
      var base = v * scale.factor;
      var factor = 0;
      scale.units.forEach(function (u) {
        if (u[0] >= factor && base / u[0] >= 1) {
          factor = u[0];
          unit = u[1];
        }
      });
      if (factor === 0) {
        factor = scale.fallback[0];
        unit = scale.fallback[1];
      }
      x = base / factor;
    }
    var s = fixed2(x);
    if (s.slice(-3) === '.00') s = s.slice(0, -3);
    return s === '0' ? '0' : s + unit;
  }

  /** A change, signed: "+1.20s", "-3MB", "0". */
  function delta(v, scale) {
    var s = label(v, scale);
    return v > 0 ? '+' + s : s;
  }

  hp.format = { percent: percent, label: label, delta: delta };

  // ---- matching names -------------------------------------------------------------------------

  /** As src/regex.ts: real filters compile to tens of instructions. */
  var MAX_PROGRAM = 10000;

  /**
   * A user's pattern → a matcher with RE2's semantics (re2js, the library the server uses), so a
   * search highlights exactly what the same pattern would select as focus=. Never a JS RegExp: RE2
   * syntax differs, and it cannot be made to run for ever. Throws Error with a readable message.
   */
  function compile(pattern) {
    var re;
    try {
      re = window.RE2JS.RE2JS.compile(pattern);
    } catch (err) {
      throw new Error('search: ' + (err && err.message ? err.message : String(err)));
    }
    if (re.programSize() > MAX_PROGRAM) throw new Error('search: regexp too complex (' + re.programSize() + ' instructions; the limit is ' + MAX_PROGRAM + ')');
    var seen = new Map();
    return {
      pattern: pattern,
      test: function (name) {
        var hit = seen.get(name);
        if (hit === undefined) {
          hit = re.test(name);
          seen.set(name, hit);
        }
        return hit;
      }
    };
  }

  /** An RE2 regexp matching exactly `name`: every metacharacter escaped, anchored. */
  function exactly(name) {
    return '^' + name.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&') + '$';
  }

  hp.match = { compile: compile, exactly: exactly };
})(window.hotpath = window.hotpath || {});
