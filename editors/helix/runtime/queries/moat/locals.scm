;; moat has one scope per file: items are defined at the top level and
;; referenced by name anywhere in it (and from other files through `use`).

(source_file) @local.scope

(profile_declaration name: (identifier) @local.definition)
(mixin_declaration name: (identifier) @local.definition)
(group_declaration name: (identifier) @local.definition)
(const_declaration name: (identifier) @local.definition)
(use_declaration alias: (identifier) @local.definition)
(use_list (identifier) @local.definition)

(path (identifier) @local.reference)
