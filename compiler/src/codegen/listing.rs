//! The annotated listing (`--emit asm`): each instruction as the
//! disassembler prints it, with the note layout attached.

use super::Program;

pub fn listing(program: &Program, title: &str) -> String {
    let mut out = String::new();
    let arches: Vec<&str> = program.arches.iter().map(|a| a.name()).collect();
    out.push_str(&format!(
        "; {title}: {} instructions for {}\n",
        program.insns.len(),
        arches.join(", ")
    ));
    for (pc, (insn, note)) in program.insns.iter().zip(&program.notes).enumerate() {
        let text = crate::emu::disasm::disasm_insn(insn, pc);
        if note.is_empty() {
            out.push_str(&format!("{text}\n"));
        } else {
            out.push_str(&format!("{text:<48} ; {note}\n"));
        }
    }
    out
}
