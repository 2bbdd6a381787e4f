/**
 * @file Tree-sitter grammar for moat, a declarative Linux seccomp policy language
 * @license Apache-2.0
 *
 * Mirrors compiler/src/syntax/grammar.lalrpop. moat's keywords are
 * contextual: every keyword is also a name wherever a name goes (`allow kill`,
 * `docker::default`, `flags tsync, log`). Tree-sitter gets that for free from
 * `word`: a keyword is only lexed as a keyword in a parse state that can take
 * it, and no moat state takes both a keyword and a name except expression
 * starts (`null`) and const values (`match`), where the compiler also reads
 * the word as a keyword.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

// Loosest first, as in the compiler: `&` binds tighter than `==`, as in Rust.
const PREC = {
  or: 1,
  and: 2,
  compare: 3,
  bitor: 4,
  bitxor: 5,
  bitand: 6,
  shift: 7,
  sum: 8,
  product: 9,
  unary: 10,
};

// Strongest first (the kernel's precedence).
const ACTIONS = ['kill', 'kill_thread', 'trap', 'errno', 'notify', 'trace', 'log', 'allow'];

/** `a, b, c`: at least one, no trailing comma (the compiler's `Comma1`). */
function commaSep1(rule) {
  return seq(rule, repeat(seq(',', rule)));
}

/** `a, b, c,`: possibly empty, trailing comma allowed (the compiler's `Comma`). */
function commaSep(rule) {
  return optional(seq(commaSep1(rule), optional(',')));
}

/** Statements, items and test cases may end with `;`. */
function terminated(...rules) {
  return seq(...rules, optional(';'));
}

module.exports = grammar({
  name: 'moat',

  word: $ => $.identifier,

  // Block comments nest, which a regular token cannot express.
  externals: $ => [$.block_comment],

  extras: $ => [/\s/, $.line_comment, $.doc_comment, $.block_comment],

  supertypes: $ => [$._item, $._statement, $._expression],

  // `use std::groups::{a, b}`: whether a `::` continues the path or
  // opens the name list shows only in the token after it.
  conflicts: $ => [[$.path]],

  rules: {
    source_file: $ => repeat($._item),

    _item: $ => choice(
      $.use_declaration,
      $.const_declaration,
      $.group_declaration,
      $.mixin_declaration,
      $.profile_declaration,
      $.test_declaration,
    ),

    // ---------------------------------------------------------------- items

    use_declaration: $ => terminated(
      'use',
      choice(
        seq(field('path', $.path), optional(seq('::', field('names', $.use_list)))),
        seq(field('file', $.string), 'as', field('alias', $.identifier)),
      ),
    ),

    use_list: $ => seq('{', commaSep($.identifier), '}'),

    const_declaration: $ => terminated(
      'const',
      field('name', $.identifier),
      '=',
      field('value', choice($._expression, $.match_arch)),
    ),

    // `match arch { x86_64 => 0, aarch64 | arm => 1, _ => 2 }`
    match_arch: $ => seq(
      'match',
      field('scrutinee', $.identifier),
      '{',
      commaSep($.match_arm),
      '}',
    ),

    match_arm: $ => seq(
      field('arch', $.identifier),
      repeat(seq('|', field('arch', $.identifier))),
      '=>',
      field('value', $._expression),
    ),

    group_declaration: $ => terminated(
      'group',
      field('name', $.identifier),
      '=',
      '[',
      commaSep(field('member', $.path)),
      ']',
    ),

    mixin_declaration: $ => seq('mixin', field('name', $.identifier), field('body', $.block)),

    profile_declaration: $ => seq(
      'profile',
      field('name', $.identifier),
      optional(seq('extends', field('base', $.path))),
      field('body', $.block),
    ),

    test_declaration: $ => seq('test', field('profile', $.path), field('body', $.test_block)),

    // ---------------------------------------------------------------- statements

    block: $ => seq('{', repeat($._statement), '}'),

    _statement: $ => choice(
      $.targets_statement,
      $.default_statement,
      $.bad_arch_statement,
      $.unknown_statement,
      $.flags_statement,
      $.include_statement,
      $.on_block,
      $.rule,
    ),

    targets_statement: $ => terminated('targets', commaSep1(field('arch', $.identifier))),
    default_statement: $ => terminated('default', field('action', $.action)),
    bad_arch_statement: $ => terminated('bad_arch', field('action', $.action)),
    unknown_statement: $ => terminated('unknown', field('action', $.action)),
    flags_statement: $ => terminated('flags', commaSep1(field('flag', $.identifier))),
    include_statement: $ => terminated('include', field('name', $.path)),

    on_block: $ => terminated(
      'on',
      commaSep1(field('arch', $.identifier)),
      field('body', $.block),
    ),

    rule: $ => terminated(
      field('action', $.action),
      commaSep1(field('syscall', $.path)),
      optional(seq('if', field('condition', $._expression))),
    ),

    action: $ => seq(
      field('kind', choice(...ACTIONS)),
      optional(seq('(', field('data', $._expression), ')')),
    ),

    // ---------------------------------------------------------------- tests

    test_block: $ => seq('{', repeat($.test_case), '}'),

    // `x86_64: arch_prctl(ARCH_SET_GS, 0) => errno(EPERM)`
    test_case: $ => terminated(
      optional(seq(field('arch', $.identifier), ':')),
      field('syscall', $.identifier),
      field('arguments', $.arguments),
      '=>',
      field('expect', $.action),
    ),

    arguments: $ => seq('(', commaSep(choice($._expression, $.named_argument)), ')'),

    // An argument's name stands where an expression may start, so `match`
    // comes in as a keyword there too (see `path`).
    named_argument: $ => seq(
      field('name', choice($.identifier, alias('match', $.identifier))),
      ':',
      field('value', $._expression),
    ),

    // ---------------------------------------------------------------- expressions

    // The compiler's levels: `||` and `&&` over comparisons; a comparison
    // or `in` takes one arithmetic operand on each side and does not chain
    // (`a == b == c` is an error there, so it is one here).
    _expression: $ => choice(
      alias($._logic_expression, $.binary_expression),
      alias($._comparison, $.binary_expression),
      $.in_list,
      $.in_range,
      $._arithmetic,
    ),

    _arithmetic: $ => choice(
      $.binary_expression,
      $.unary_expression,
      $.parenthesized_expression,
      $.path,
      $.integer,
      $.null,
    ),

    _logic_expression: $ => choice(
      ...[[PREC.or, '||'], [PREC.and, '&&']].map(([p, op]) => prec.left(/** @type {number} */ (p), seq(
        field('left', $._expression),
        field('operator', /** @type {string} */ (op)),
        field('right', $._expression),
      ))),
    ),

    _comparison: $ => prec(PREC.compare, seq(
      field('left', $._arithmetic),
      field('operator', choice('==', '!=', '<', '<=', '>', '>=')),
      field('right', $._arithmetic),
    )),

    // `|`, `^`, `<<`, `>>`, `+`, `-`, `*` combine constants, `&` also
    // masks an argument.
    binary_expression: $ => {
      const table = [
        [PREC.bitor, '|'],
        [PREC.bitxor, '^'],
        [PREC.bitand, '&'],
        [PREC.shift, choice('<<', '>>')],
        [PREC.sum, choice('+', '-')],
        [PREC.product, '*'],
      ];
      return choice(...table.map(([p, op]) => prec.left(/** @type {number} */ (p), seq(
        field('left', $._arithmetic),
        // @ts-ignore
        field('operator', op),
        field('right', $._arithmetic),
      ))));
    },

    unary_expression: $ => prec(PREC.unary, seq(
      field('operator', choice('!', '~', '-')),
      field('operand', $._arithmetic),
    )),

    // `x in [A, B, C]`
    in_list: $ => prec(PREC.compare, seq(
      field('value', $._arithmetic),
      'in',
      field('list', $.list),
    )),

    list: $ => seq('[', commaSep($._expression), ']'),

    // `x in 10..20` (half-open), `x in 10..=20`
    in_range: $ => prec(PREC.compare, seq(
      field('value', $._arithmetic),
      'in',
      field('start', $._arithmetic),
      field('operator', choice('..', '..=')),
      field('end', $._arithmetic),
    )),

    parenthesized_expression: $ => seq('(', $._expression, ')'),

    // ---------------------------------------------------------------- tokens

    // `read`, `docker::default`, `std::groups::basic_io`
    // In the compiler every keyword but `null` is also a name in an
    // expression. Only `match` is ever lexed as a keyword where an
    // expression can start (a const's value), so only it needs the alias.
    path: $ => seq(
      choice($.identifier, alias('match', $.identifier)),
      repeat(seq('::', $.identifier)),
    ),

    identifier: _ => /[A-Za-z_][A-Za-z0-9_]*/,

    // Any run starting with a digit, as the compiler's lexer takes it: the
    // compiler reports a bad one (`0x`, `12ab`) and so should not a highlighter.
    integer: _ => /[0-9][A-Za-z0-9_]*/,

    null: _ => 'null',

    string: $ => seq(
      '"',
      repeat(choice(
        alias(token.immediate(prec(1, /[^"\\\n]+/)), $.string_content),
        $.escape_sequence,
      )),
      token.immediate('"'),
    ),

    escape_sequence: _ => token.immediate(/\\./),

    // `////` is a plain comment, as in the compiler. The two regexes are
    // disjoint, so the lexer never has to pick between them.
    line_comment: _ => token(/\/\/([^\/\n][^\n]*|\/\/[^\n]*)?/),
    doc_comment: _ => token(/\/\/\/([^\/\n][^\n]*)?/),
  },
});
