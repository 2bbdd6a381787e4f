-- *.moat files are moat seccomp policies.
vim.filetype.add({ extension = { moat = "moat" } })
