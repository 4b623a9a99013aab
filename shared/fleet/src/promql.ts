/**
 * Finds the metric names a PromQL expression (or a Grafana templating query)
 * refers to. Used by the tests that keep dashboards and alert rules honest:
 * every name must be one the services really export.
 *
 * Not a full PromQL parser: it removes what cannot be a metric name (string
 * literals, label matchers, range/subquery selectors, grouping clauses,
 * Grafana variables, numbers and durations, keywords, function calls) and
 * returns the identifiers that are left.
 */

const KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool',
  'and', 'or', 'unless', 'offset', 'atan2', 'inf', 'nan', 'start', 'end',
]);

const IDENT = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;

/** Metric names referenced by one PromQL expression, in first-seen order. */
export function extractMetricNames(expr: string): string[] {
  let s = expr;
  // Grafana variables: ${var}, ${var:fmt}, $var, $__rate_interval, [[var]].
  s = s.replace(/\$\{[^}]*\}/g, ' 1 ').replace(/\[\[[^\]]*\]\]/g, ' 1 ').replace(/\$[a-zA-Z_][a-zA-Z0-9_]*/g, ' 1 ');
  // String literals (label values, label_replace arguments).
  s = s.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' "" ');
  // Label matchers {a="b", c=~""} (nothing nests inside once strings are gone).
  s = s.replace(/\{[^{}]*\}/g, ' ');
  // Range and subquery selectors [5m], [5m:1m], [1 ] (after variable replacement).
  s = s.replace(/\[[^\[\]]*\]/g, ' ');
  // Grouping and vector-matching label lists.
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)/g, ' ');
  // Comments.
  s = s.replace(/#[^\n]*/g, ' ');

  const names: string[] = [];
  let i = 0;
  while (i < s.length) {
    const ch = s[i];
    if (/[0-9.]/.test(ch)) {
      // Number, duration (5m, 1h30m) or hex/exponent literal: skip the whole token.
      const m = /^[0-9.][0-9a-zA-Z_.+]*/.exec(s.slice(i));
      i += m ? m[0].length : 1;
      continue;
    }
    IDENT.lastIndex = i;
    const m = IDENT.exec(s);
    if (!m) {
      i++;
      continue;
    }
    const word = m[0];
    i += word.length;
    const rest = s.slice(i);
    if (/^\s*\(/.test(rest)) continue; // function or aggregation call
    if (KEYWORDS.has(word.toLowerCase())) continue;
    if (!names.includes(word)) names.push(word);
  }
  return names;
}

/**
 * Metric names in a Grafana Prometheus-datasource templating query:
 * label_values(metric, label), label_values(label), metrics(regex),
 * query_result(expr), label_names(), or a plain PromQL expression.
 */
export function extractGrafanaMetricNames(query: string): string[] {
  const q = query.trim();
  let m = /^label_values\s*\(\s*(.*)\)\s*$/s.exec(q);
  if (m) {
    const args = m[1];
    // The last top-level comma separates the selector from the label name.
    let depth = 0;
    let split = -1;
    for (let i = 0; i < args.length; i++) {
      const c = args[i];
      if (c === '(' || c === '{' || c === '[') depth++;
      else if (c === ')' || c === '}' || c === ']') depth--;
      else if (c === ',' && depth === 0) split = i;
    }
    return split < 0 ? [] : extractMetricNames(args.slice(0, split));
  }
  if (/^(label_names|metrics)\s*\(/.test(q)) return [];
  m = /^query_result\s*\((.*)\)\s*$/s.exec(q);
  if (m) return extractMetricNames(m[1]);
  return extractMetricNames(q);
}
