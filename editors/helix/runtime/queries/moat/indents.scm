;; Helix indentation: one level inside braces, brackets and parentheses.
[
  (block)
  (test_block)
  (match_arch)
  (use_list)
  (list)
  (arguments)
] @indent

["}" "]" ")"] @outdent
