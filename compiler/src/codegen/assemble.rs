//! Jump resolution. Blocks end in a jump or a `ret`, so an instruction can
//! be placed right after any block without changing what runs; that is
//! where `ja` trampolines go when a conditional jump's target lies beyond
//! the 255 instructions its 8-bit offset reaches.

use super::layout::{Block, Exit, Label};
use crate::bpf::{Insn, BPF_JA, BPF_JMP, BPF_MAXINSNS};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssembleError {
    TooLong { len: usize },
}

impl std::fmt::Display for AssembleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AssembleError::TooLong { len } => write!(
                f,
                "the filter needs {len} instructions; the kernel accepts at most {BPF_MAXINSNS}"
            ),
        }
    }
}

/// Which targets of a block's exit go through a trampoline placed after it.
#[derive(Clone, Copy, Default)]
struct Tramp {
    jt: bool,
    jf: bool,
}

pub(super) fn assemble(blocks: &[Block]) -> Result<(Vec<Insn>, Vec<String>), AssembleError> {
    let mut tramps = vec![Tramp::default(); blocks.len()];
    loop {
        // Block start positions with the current trampolines.
        let mut start = Vec::with_capacity(blocks.len());
        let mut pos = 0usize;
        for (b, t) in blocks.iter().zip(&tramps) {
            start.push(pos);
            pos += b.insns.len()
                + usize::from(b.exit.is_some())
                + usize::from(t.jt)
                + usize::from(t.jf);
        }
        let total = pos;
        let mut changed = false;
        for (i, b) in blocks.iter().enumerate() {
            let Some(Exit::Cond { jt, jf, .. }) = &b.exit else {
                continue;
            };
            let at = start[i] + b.insns.len(); // the conditional jump itself
            let t = tramps[i];
            // Trampolines follow the jump: jt's first, then jf's.
            let far = |target: Label, slot: usize| -> bool {
                let dest = start[target.0];
                dest < at + 1 || dest - (at + 1) > 255 || slot > 255
            };
            if !t.jt && far(*jt, 0) {
                tramps[i].jt = true;
                changed = true;
            }
            if !t.jf && far(*jf, 0) {
                tramps[i].jf = true;
                changed = true;
            }
        }
        if changed {
            continue;
        }
        if total > BPF_MAXINSNS {
            return Err(AssembleError::TooLong { len: total });
        }
        let mut insns = Vec::with_capacity(total);
        let mut notes = Vec::with_capacity(total);
        for (i, b) in blocks.iter().enumerate() {
            for (insn, note) in &b.insns {
                insns.push(*insn);
                notes.push(note.clone());
            }
            let Some(exit) = &b.exit else { continue };
            let at = insns.len();
            match exit {
                Exit::Ja(target) => {
                    insns.push(Insn::stmt(
                        BPF_JMP | BPF_JA,
                        (start[target.0] - (at + 1)) as u32,
                    ));
                    notes.push(b.exit_note.clone());
                }
                Exit::Cond { code, k, jt, jf } => {
                    let t = tramps[i];
                    let mut next = at + 1;
                    let jt_pos = if t.jt {
                        let p = next;
                        next += 1;
                        p
                    } else {
                        start[jt.0]
                    };
                    let jf_pos = if t.jf { next } else { start[jf.0] };
                    insns.push(Insn::jump(
                        *code,
                        *k,
                        (jt_pos - (at + 1)) as u8,
                        (jf_pos - (at + 1)) as u8,
                    ));
                    notes.push(b.exit_note.clone());
                    if t.jt {
                        let here = insns.len();
                        insns.push(Insn::stmt(
                            BPF_JMP | BPF_JA,
                            (start[jt.0] - (here + 1)) as u32,
                        ));
                        notes.push(String::new());
                    }
                    if t.jf {
                        let here = insns.len();
                        insns.push(Insn::stmt(
                            BPF_JMP | BPF_JA,
                            (start[jf.0] - (here + 1)) as u32,
                        ));
                        notes.push(String::new());
                    }
                }
            }
        }
        debug_assert_eq!(insns.len(), total);
        return Ok((insns, notes));
    }
}
