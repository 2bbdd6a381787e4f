;; Blocks fold; so do runs of comments, which editors merge themselves.
[
  (block)
  (test_block)
  (match_arch)
  (use_list)
  (group_declaration)
  (block_comment)
] @fold
