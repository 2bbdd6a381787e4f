//! Graphviz rendering of a program's control flow (`--emit dot`).

use super::Program;
use crate::bpf::*;

pub fn dot(program: &Program, title: &str) -> String {
    let mut out = format!(
        "digraph \"{}\" {{\n  node [shape=box, fontname=monospace];\n",
        title.replace('"', "'")
    );
    for (pc, insn) in program.insns.iter().enumerate() {
        let text = crate::emu::disasm::disasm_insn(insn, pc).replace('"', "'");
        let note = program.notes[pc].replace('"', "'");
        let label = if note.is_empty() {
            text
        } else {
            format!("{text}\\n{note}")
        };
        out.push_str(&format!("  i{pc} [label=\"{label}\"];\n"));
        let class = insn.code & 0x07;
        if class == BPF_RET {
            continue;
        }
        if class == BPF_JMP {
            let next = pc + 1;
            if insn.code & 0xf0 == BPF_JA {
                out.push_str(&format!("  i{pc} -> i{};\n", next + insn.k as usize));
            } else {
                out.push_str(&format!(
                    "  i{pc} -> i{} [label=T];\n",
                    next + usize::from(insn.jt)
                ));
                out.push_str(&format!(
                    "  i{pc} -> i{} [label=F];\n",
                    next + usize::from(insn.jf)
                ));
            }
        } else {
            out.push_str(&format!("  i{pc} -> i{};\n", pc + 1));
        }
    }
    out.push_str("}\n");
    out
}
